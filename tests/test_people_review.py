"""The accounts app under bad input and hostile addresses: the People page's changes answer a
clear 400 for an account that is no number, and signing in goes only to Pushdeck's own pages,
whatever ``next`` says."""

import pytest

from tests.pages import visible_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("person", ["abc", "9" * 30, "", "-1", "1.5"])
def test_a_change_naming_no_account_is_a_clear_400(staff_client, user, person):
    response = staff_client.post("/people/change/", {"person": person, "action": "deactivate"})
    assert response.status_code == 400
    assert "That account or action is not one Pushdeck knows." in visible_text(response.content)
    user.refresh_from_db()
    assert user.is_active


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"]
)
def test_signing_in_goes_to_no_other_site_whatever_next_says(client, user, target):
    response = client.post(
        f"/accounts/login/?next={target}", {"username": "marketer", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/") and not response["Location"].startswith(("//", "/\\"))
