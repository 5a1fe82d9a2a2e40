"""Team boundaries (teams/grants.py): what an admin limited to some websites may grant, the
creator who stays an admin, invitations that do not outlive the admin who made them, and notes
that only admins read. Each test is a move an attacker made against a production-like instance,
made here against the sandbox (in-process: tests/inprocess.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from activity.models import Activity, Kind
from flows_app.models import Connection, Membership, Role
from sandbox.models import ApiAccount, Website
from teams.models import Invitation
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_posting_to, visible_text


def signed_in_as(person):
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def sites(sandbox_key):
    """The ids and names of the connection's websites, A first."""
    return list(
        Website.objects.filter(account__in=ApiAccount.objects.with_key(sandbox_key))
        .order_by("id")
        .values_list("id", "name")
    )


@pytest.fixture
def people(connection, django_user_model):
    """Members of `connection` (made by "marketer"), by name, each with a signed-in client."""

    def add(name, role, websites=()):
        person = django_user_model.objects.create_user(name, password="correct horse battery")
        if role is not None:
            Membership.objects.create(connection=connection, user=person, role=role, websites=list(websites))
        return person, signed_in_as(person)

    return add


@pytest.fixture
def limited_admin(people, sites):
    """Ada, an admin of website A only."""
    return people("ada", Role.ADMIN, [sites[0][0]])


def members_url(connection, *name, args=()):
    return reverse(f"teams:{name[0] if name else 'members'}", args=[connection.pk, *args])


def membership(connection, person):
    return Membership.objects.get(connection=connection, user=person)


def access(connection, person):
    found = membership(connection, person)
    return found.role, found.websites


# 1. An admin limited to website A cannot lift any limit.


def test_a_limited_admin_cannot_lift_their_own_limit(connection, limited_admin, sites):
    ada, client = limited_admin
    own = membership(connection, ada)
    action = members_url(connection, "member_change", args=[own.pk])
    for websites in ([], [sites[0][0]], [site for site, _ in sites]):
        response = client.post(action, {"role": "admin", "websites": websites})
        assert response.status_code == 400
        assert "You may not change your own access: an admin of every website can." in visible_text(
            response.content
        )
    assert access(connection, ada) == (Role.ADMIN, [sites[0][0]])
    # Their own row offers no form to try with.
    page = client.get(members_url(connection)).content.decode()
    with pytest.raises(AssertionError):
        form_posting_to(page, action)


