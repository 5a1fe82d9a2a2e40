"""Inviting by e-mail from the People page: a site admin invites an address to an account only, or
with a role on a connection they administer (no more than they hold there); the invitation is the
connections' own kind (teams.models.Invitation), e-mailed over real SMTP, its link shown to copy
whatever the mail did, listed while pending with revoke, and written in the People audit trail.
Accepted with a password (the account is made) or, with PASSWORD_LOGIN=0, signed in with the
provider (tests/test_signin_browser.py walks the provider's pages)."""

import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.models import PersonEvent
from activity.models import Activity, Kind
from flows_app.models import Membership, Role
from teams.models import Invitation
from tests.helpers import UNSENDABLE_MAIL, first_website, is_logged_in
from tests.identity import provider_settings
from tests.pages import visible_text

pytestmark = pytest.mark.django_db

INVITE = "/people/invite/"


def shown_link(response):
    return re.search(r'value="(http://testserver/invitations/[^"]+)"', response.content.decode()).group(1)


def test_an_account_only_invitation_is_mailed_shown_listed_and_accepted_with_a_password(
    staff_client, user, smtp, caplog
):
    with caplog.at_level(logging.DEBUG):
        response = staff_client.post(INVITE, {"email": "ana@example.com", "role": "viewer"})
    assert response.status_code == 200
    link = shown_link(response)
    text = visible_text(response.content)
    assert "E-mailed to ana@example.com" in text
    [mail] = smtp.messages
    assert mail["To"] == "ana@example.com" and mail["Subject"] == "You are invited to Pushdeck"
    body = mail.get_body().get_content()
    assert link in body and "marketer invites you to make an account on Pushdeck." in body
    assert link.rsplit("/", 2)[-2] not in caplog.text, "the token is never logged"
    invitation = Invitation.objects.get()
    assert invitation.connection is None and invitation.email == "ana@example.com"
    page = visible_text(staff_client.get("/people/").content)
    assert "Invited: ana@example.com · by marketer" in page
    assert "ana@example.com · an account only · by marketer Revoke" in page

    newcomer = Client()
    assert "Choose a username and a password for your account." in visible_text(newcomer.get(link).content)
    password = "a long new passphrase"
    joined = newcomer.post(link, {"username": "ana", "password1": password, "password2": password})
    assert joined.status_code == 302 and joined["Location"] == reverse("home")
    ana = get_user_model().objects.get(username="ana")
    assert ana.email == "ana@example.com", "the address it was sent to, for password resets"
    assert is_logged_in(newcomer) and not Membership.objects.filter(user=ana).exists()
    invitation.refresh_from_db()
    assert invitation.used_by == ana
    assert "None pending." in visible_text(staff_client.get("/people/").content)
    assert Client().get(link).status_code == 410, "one link, one account"


def test_an_invitation_with_a_connection_grants_its_role_and_websites_on_accepting(
    staff_client, connection, smtp
):
    website = first_website().id
    response = staff_client.post(
        INVITE,
        {
            "email": "bo@example.com",
            "connection": connection.pk,
            "role": "editor",
            "websites": [f"{connection.pk}-{website}"],
        },
    )
    assert response.status_code == 200
    link = shown_link(response)
    [mail] = smtp.messages
    assert "Sandbox" in mail["Subject"]
    invitation = Invitation.objects.get()
    assert (invitation.connection, invitation.role, invitation.websites) == (connection, "editor", [website])
    assert Activity.objects.filter(connection=connection, kind=Kind.INVITATION_CREATE).exists()
    event = PersonEvent.objects.get()
    assert event.detail == {
        "emailed": True,
        "connection": "Sandbox",
        "role": "editor",
        "websites": [website],
    }
    assert "To connection Sandbox" in visible_text(staff_client.get("/people/").content)

    newcomer = Client()
    password = "a long new passphrase"
    newcomer.post(link, {"username": "bo", "password1": password, "password2": password})
    member = Membership.objects.get(connection=connection, user__username="bo")
    assert (member.role, member.websites) == (Role.EDITOR, [website])


