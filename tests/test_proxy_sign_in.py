"""REMOTE_USER_HEADER: signed in by an authenticating proxy in front, whose header is believed only
from the addresses of TRUSTED_PROXY_ADDRESSES."""

import ipaddress
import logging

import pytest
from django.contrib.auth import get_user_model

from tests.pages import visible_text

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings):
    settings.REMOTE_USER_HEADER = "X-Forwarded-User"
    settings.TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network("10.0.0.0/29")]


def test_the_proxys_header_signs_the_person_in_and_makes_their_account(client, behind_proxy):
    response = client.get("/connections/", HTTP_X_FORWARDED_USER="dana", REMOTE_ADDR=PROXY)
    assert response.status_code == 200
    dana = get_user_model().objects.get(username="dana")
    assert not dana.has_usable_password()


def test_the_header_from_any_other_address_is_refused_with_a_clear_page(client, behind_proxy, caplog):
    with caplog.at_level(logging.DEBUG):
        response = client.get(
            "/connections/", HTTP_X_FORWARDED_USER="root-wannabe", REMOTE_ADDR="203.0.113.50"
        )
    assert response.status_code == 403
    assert "it did not come through the proxy Pushdeck trusts" in visible_text(response.content)
    assert not get_user_model().objects.filter(username="root-wannabe").exists()
    assert "root-wannabe" not in caplog.text


def test_a_session_the_proxy_began_ends_when_its_header_does(client, behind_proxy):
    client.get("/connections/", HTTP_X_FORWARDED_USER="dana", REMOTE_ADDR=PROXY)
    assert client.get("/connections/", REMOTE_ADDR=PROXY).status_code == 302
    assert client.get("/connections/", HTTP_X_FORWARDED_USER="erin", REMOTE_ADDR=PROXY).status_code == 200
    assert "erin" in visible_text(
        client.get("/connections/", HTTP_X_FORWARDED_USER="erin", REMOTE_ADDR=PROXY).content
    )


def test_a_deactivated_account_is_not_signed_in_by_the_proxy(client, behind_proxy, user):
    user.is_active = False
    user.save()
    response = client.get("/connections/", HTTP_X_FORWARDED_USER="marketer", REMOTE_ADDR=PROXY)
    assert response.status_code == 403 and "This account is deactivated." in visible_text(response.content)


def test_without_the_header_setting_no_header_signs_anyone_in(client):
    assert client.get("/connections/", HTTP_X_FORWARDED_USER="dana", REMOTE_ADDR=PROXY).status_code == 302
