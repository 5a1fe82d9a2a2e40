"""Invitations: a link that lets someone without an account set a password and join a connection
with a role; one use, 7 days, revocable."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activity.models import Activity, Kind
from flows_app.models import Membership, Role
from sandbox.models import ApiAccount, Website
from teams.models import Invitation
from tests.helpers import UNSENDABLE_MAIL
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_posting_to, visible_text

JOIN = {
    "username": "newcomer",
    "password1": "a long enough passphrase",
    "password2": "a long enough passphrase",
}


def websites_offered(client, connection):
    """The website ids the members page offers to tick in its invitation form."""
    action = reverse("teams:invitation_new", args=[connection.pk])
    page = client.get(reverse("teams:members", args=[connection.pk])).content.decode()
    return [int(value) for name, value in form_posting_to(page, action)["offered"] if name == "websites"]


@pytest.fixture
def link(logged_in, connection):
    offered = websites_offered(logged_in, connection)
    response = logged_in.post(
        reverse("teams:invitation_new", args=[connection.pk]),
        {"note": "Ana", "role": "editor", "websites": offered[:2]},
    )
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index("http://testserver/invitations/")
    return page[start : page.index('"', start)].removeprefix("http://testserver")


def sandbox_websites(api_key):
    return Website.objects.filter(account__in=ApiAccount.objects.with_key(api_key)).order_by("id")


def test_an_invitation_lets_a_new_person_join_with_its_role(link, connection, sandbox_key):
    visitor = Client()
    page = visitor.get(link)
    assert page.status_code == 200
    assert "You are invited as Editor" in visible_text(page.content)
    response = visitor.post(link, JOIN)
    assert response.status_code == 302 and response.url == reverse("flows:list", args=[connection.pk])
    newcomer = get_user_model().objects.get(username="newcomer")
    assert newcomer.check_password(JOIN["password1"])
    member = Membership.objects.get(user=newcomer)
    first_two = list(sandbox_websites(sandbox_key).values_list("id", flat=True)[:2])
    assert (member.connection, member.role, member.websites) == (connection, Role.EDITOR, first_two)
    assert visitor.get(reverse("teams:activity", args=[connection.pk])).status_code == 200
    invitation = Invitation.objects.get()
    assert invitation.state == "used" and invitation.used_by == newcomer
    assert Activity.objects.filter(kind=Kind.INVITATION_ACCEPT, username="newcomer").exists()


def test_the_invitation_page_shows_the_logo_and_the_password_rules_as_a_list_in_its_help(link):
    html = Client().get(link).content.decode()
    assert re.search(
        r'<div class="auth-brand"><img src="[^"]*img/logo\.svg"[^>]*><span>Pushdeck</span>', html
    )
    # Django's rules are a list: in a <p> the browser would close the paragraph before it, and
    # the list would stand outside the help's style.
    assert re.search(r'<div class="help" id="id_password1_helptext"><ul><li>', html)


def test_only_the_tokens_hash_is_stored(link):
    token = link.strip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert token not in invitation.token_hash and len(token) >= 40


def test_a_used_link_does_not_work_twice(link):
    assert Client().post(link, JOIN).status_code == 302
    again = Client().post(link, {**JOIN, "username": "second"})
    assert again.status_code == 410
    assert "It was already used" in visible_text(again.content)
    assert not get_user_model().objects.filter(username="second").exists()


def test_an_expired_link_does_not_work(link):
    Invitation.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = Client().post(link, JOIN)
    assert response.status_code == 410
    assert "It expired: links work for 7 days." in visible_text(response.content)
    assert not get_user_model().objects.filter(username="newcomer").exists()


def test_an_invitation_lasts_seven_days(link):
    invitation = Invitation.objects.get()
    assert timedelta(days=6, hours=23) < invitation.expires - invitation.created <= timedelta(days=7)


def test_a_revoked_link_does_not_work(logged_in, link, connection):
    invitation = Invitation.objects.get()
    logged_in.post(reverse("teams:invitation_revoke", args=[connection.pk, invitation.pk]))
    response = Client().get(link)
    assert response.status_code == 410
    assert "An admin revoked it." in visible_text(response.content)
    assert Activity.objects.filter(kind=Kind.INVITATION_REVOKE).count() == 1
    # Revoking again changes nothing and says so.
    again = logged_in.post(
        reverse("teams:invitation_revoke", args=[connection.pk, invitation.pk]), follow=True
    )
    assert "already used, revoked or expired" in visible_text(again.content)


def test_an_unknown_link_answers_404(db):
    response = Client().get(reverse("teams:join", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "not a link Pushdeck made" in visible_text(response.content)


def test_a_taken_username_or_weak_password_keeps_the_link_usable(link, user):
    response = Client().post(link, {**JOIN, "username": "marketer"})
    assert response.status_code == 400
    assert "already exists" in visible_text(response.content)
    response = Client().post(link, {**JOIN, "password1": "123", "password2": "123"})
    assert response.status_code == 400
    assert Invitation.objects.get().state == "pending"


def test_the_link_is_shown_once(logged_in, link, connection):
    page = logged_in.get(reverse("teams:members", args=[connection.pk])).content.decode()
    assert link not in page
    assert "Ana" in page and "pending" in page


def test_a_connection_keeps_at_least_one_admin(logged_in, connection, user, other_user):
    # The creator stays an admin anyway (tests/test_team_boundaries.py): here they left through
    # the admin site, and the one admin left tries to step down.
    Membership.objects.filter(user=user).delete()
    me = Membership.objects.create(connection=connection, user=other_user, role=Role.ADMIN)
    logged_in.force_login(other_user)
    response = logged_in.post(
        reverse("teams:member_change", args=[connection.pk, me.pk]), {"role": "viewer"}, follow=True
    )
    assert "keeps at least one admin" in visible_text(response.content)
    response = logged_in.post(reverse("teams:member_remove", args=[connection.pk, me.pk]), follow=True)
    assert "keeps at least one admin" in visible_text(response.content)
    me.refresh_from_db()
    assert me.role == Role.ADMIN


def test_adding_an_unknown_username_says_to_invite_them(logged_in, connection):
    response = logged_in.post(
        reverse("teams:member_add", args=[connection.pk]), {"username": "ghost", "role": "viewer"}
    )
    assert response.status_code == 400
    assert "No account is called “ghost”. Invite them with a link instead." in visible_text(response.content)
    response = logged_in.post(
        reverse("teams:member_add", args=[connection.pk]), {"username": "marketer", "role": "viewer"}
    )
    assert "marketer is already a member." in visible_text(response.content)
    response = logged_in.post(
        reverse("teams:member_add", args=[connection.pk]),
        {"username": "marketer", "role": "viewer", "websites": "two"},
    )
    assert "Select a valid choice. two is not one of the available choices." in visible_text(response.content)


def test_an_invitation_e_mailed_over_smtp_carries_the_link_shown_on_the_page(logged_in, connection, smtp):
    response = logged_in.post(
        reverse("teams:invitation_new", args=[connection.pk]), {"email": "ana@example.com", "role": "viewer"}
    )
    page = response.content.decode()
    shown = re.search(r'value="(http://testserver/invitations/[^"]+)"', page).group(1)
    assert "E-mailed to ana@example.com" in visible_text(response.content)
    [mail] = smtp.messages
    assert mail["To"] == "ana@example.com" and "Sandbox" in mail["Subject"]
    assert shown in mail.get_body().get_content()
    assert Invitation.objects.get().note == "ana@example.com"


def test_an_invitation_whose_mail_cannot_go_still_shows_its_link_and_says_so(logged_in, connection, settings):
    settings.MAILERS = UNSENDABLE_MAIL
    response = logged_in.post(
        reverse("teams:invitation_new", args=[connection.pk]), {"email": "ana@example.com", "role": "viewer"}
    )
    text = visible_text(response.content)
    assert "The e-mail could not be sent: copy the link below to them instead." in text
    assert "http://testserver/invitations/" in response.content.decode()


def test_an_address_that_is_no_address_is_refused_with_the_form_kept(logged_in, connection):
    response = logged_in.post(
        reverse("teams:invitation_new", args=[connection.pk]), {"email": "ana at example", "note": "Ana"}
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in visible_text(response.content)
    assert 'value="Ana"' in response.content.decode() and not Invitation.objects.exists()


def test_an_address_longer_than_the_note_keeps_is_refused_with_its_length(logged_in, connection, smtp):
    response = logged_in.post(
        reverse("teams:invitation_new", args=[connection.pk]),
        {"email": "ana." + "b" * 50 + "@" + "c" * 50 + ".com", "role": "viewer"},
    )
    assert response.status_code == 400
    assert "at most 100 characters" in visible_text(response.content)
    assert Invitation.objects.count() == 0 and smtp.messages == []