def test_a_limited_admin_invites_to_no_more_than_they_hold(connection, demo_flows, django_user_model, smtp):
    websites = sorted({flow.website.id for flow in demo_flows})
    deputy = django_user_model.objects.create_user("deputy", is_staff=True)
    Membership.objects.create(connection=connection, user=deputy, role=Role.ADMIN, websites=[websites[0]])
    client = Client()
    client.force_login(deputy)
    every = client.post(INVITE, {"email": "cy@example.com", "connection": connection.pk, "role": "viewer"})
    assert every.status_code == 400
    assert "You may grant access only to the websites you have" in visible_text(every.content)
    beyond = client.post(
        INVITE,
        {
            "email": "cy@example.com",
            "connection": connection.pk,
            "role": "viewer",
            "websites": [f"{connection.pk}-{websites[1]}"],
        },
    )
    assert beyond.status_code == 400, "a website not theirs is not even offered"
    assert Invitation.objects.count() == 0 and smtp.messages == []
    theirs = client.post(
        INVITE,
        {
            "email": "cy@example.com",
            "connection": connection.pk,
            "role": "viewer",
            "websites": [f"{connection.pk}-{websites[0]}"],
        },
    )
    assert theirs.status_code == 200 and Invitation.objects.get().websites == [websites[0]]


