"""Signing in with the company's identity provider, in Chromium, against a real OpenID provider
(oidc-provider on loopback): discovery, the code flow with PKCE, the ID token, the first sign-in
making the account, signing out of Pushdeck and of the provider, and what is refused."""

import logging
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import expect

from flows_app.models import Membership, Role
from teams.models import GroupRole, Invitation
from tests.helpers import totp
from tests.identity import NAME

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in_at_provider(page, login):
    """The provider's own pages: its login form (any password), then its consent."""
    expect(page.locator("input[name=login]")).to_be_visible()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("anything")
    page.get_by_role("button", name="Sign-in").click()
    consent = page.get_by_role("button", name="Continue")
    consent.wait_for()
    consent.click()


def start(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name=f"Sign in with {NAME}").click()


def test_a_first_sign_in_with_the_provider_makes_the_account_and_signing_out_ends_both_sessions(
    page, live_server, oidc, settings, csp_errors, caplog
):
    settings.OIDC_SESSION_HOURS = 2
    oidc.people(ana={"email": "ana@example.com", "groups": ["marketing"]})
    callbacks = []
    page.on(
        "request",
        lambda request: callbacks.append(request.url) if "/login/callback/" in request.url else None,
    )
    with caplog.at_level(logging.DEBUG):
        start(page, live_server)
        sign_in_at_provider(page, "ana")
        # No connection yet: Pushdeck's connections page, signed in.
        expect(page).to_have_url(f"{live_server.url}/connections/")
    ana = get_user_model().objects.get(email="ana@example.com")
    assert not ana.has_usable_password(), "an account of the provider has no password of ours"
    session = Session.objects.get()
    assert session.get_decoded()["_auth_user_id"] == str(ana.pk)
    lasts = session.expire_date - timezone.now()
    assert timedelta(hours=1, minutes=59) < lasts <= timedelta(hours=2), (
        "OIDC_SESSION_HOURS, then sign in again"
    )
    # The code flow with PKCE: the provider answered with a code, never a token in the address.
    assert len(callbacks) == 1 and "code=" in callbacks[0] and "access_token" not in callbacks[0]
    code = re.search(r"code=([^&]+)", callbacks[0]).group(1)
    assert code not in caplog.text, "the code is never logged"

    # The provider's own sign-out page, then back to Pushdeck's sign-in.
    sign_out(page)
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/connections/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    # Signed out at the provider too: it asks who you are again.
    start(page, live_server)
    expect(page.locator("input[name=login]")).to_be_visible()

    # The answer it once sent, replayed: its state was spent with it.
    page.goto(callbacks[0])
    expect(page.get_by_role("heading", name="Not signed in")).to_be_visible()
    expect(page.get_by_text("did not complete")).to_be_visible()


def test_an_e_mail_of_a_domain_not_allowed_is_refused_with_a_page_that_says_so(
    page, live_server, oidc, settings, csp_errors
):
    settings.OIDC_ALLOWED_DOMAINS = ["example.com"]
    oidc.people(eve={"email": "eve@elsewhere.org"})
    start(page, live_server)
    sign_in_at_provider(page, "eve")
    expect(page.get_by_role("heading", name="Not signed in")).to_be_visible()
    expect(
        page.get_by_text("Only accounts with an e-mail address at example.com may sign in here.")
    ).to_be_visible()
    assert not get_user_model().objects.filter(email="eve@elsewhere.org").exists()


def accept_with_the_provider(page, live_server, oidc, invitation, login):
    """With password sign-in off, the invitation's link, then the provider's pages as ``login``
    (their first sign-in there): back on the link, signed in with the account it made."""
    token = invitation.issue_token()
    invitation.save()
    oidc.people(**{login: {"email": f"{login}@example.com"}})
    page.goto(f"{live_server.url}/invitations/{token}/")
    expect(page.get_by_label("Username")).to_have_count(0)
    page.get_by_role("button", name=f"Sign in with {NAME}").click()
    sign_in_at_provider(page, login)
    expect(page).to_have_url(f"{live_server.url}/invitations/{token}/")
    return get_user_model().objects.get(email=f"{login}@example.com")


