"""Login throttling (django-axes): after AXES_FAILURE_LIMIT failures the login is locked, even with
the right password, with a friendly page; once the cool-off has passed it works again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.helpers import is_logged_in
from tests.pages import visible_text

PASSWORD = "correct horse battery"
pytestmark = pytest.mark.django_db


def log_in(client, password, username="marketer", address="203.0.113.7"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, times, **kwargs):
    """Wrong passwords: the form again with its error, until the one that reaches the limit."""
    for _ in range(times):
        response = log_in(client, "wrong password", **kwargs)
    return response


@pytest.fixture
def later(monkeypatch):
    """Move the clock axes reads forward by some minutes."""

    def move(minutes):
        moved = timezone.now() + timedelta(minutes=minutes)
        monkeypatch.setattr("axes.handlers.proxy.now", lambda: moved)

    return move


def test_the_configured_limit_and_cool_off_are_five_failures_and_fifteen_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(hours=settings.AXES_COOLOFF_TIME) == timedelta(minutes=15)


def test_the_failure_that_reaches_the_limit_locks(client, user, settings):
    assert fail(client, settings.AXES_FAILURE_LIMIT - 1).status_code == 200
    assert fail(client, 1).status_code == 429


def test_after_the_limit_even_the_right_password_meets_a_friendly_lock_page(client, user, settings):
    fail(client, settings.AXES_FAILURE_LIMIT)
    response = log_in(client, PASSWORD)
    text = visible_text(response.content)
    assert response.status_code == 429
    assert "Too many attempts" in text
    assert f"Logging in failed {settings.AXES_FAILURE_LIMIT} times" in text
    assert "try again in 15 minutes" in text
    assert "Traceback" not in response.content.decode()
    assert not is_logged_in(client)


def test_one_failure_fewer_than_the_limit_does_not_lock(client, user, settings):
    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_a_success_resets_the_count(client, user, settings):
    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, PASSWORD).status_code == 302


def test_the_lock_holds_until_the_cool_off_ends(client, user, settings, later):
    fail(client, settings.AXES_FAILURE_LIMIT)
    later(14)
    assert log_in(client, PASSWORD).status_code == 429


def test_after_the_cool_off_the_right_password_works_again(client, user, settings, later):
    fail(client, settings.AXES_FAILURE_LIMIT)
    assert log_in(client, PASSWORD).status_code == 429
    later(16)
    response = log_in(client, PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_the_lock_is_for_that_user_from_that_address(client, user, other_user, settings):
    fail(client, settings.AXES_FAILURE_LIMIT)
    assert log_in(client, PASSWORD, username="intruder").status_code == 302
    client.post("/accounts/logout/")
    assert log_in(client, PASSWORD, address="198.51.100.9").status_code == 302


def test_a_lower_limit_from_settings_is_honoured(client, user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    fail(client, 2)
    assert log_in(client, PASSWORD).status_code == 429


PROXY = "10.0.0.2"


def log_in_through_proxy(client, password, forwarded_for):
    return client.post(
        "/accounts/login/",
        {"username": "marketer", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_a_proxy_failures_count_per_client_not_for_everyone(client, user, settings):
    """Issue 10, item 10: with everyone arriving from the proxy's address, an attacker's five
    wrong passwords used to lock the real user out too."""
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = log_in_through_proxy(client, "wrong password", "198.51.100.66")
    assert response.status_code == 429
    response = log_in_through_proxy(client, PASSWORD, "203.0.113.7")
    assert response.status_code == 302


def test_an_address_the_client_wrote_itself_is_not_believed(client, user, settings):
    """The proxy appends the real address; a forged one to its left changes nothing."""
    settings.TRUSTED_PROXY_COUNT = 1
    for number in range(settings.AXES_FAILURE_LIMIT):
        response = log_in_through_proxy(client, "wrong password", f"192.0.2.{number}, 198.51.100.66")
    assert response.status_code == 429


def test_without_a_trusted_proxy_the_header_is_ignored(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for number in range(settings.AXES_FAILURE_LIMIT):
        response = log_in_through_proxy(client, "wrong password", f"192.0.2.{number}")
    assert response.status_code == 429


def test_a_wrong_password_is_said_in_pushdecks_words_in_english_and_chinese(client, user):
    text = visible_text(log_in(client, "wrong password").content.decode())
    assert "The username or password is wrong. Both are case-sensitive." in text
    assert "Please enter a correct" not in text
    response = client.post(
        "/accounts/login/",
        {"username": "marketer", "password": "wrong password"},
        REMOTE_ADDR="203.0.113.8",
        headers={"Accept-Language": "zh-hans"},
    )
    assert "用户名或密码错误（均区分大小写）。" in visible_text(response.content.decode())  # noqa: RUF001