def test_a_connection_the_site_admin_does_not_administer_is_not_theirs_to_grant(
    connection, django_user_model, smtp
):
    other = django_user_model.objects.create_user("other-admin", is_staff=True)
    Membership.objects.create(connection=connection, user=other, role=Role.EDITOR)
    client = Client()
    client.force_login(other)
    response = client.post(INVITE, {"email": "dee@example.com", "connection": connection.pk, "role": "admin"})
    assert response.status_code == 400
    assert "Select a valid choice." in visible_text(response.content)
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not an address"}, "Enter an e-mail address, such as ana@example.com."),
        ({"email": ""}, "This field is required."),
        ({"email": "MARKETER@example.com"}, "marketer already has an account with this address"),
        ({"email": "a" * 90 + "@example.com"}, "Ensure this value has at most 100 characters (it has 102)."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_keeps_what_was_typed(
    staff_client, user, smtp, data, message
):
    user.email = "marketer@example.com"
    user.save()
    response = staff_client.post(INVITE, {"role": "viewer", **data})
    assert response.status_code == 400
    assert message in visible_text(response.content)
    if data["email"]:
        assert f'value="{data["email"]}"' in response.content.decode()
    assert Invitation.objects.count() == 0 and smtp.messages == []


def test_websites_without_their_connection_are_refused(staff_client, connection, smtp):
    ticked = f"{connection.pk}-{first_website().id}"
    response = staff_client.post(INVITE, {"email": "ana@example.com", "role": "viewer", "websites": [ticked]})
    assert response.status_code == 400
    assert "Websites are a connection's: choose the connection, or tick none." in visible_text(
        response.content
    )
    assert Invitation.objects.count() == 0


def test_a_second_invitation_to_a_pending_address_is_refused(staff_client, smtp):
    staff_client.post(INVITE, {"email": "ana@example.com", "role": "viewer"})
    again = staff_client.post(INVITE, {"email": "Ana@Example.com", "role": "viewer"})
    assert again.status_code == 400
    assert "An invitation to this address is still pending" in visible_text(again.content)
    assert Invitation.objects.count() == 1


def test_a_mail_that_cannot_be_sent_still_shows_the_link_and_the_trail_says_so(staff_client, settings):
    settings.MAILERS = UNSENDABLE_MAIL
    response = staff_client.post(INVITE, {"email": "ana@example.com", "role": "viewer"})
    assert response.status_code == 200
    text = visible_text(response.content)
    assert "The e-mail could not be sent: copy the link below to them instead." in text
    assert Client().get(shown_link(response)).status_code == 200, "the link works"
    page = visible_text(staff_client.get("/people/").content)
    assert "The e-mail could not be sent: the link was shown to copy." in page


def test_revoking_ends_the_link_and_is_in_the_trail(staff_client, smtp):
    link = shown_link(staff_client.post(INVITE, {"email": "ana@example.com", "role": "viewer"}))
    invitation = Invitation.objects.get()
    revoke = reverse("people_invitation_revoke", args=[invitation.pk])
    assert staff_client.post(revoke).status_code == 302
    assert Client().get(link).status_code == 410
    page = visible_text(staff_client.get("/people/").content)
    assert "Invitation revoked: ana@example.com · by marketer" in page
    again = staff_client.post(revoke, follow=True)
    assert "That invitation was already used, revoked or expired." in visible_text(again.content)
    assert PersonEvent.objects.filter(action=PersonEvent.Action.INVITATION_REVOKE).count() == 1


def test_nobody_but_a_site_admin_invites_or_revokes(staff_client, other_user, smtp):
    staff_client.post(INVITE, {"email": "ana@example.com", "role": "viewer"})
    invitation = Invitation.objects.get()
    outsider = Client()
    outsider.force_login(other_user)
    assert outsider.get("/people/").status_code == 404
    assert outsider.post(INVITE, {"email": "eve@example.com", "role": "viewer"}).status_code == 404
    revoke = reverse("people_invitation_revoke", args=[invitation.pk])
    assert outsider.post(revoke).status_code == 404
    assert Client().post(INVITE, {"email": "eve@example.com"}).status_code == 302, "to the sign-in"
    invitation.refresh_from_db()
    assert invitation.revoked is None and Invitation.objects.count() == 1
    assert staff_client.get(INVITE).status_code == 405, "a change is a POST"


def test_an_account_only_invitation_dies_with_its_makers_site_admin_rights(staff_client, user, smtp):
    link = shown_link(staff_client.post(INVITE, {"email": "ana@example.com", "role": "viewer"}))
    user.is_staff = False
    user.save()
    assert Client().get(link).status_code == 410


def test_with_password_login_off_the_link_asks_to_sign_in_with_the_provider_then_to_accept(
    staff_client, settings, smtp, django_user_model
):
    link = shown_link(staff_client.post(INVITE, {"email": "ana@example.com", "role": "viewer"}))
    provider_settings(settings, "http://127.0.0.1:9", PASSWORD_LOGIN=False)
    newcomer = Client()
    page = newcomer.get(link)
    assert "Sign in with" in visible_text(page.content) and b'name="password1"' not in page.content
    assert newcomer.post(link, {"username": "x", "password1": "p", "password2": "p"}).status_code == 200
    assert not django_user_model.objects.filter(username="x").exists(), "no password account is made"
    # As the provider's first sign-in leaves them (tests/test_signin_browser.py does it for real).
    ana = django_user_model.objects.create_user("ana", email="ana@example.com")
    newcomer.force_login(ana)
    assert "signed in as ana" in visible_text(newcomer.get(link).content)
    assert newcomer.post(link)["Location"] == reverse("home")
    assert Invitation.objects.get().used_by == ana


def test_revoking_one_with_a_connection_is_in_the_connections_history_too(staff_client, connection, smtp):
    staff_client.post(INVITE, {"email": "bo@example.com", "connection": connection.pk, "role": "viewer"})
    invitation = Invitation.objects.get()
    staff_client.post(reverse("people_invitation_revoke", args=[invitation.pk]))
    assert Activity.objects.filter(connection=connection, kind=Kind.INVITATION_REVOKE).count() == 1


def test_deactivating_a_site_admin_revokes_the_invitations_they_made_here(
    staff_client, django_user_model, smtp
):
    deputy = django_user_model.objects.create_user("deputy", is_staff=True)
    theirs = Client()
    theirs.force_login(deputy)
    link = shown_link(theirs.post(INVITE, {"email": "ana@example.com", "role": "viewer"}))
    staff_client.post("/people/change/", {"person": deputy.pk, "action": "deactivate"})
    assert Invitation.objects.get().revoked is not None
    assert Client().get(link).status_code == 410
