"""Signing in, in the test's thread: the password step and the second factor (TOTP and recovery
codes, counted by django-axes at both steps), MFA_REQUIRED, PASSWORD_LOGIN=0, the operator's
break-glass links, the provider's callback refusing what it did not ask for, password resets
mailed over real SMTP, and an invitation taken by someone already signed in."""

import io
import logging
import re
import time
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.utils import timezone

from flows_app.models import Membership, Role
from teams.models import Invitation
from tests.helpers import is_logged_in, totp
from tests.identity import provider_settings
from tests.pages import visible_text

PASSWORD = "correct horse battery"
ADDRESS = "203.0.113.9"
pytestmark = pytest.mark.django_db


def log_in(client, password=PASSWORD, username="marketer"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ADDRESS)


def enter_code(client, code):
    return client.post("/accounts/2fa/authenticate/", {"code": code}, REMOTE_ADDR=ADDRESS)


def set_up_totp(client):
    """The authenticator app's set-up, as a person does it: the password again (allauth asks for it
    before any change of factors), the secret read off the page, the code computed from it.
    Returns the secret."""
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    client.post(asked["Location"], {"password": PASSWORD}, REMOTE_ADDR=ADDRESS)
    page = client.get("/accounts/2fa/totp/activate/")
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.content.decode()).group(1)
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
    assert response.status_code == 302
    return secret


@pytest.fixture
def with_totp(client, user):
    """``user`` with an authenticator app set up (and recovery codes), signed out again."""
    log_in(client)
    secret = set_up_totp(client)
    client.post("/accounts/logout/")
    return secret


