"""Groups of the identity provider mapped to roles on a connection (teams/groups.py): what a sign-in
with these groups makes of someone's access, under the team rules, and the members page's form."""

import pytest
from django.urls import reverse

from flows_app.models import Membership, Role
from teams.groups import follow
from teams.models import GroupRole
from tests.identity import provider_settings
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import visible_text


@pytest.fixture
def ana(django_user_model):
    return django_user_model.objects.create_user("ana")


def mapped(connection, group, role=Role.VIEWER, websites=(), by=None):
    return GroupRole.objects.create(
        connection=connection,
        group=group,
        role=role,
        websites=list(websites),
        created_by=by or connection.owner,
    )


def access(connection, person):
    membership = Membership.objects.filter(connection=connection, user=person).first()
    return membership and (membership.role, membership.websites)


def test_the_strongest_role_of_their_groups_is_theirs_and_leaving_them_all_removes_it(connection, ana):
    mapped(connection, "readers", Role.VIEWER)
    mapped(connection, "writers", Role.EDITOR, websites=[7])
    follow(ana, ["readers", "writers", "unmapped"])
    assert access(connection, ana) == (Role.EDITOR, [7])
    follow(ana, ["readers"])
    assert access(connection, ana) == (Role.VIEWER, [])
    follow(ana, [])
    assert access(connection, ana) is None


def test_a_membership_granted_by_hand_is_never_touched_by_groups(connection, ana):
    Membership.objects.create(connection=connection, user=ana, role=Role.ADMIN)
    mapped(connection, "readers", Role.VIEWER)
    follow(ana, ["readers"])
    follow(ana, [])
    assert access(connection, ana) == (Role.ADMIN, [])


def test_the_connections_creator_stays_its_admin_whatever_their_groups(connection, user):
    mapped(connection, "readers", Role.VIEWER)
    follow(user, ["readers"])
    follow(user, [])
    assert access(connection, user) == (Role.ADMIN, [])


def test_a_mapping_is_worth_what_its_maker_may_still_grant(connection, ana, django_user_model):
    deputy = django_user_model.objects.create_user("deputy")
    Membership.objects.create(connection=connection, user=deputy, role=Role.ADMIN)
    mapped(connection, "writers", Role.EDITOR, by=deputy)
    Membership.objects.filter(user=deputy).update(role=Role.VIEWER)
    follow(ana, ["writers"])
    assert access(connection, ana) is None, "its maker is no admin any more"


def test_a_limited_admin_maps_a_group_to_no_more_than_their_websites(
    client, connection, demo_flows, settings
):
    provider_settings(settings, "http://127.0.0.1:9")
    websites = sorted({flow.website.id for flow in demo_flows})
    limited = type(connection.owner).objects.create_user("limited-admin")
    Membership.objects.create(connection=connection, user=limited, role=Role.ADMIN, websites=[websites[0]])
    client.force_login(limited)
    url = reverse("teams:group_roles", args=[connection.pk])
    response = client.post(url, {"group": "marketing", "role": "editor"})
    assert response.status_code == 400
    assert "Tick at least one: you may grant only your own websites." in visible_text(response.content)
    assert 'value="marketing"' in response.content.decode(), "nothing typed is lost"
    assert (
        client.post(url, {"group": "marketing", "role": "editor", "websites": [websites[0]]}).status_code
        == 302
    )
    assert GroupRole.objects.get().websites == [websites[0]]
    page = visible_text(client.get(reverse("teams:members", args=[connection.pk])).content)
    assert "Groups of the identity provider" in page and "marketing · Editor" in page