def test_a_limited_admin_cannot_make_an_unlimited_invitation_and_keeps_what_was_typed(
    connection, limited_admin, sites
):
    _, client = limited_admin
    (site_a, name_a), (site_b, _) = sites[:2]
    response = client.post(
        members_url(connection, "invitation_new"), {"note": "Eve", "role": "admin", "websites": []}
    )
    assert response.status_code == 400
    text = visible_text(response.content)
    assert f"You may grant access only to the websites you have: {name_a}." in text
    form = form_posting_to(response.content.decode(), members_url(connection, "invitation_new"))
    assert ("note", "Eve") in form["fields"] and ("role", "admin") in form["fields"]
    # Another website is not theirs to offer at all.
    response = client.post(
        members_url(connection, "invitation_new"), {"note": "Eve", "role": "admin", "websites": [site_b]}
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()
    # What they hold, they may hand on: an admin of website A.
    response = client.post(
        members_url(connection, "invitation_new"), {"note": "Eve", "role": "admin", "websites": [site_a]}
    )
    assert response.status_code == 200 and "Invitation link, shown only this once" in visible_text(
        response.content
    )
    assert list(Invitation.objects.values_list("role", "websites")) == [(Role.ADMIN, [site_a])]


def test_a_limited_admin_is_told_to_tick_their_websites_before_granting(connection, limited_admin):
    _, client = limited_admin
    text = visible_text(client.get(members_url(connection)).content)
    assert "Tick at least one: you may grant only your own websites." in text
    assert "None ticked: every website." not in text


def test_a_limited_admin_cannot_lift_another_members_limit(connection, limited_admin, people, sites):
    _, client = limited_admin
    site_a = sites[0][0]
    vera, _ = people("vera", Role.EDITOR, [site_a])
    action = members_url(connection, "member_change", args=[membership(connection, vera).pk])
    response = client.post(action, {"role": "admin", "websites": []})
    assert response.status_code == 400
    assert f"You may grant access only to the websites you have: {sites[0][1]}." in visible_text(
        response.content
    )
    # The row keeps what was chosen, for a second try.
    row = form_posting_to(response.content.decode(), action)
    assert ("role", "admin") in row["fields"]
    assert access(connection, vera) == (Role.EDITOR, [site_a])
    # Within what they hold, they may: Vera becomes an admin of website A.
    assert client.post(action, {"role": "admin", "websites": [site_a]}).status_code == 302
    assert access(connection, vera) == (Role.ADMIN, [site_a])


def test_a_limited_admin_cannot_add_an_outsider_as_an_unlimited_admin(
    connection, limited_admin, people, sites
):
    _, client = limited_admin
    outsider, _ = people("mallory", None)
    response = client.post(members_url(connection, "member_add"), {"username": "mallory", "role": "admin"})
    assert response.status_code == 400
    assert f"You may grant access only to the websites you have: {sites[0][1]}." in visible_text(
        response.content
    )
    form = form_posting_to(response.content.decode(), members_url(connection, "member_add"))
    assert ("username", "mallory") in form["fields"]
    assert not Membership.objects.filter(user=outsider).exists()


def test_a_limited_admin_cannot_change_or_remove_a_member_with_more_access(
    connection, limited_admin, people, sites
):
    _, client = limited_admin
    viewer, _ = people("victor", Role.VIEWER)
    row = membership(connection, viewer)
    response = client.post(
        members_url(connection, "member_change", args=[row.pk]), {"role": "viewer", "websites": [sites[0][0]]}
    )
    assert response.status_code == 400
    assert "victor has access beyond your websites: only an admin of every website can change it." in (
        visible_text(response.content)
    )
    response = client.post(members_url(connection, "member_remove", args=[row.pk]), follow=True)
    assert "victor has access beyond your websites" in visible_text(response.content)
    assert access(connection, viewer) == (Role.VIEWER, [])


def test_a_limited_admin_cannot_revoke_an_invitation_beyond_their_websites(
    connection, limited_admin, logged_in, sites
):
    _, client = limited_admin
    invite(logged_in, connection, "For every website")
    invitation = Invitation.objects.get()
    revoke = members_url(connection, "invitation_revoke", args=[invitation.pk])
    assert revoke not in client.get(members_url(connection)).content.decode()
    response = client.post(revoke, follow=True)
    assert f"You may grant access only to the websites you have: {sites[0][1]}." in visible_text(
        response.content
    )
    assert Invitation.objects.get().state == "pending"


def test_a_limited_admin_cannot_rename_or_delete_the_connection(connection, limited_admin, sandbox_key):
    _, client = limited_admin
    edit, delete = (reverse(name, args=[connection.pk]) for name in ("connection_edit", "connection_delete"))
    for response in (
        client.get(edit),
        client.post(edit, {"label": "Mine now", "server": connection.server, "api_key": sandbox_key}),
        client.get(delete),
        client.post(delete),
    ):
        assert response.status_code == 403
        assert "Only an admin of every website can change or delete the connection itself." in visible_text(
            response.content
        )
    assert Connection.objects.filter(pk=connection.pk, label="Sandbox").exists()
    assert not Activity.objects.filter(kind__startswith="connection.").exists()
    # The connections page offers them neither.
    page = client.get(reverse("connections")).content.decode()
    assert edit not in page and delete not in page


# 4. Invitations do not outlive the admin who made them, and none hides.


def invite(client, connection, note):
    response = client.post(members_url(connection, "invitation_new"), {"note": note, "role": "editor"})
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index("http://testserver/invitations/")
    return page[start : page.index('"', start)].removeprefix("http://testserver")


@pytest.mark.parametrize("how", ["removed", "demoted"])
def test_an_admin_who_is_removed_or_demoted_takes_their_pending_invitations_along(
    connection, logged_in, people, how
):
    ben, ben_client = people("ben", Role.ADMIN)
    link = invite(ben_client, connection, "For Eve")
    row = membership(connection, ben)
    if how == "removed":
        logged_in.post(members_url(connection, "member_remove", args=[row.pk]))
    else:
        logged_in.post(members_url(connection, "member_change", args=[row.pk]), {"role": "editor"})
    assert Invitation.objects.get().state == "revoked"
    response = Client().get(link)
    assert response.status_code == 410 and "An admin revoked it." in visible_text(response.content)
    assert Activity.objects.filter(kind=Kind.INVITATION_REVOKE, username="marketer").count() == 1


def test_an_invitation_whose_maker_left_another_way_does_not_work(connection, people):
    ben, ben_client = people("ben", Role.ADMIN)
    link = invite(ben_client, connection, "For Eve")
    # Removed through the admin site, or their account deleted: no members page involved.
    membership(connection, ben).delete()
    response = Client().post(
        link,
        {"username": "eve", "password1": "a long enough passphrase", "password2": "a long enough passphrase"},
    )
    assert response.status_code == 410 and "An admin revoked it." in visible_text(response.content)
    assert not Membership.objects.filter(user__username="eve").exists()


def test_every_pending_invitation_stays_listed_however_many_came_after(connection, logged_in):
    invite(logged_in, connection, "The first")
    first = Invitation.objects.get()
    for number in range(25):
        invite(logged_in, connection, f"Later {number}")
        later = Invitation.objects.latest("created")
        logged_in.post(members_url(connection, "invitation_revoke", args=[later.pk]))
    page = logged_in.get(members_url(connection)).content.decode()
    assert "The first" in visible_text(page)
    form_posting_to(page, members_url(connection, "invitation_revoke", args=[first.pk]))


# 6. The creator stays an admin of every website.


def test_a_co_admin_cannot_demote_limit_or_remove_the_creator(connection, people, user, sites):
    _, client = people("ben", Role.ADMIN)
    creator = membership(connection, user)
    action = members_url(connection, "member_change", args=[creator.pk])
    refused = (
        "marketer added this connection, which runs on their API key: they stay its admin, of every website."
    )
    for data in ({"role": "viewer"}, {"role": "admin", "websites": [sites[0][0]]}):
        response = client.post(action, data)
        assert response.status_code == 400 and refused in visible_text(response.content)
    response = client.post(members_url(connection, "member_remove", args=[creator.pk]), follow=True)
    assert refused in visible_text(response.content)
    assert access(connection, user) == (Role.ADMIN, [])
    assert client.get(reverse("flows:list", args=[connection.pk])).status_code == 200


# 8. An invitation's note is for admins only.


def test_an_invitations_note_reaches_admins_only_in_the_history(connection, logged_in, people):
    invite(logged_in, connection, "eve@example.com")
    history = reverse("teams:activity", args=[connection.pk])
    assert "eve@example.com" in visible_text(logged_in.get(history).content)
    for role in (Role.VIEWER, Role.EDITOR):
        _, client = people(f"a-{role}", role)
        response = client.get(history)
        text = visible_text(response.content)
        assert "Invitation made" in text and "eve@example.com" not in text
        assert "eve@example.com" not in response.content.decode()