def test_a_password_account_sets_up_totp_and_then_signs_in_with_its_code(client, with_totp):
    response = log_in(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert not is_logged_in(client), "the password alone signs nobody in"
    assert enter_code(client, totp(with_totp)).status_code == 302
    assert is_logged_in(client)


def test_a_code_is_good_once(client, with_totp):
    code = totp(with_totp)
    log_in(client)
    enter_code(client, code)
    client.post("/accounts/logout/")
    log_in(client)
    response = enter_code(client, code)
    assert response.status_code == 200 and "Incorrect code" in visible_text(response.content)
    assert not is_logged_in(client)


def test_a_recovery_code_signs_in_once(client, user, with_totp):
    codes = (
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()
    )
    log_in(client)
    assert enter_code(client, codes[0]).status_code == 302
    client.post("/accounts/logout/")
    log_in(client)
    assert enter_code(client, codes[0]).status_code == 200
    assert not is_logged_in(client)


def test_wrong_codes_count_with_wrong_passwords_and_lock_out_even_the_right_code(client, with_totp, settings):
    log_in(client, "wrong password")
    log_in(client)
    for _ in range(settings.AXES_FAILURE_LIMIT - 2):
        assert enter_code(client, "000000").status_code == 200
    # The failure that reaches the limit (one password, the rest codes) shows the lockout page.
    response = enter_code(client, "111111")
    assert response.status_code == 429 and "Too many attempts" in visible_text(response.content)
    response = enter_code(client, totp(with_totp))
    assert response.status_code == 429
    assert not is_logged_in(client)
    assert log_in(client).status_code == 429, "and the password step is locked too"


def test_mfa_required_sends_a_password_account_without_a_second_factor_to_set_one_up(client, user, settings):
    settings.MFA_REQUIRED = True
    log_in(client)
    response = client.get("/connections/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
    set_up_totp(client)
    assert client.get("/connections/").status_code == 200


def test_with_password_login_off_the_page_offers_the_provider_only_and_a_password_is_refused(
    client, user, settings
):
    provider_settings(settings, "http://127.0.0.1:9", PASSWORD_LOGIN=False)
    page = visible_text(client.get("/accounts/login/").content)
    assert "Sign in with Example SSO" in page and "Password" not in page
    response = log_in(client)
    assert response.status_code == 403
    assert "Signing in with a password is turned off here: sign in with Example SSO." in visible_text(
        response.content
    )
    assert not is_logged_in(client)


def test_a_callback_with_a_state_pushdeck_never_made_is_refused_and_not_logged(client, settings, caplog):
    provider_settings(settings, "http://127.0.0.1:9")
    with caplog.at_level(logging.DEBUG):
        response = client.get(
            "/accounts/oidc/oidc/login/callback/", {"code": "secret-code-42", "state": "forged"}
        )
    assert response.status_code == 400
    assert "did not complete" in visible_text(response.content)
    assert "secret-code-42" not in caplog.text and "forged" not in caplog.text


def break_glass_link(username="marketer"):
    out = io.StringIO()
    call_command("break_glass", username, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_a_break_glass_link_signs_its_account_in_once_even_with_password_login_off(client, user, settings):
    provider_settings(settings, "http://127.0.0.1:9", PASSWORD_LOGIN=False)
    link = break_glass_link()
    assert "marketer" in visible_text(client.get(link).content)
    assert client.post(link).status_code == 302
    assert is_logged_in(client)
    client.post("/accounts/logout/")
    assert client.post(link).status_code == 404, "used once"
    assert not is_logged_in(client)


def test_a_break_glass_link_expires_after_fifteen_minutes(client, user, monkeypatch):
    link = break_glass_link()
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert client.post(link).status_code == 404


def test_the_break_glass_command_names_no_account_it_does_not_have(user):
    with pytest.raises(Exception, match="No active account is named 'nobody'"):
        break_glass_link("nobody")


def test_a_forgotten_password_is_reset_through_a_link_mailed_over_smtp(client, user, smtp, caplog):
    user.email = "marketer@example.com"
    user.save()
    with caplog.at_level(logging.DEBUG):
        assert client.post("/accounts/password/reset/", {"email": "marketer@example.com"}).status_code == 302
        [mail] = smtp.messages
        assert mail["To"] == "marketer@example.com"
        link = re.search(
            r"http://testserver(/accounts/password/reset/key/\S+/)", mail.get_body().get_content()
        )
        form = client.get(link.group(1))
        new = "a different long passphrase"
        response = client.post(form["Location"], {"password1": new, "password2": new})
    assert response.status_code == 302
    assert log_in(client, new).status_code == 302 and is_logged_in(client)
    key = link.group(1).split("/")[-2]
    assert key not in caplog.text, "the reset's key is never logged"


def test_with_password_login_off_no_password_can_be_reset(client, user, settings, smtp):
    provider_settings(settings, "http://127.0.0.1:9", PASSWORD_LOGIN=False)
    assert client.post("/accounts/password/reset/", {"email": "marketer@example.com"}).status_code == 404
    assert smtp.messages == []


def invitation_to(connection, role=Role.VIEWER):
    invitation = Invitation(
        connection=connection,
        role=role,
        created_by=connection.owner,
        expires=timezone.now() + timedelta(days=7),
    )
    token = invitation.issue_token()
    invitation.save()
    return invitation, f"/invitations/{token}/"


def test_someone_signed_in_joins_as_themselves_and_the_link_is_spent(client, connection, other_user):
    invitation, link = invitation_to(connection, Role.EDITOR)
    client.force_login(other_user)
    assert "Join as intruder" in visible_text(client.get(link).content)
    assert client.post(link).status_code == 302
    assert Membership.objects.get(connection=connection, user=other_user).role == Role.EDITOR
    invitation.refresh_from_db()
    assert invitation.used_by == other_user
    assert client.post(link).status_code == 410


def test_a_member_opening_an_invitation_leaves_it_for_someone_else(client, connection, user):
    invitation, link = invitation_to(connection)
    client.force_login(user)
    response = client.post(link, follow=True)
    assert "You already use “Sandbox”." in visible_text(response.content)
    invitation.refresh_from_db()
    assert invitation.state == "pending"