def test_with_password_login_off_an_invitation_is_accepted_by_signing_in_with_the_provider(
    page, live_server, oidc, settings, connection, demo_flows, csp_errors
):
    settings.PASSWORD_LOGIN = False
    invitation = Invitation(connection=connection, role=Role.EDITOR, created_by=connection.owner)
    bo = accept_with_the_provider(page, live_server, oidc, invitation, "bo")
    # Back on the invitation, signed in: joining takes one click.
    expect(page.get_by_text("Join as bo, the account you are signed in with.")).to_be_visible()
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#flows-table")).to_be_visible()
    assert Membership.objects.get(connection=connection, user=bo).role == Role.EDITOR


def test_with_password_login_off_an_account_only_invitation_is_accepted_with_the_provider(
    page, live_server, oidc, settings, user, csp_errors
):
    settings.PASSWORD_LOGIN = False
    user.is_staff = True
    user.save()
    invitation = Invitation(connection=None, created_by=user, email="cy@example.com")
    cy = accept_with_the_provider(page, live_server, oidc, invitation, "cy")
    # Back on the invitation with the account the first sign-in made: accepting marks it used.
    expect(page.get_by_text("you are signed in as cy")).to_be_visible()
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Welcome to Pushdeck!")).to_be_visible()
    invitation.refresh_from_db()
    assert invitation.used_by == cy and not Membership.objects.filter(user=cy).exists()


def sign_out(page):
    page.get_by_label("Account menu").click()
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Yes, sign me out").click()


def test_access_from_a_group_follows_the_provider_at_each_sign_in(
    page, live_server, oidc, settings, connection, demo_flows, csp_errors
):
    # An address of an allowed domain passes.
    settings.OIDC_ALLOWED_DOMAINS = ["example.com"]
    GroupRole.objects.create(
        connection=connection, group="marketing", role=Role.EDITOR, created_by=connection.owner
    )
    oidc.people(ana={"email": "ana@example.com", "groups": ["marketing", "sales"]})
    start(page, live_server)
    sign_in_at_provider(page, "ana")
    expect(page.locator("#flows-table")).to_be_visible()
    ana = get_user_model().objects.get(email="ana@example.com")
    assert Membership.objects.get(connection=connection, user=ana).role == Role.EDITOR

    # Out of the group at the provider: the next sign-in takes the access away.
    oidc.people(ana={"email": "ana@example.com", "groups": ["sales"]})
    sign_out(page)
    start(page, live_server)
    sign_in_at_provider(page, "ana")
    expect(page).to_have_url(f"{live_server.url}/connections/")
    assert not Membership.objects.filter(connection=connection, user=ana).exists()


@pytest.mark.parametrize(
    "forged",
    [{"aud": "another-client"}, {"iss": "https://id.example.com"}],
    ids=["another audience", "another issuer"],
)
def test_an_id_token_for_another_audience_or_from_another_issuer_is_refused(
    page, live_server, oidc, forged, csp_errors, caplog
):
    oidc.people(mallory={"email": "mallory@example.com"}, id_token=forged)
    with caplog.at_level(logging.DEBUG):
        start(page, live_server)
        sign_in_at_provider(page, "mallory")
        expect(page.get_by_role("heading", name="Not signed in")).to_be_visible()
    assert not get_user_model().objects.filter(email="mallory@example.com").exists()
    assert "eyJ" not in caplog.text, "no token (a JWT) in any log line"


def test_a_first_sign_in_with_an_address_an_account_here_has_makes_an_account_of_its_own(
    page, live_server, oidc, user, csp_errors
):
    user.email = "marketer@example.com"
    user.save()
    oidc.people(mkt={"email": "marketer@example.com"})
    start(page, live_server)
    sign_in_at_provider(page, "mkt")
    expect(page).to_have_url(f"{live_server.url}/connections/")
    accounts = get_user_model().objects.filter(email="marketer@example.com")
    assert accounts.count() == 2, "the provider's word takes no account over"
    assert accounts.get(pk=user.pk).has_usable_password()


def test_an_authenticator_app_is_set_up_and_asked_for_at_the_next_sign_in(
    page, live_server, connection, demo_flows, csp_errors
):
    def log_in():
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill("marketer")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()

    log_in()
    page.get_by_label("Account menu").click()
    page.get_by_role("link", name="Two-factor sign-in").click()
    page.get_by_role("link", name="Activate").click()
    # The password again before any change of factors.
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Confirm").click()
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(totp(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()

    page.get_by_label("Account menu").click()
    page.get_by_role("button", name="Log out").click()
    log_in()
    expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_placeholder("Code").fill(totp(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator("#flows-table")).to_be_visible()
