"""Limiting a member to some websites of the connection: the members page offers the websites
as boxes to tick, by name (from the cached directory), and takes only the connection's own."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from flows_app.api import connect
from flows_app.models import Membership, Role
from sandbox.models import ApiAccount, Website
from teams.models import Invitation
from tests.faults import inject
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_posting_to, visible_text


def websites_of(api_key):
    return list(Website.objects.filter(account__in=ApiAccount.objects.with_key(api_key)).order_by("id"))


def offered(form):
    return [int(value) for name, value in form.get("offered", []) if name == "websites"]


def ticked(form):
    return [int(value) for name, value in form["fields"] if name == "websites"]


@pytest.fixture
def member(connection):
    person = get_user_model().objects.create_user("vera")
    return Membership.objects.create(connection=connection, user=person, role=Role.VIEWER)


def members_page(client, connection):
    response = client.get(reverse("teams:members", args=[connection.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_every_form_offers_the_connections_websites_by_name(
    logged_in, connection, member, sandbox_key, upstream
):
    sites = websites_of(sandbox_key)
    page = members_page(logged_in, connection)
    ids = [site.id for site in sites]
    for action in ("teams:member_add", "teams:invitation_new"):
        assert offered(form_posting_to(page, reverse(action, args=[connection.pk]))) == ids
    row = form_posting_to(page, reverse("teams:member_change", args=[connection.pk, member.pk]))
    assert offered(row) == ids and ticked(row) == []
    text = visible_text(page)
    assert all(site.name in text for site in sites)
    assert "could not be read" not in text
    # The names come from the cached directory (read when the connection was made): no call.
    assert upstream == []


def test_ticking_websites_limits_a_member_and_the_page_shows_them_ticked(
    logged_in, connection, member, sandbox_key
):
    first, _second, third = websites_of(sandbox_key)
    action = reverse("teams:member_change", args=[connection.pk, member.pk])
    response = logged_in.post(action, {"role": "editor", "websites": [third.id, first.id]})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.role, member.websites) == (Role.EDITOR, [first.id, third.id])
    row = form_posting_to(members_page(logged_in, connection), action)
    assert ticked(row) == [first.id, third.id]
    # Unticking every box gives back every website.
    logged_in.post(action, {"role": "editor"})
    member.refresh_from_db()
    assert member.websites == []


def test_a_website_of_another_connection_is_refused_and_nothing_changes(
    logged_in, connection, member, other_sandbox_key
):
    stranger = websites_of(other_sandbox_key)[0].id
    response = logged_in.post(
        reverse("teams:member_change", args=[connection.pk, member.pk]),
        {"role": "admin", "websites": [stranger]},
    )
    # The row comes back with its message, on the members page.
    assert response.status_code == 400
    text = visible_text(response.content)
    assert f"Select a valid choice. {stranger} is not one of the available choices." in text
    member.refresh_from_db()
    assert (member.role, member.websites) == (Role.VIEWER, [])
    response = logged_in.post(
        reverse("teams:invitation_new", args=[connection.pk]),
        {"note": "Ana", "role": "editor", "websites": [stranger]},
    )
    assert response.status_code == 400
    assert "is not one of the available choices" in visible_text(response.content)
    # What was typed is kept, for a second try.
    assert 'value="Ana"' in response.content.decode()
    assert not Invitation.objects.exists()


def test_when_the_names_cannot_be_read_the_allowed_ids_stay_ticked_by_number(
    logged_in, connection, member, sandbox_key
):
    first, second, _third = websites_of(sandbox_key)
    member.websites = [second.id]
    member.save()
    connect(connection).forget_directory()
    inject(sandbox_key, "503")
    response = logged_in.get(reverse("teams:members", args=[connection.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    text = visible_text(page)
    assert "The connection's websites could not be read just now" in text
    assert f"#{second.id}" in text and second.name not in text
    action = reverse("teams:member_change", args=[connection.pk, member.pk])
    row = form_posting_to(page, action)
    assert offered(row) == ticked(row) == [second.id]
    # Saving the role as the page offers it keeps the website; another one cannot be checked now.
    logged_in.post(action, {"role": "editor", "websites": [second.id]})
    member.refresh_from_db()
    assert (member.role, member.websites) == (Role.EDITOR, [second.id])
    logged_in.post(action, {"role": "editor", "websites": [first.id]})
    member.refresh_from_db()
    assert member.websites == [second.id]
    assert offered(form_posting_to(page, reverse("teams:member_add", args=[connection.pk]))) == []
