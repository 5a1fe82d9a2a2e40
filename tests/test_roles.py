"""Roles on a shared connection: every URL of the dashboard x every role, each of every website
or limited to one (teams.grants) x member / non-member.

Non-members get 404, as for a connection that does not exist; a member whose role is below what
a URL needs gets 403, a readable page (for htmx, a toast) that changes nothing; a member with the
role gets the page. A limited member has their role's rights on their website's flows, except
that a limited admin may not change the connection itself (403) and grants no more than they
hold: what the members URLs are sent here (a member of every website, an invitation to every
website) changes nothing. The URLs come from the isolation walker, and every one of them must
appear in NEEDS, so a URL added later cannot skip this matrix.
"""

import json

import pytest
from django.test import Client

from activity.history import record
from activity.models import Kind
from flows_app.models import SANDBOX, Connection, Membership, Role
from jobs import bulk
from jobs.models import BulkJob
from sandbox.models import ApiAccount
from teams.models import Invitation
from tests.helpers import HTMX, make_flows
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.routes import PARAMETER, ROUTES, fill

VIEWER, EDITOR, ADMIN = Role.VIEWER, Role.EDITOR, Role.ADMIN
OWNER = "owner"  # only the person who added the connection (its default is theirs)
C = "connections/<id:connection_id>/"
F = C + "flows/<id:flow_id>/"
NEEDS = {
    C + "edit/": ADMIN,
    C + "delete/": ADMIN,
    C + "default/": OWNER,
    C + "flows/": VIEWER,
    C + "flows/new/": EDITOR,
    C + "flows/export.csv": VIEWER,
    C + "flows/export.json": VIEWER,
    C + "flows/import/": EDITOR,
    C + "flows/segments/": VIEWER,
    C + "websites/": VIEWER,
    F: VIEWER,
    F + "edit/": EDITOR,
    F + "toggle/": EDITOR,
    F + "delete/": EDITOR,
    F + "duplicate/": EDITOR,
    F + "pause/": EDITOR,
    F + "deliveries/": VIEWER,
    F + "activity/": VIEWER,
    C + "members/": ADMIN,
    C + "members/add/": ADMIN,
    C + "members/<id:member_id>/": ADMIN,
    C + "members/<id:member_id>/remove/": ADMIN,
    C + "invitations/": ADMIN,
    C + "invitations/<id:invitation_id>/revoke/": ADMIN,
    C + "groups/": ADMIN,
    C + "activity/": VIEWER,
    C + "trends/": VIEWER,
    C + "stats.csv": VIEWER,
    C + "websites/<id:website_id>/trends/": VIEWER,
    C + "websites/<id:website_id>/sequence/": VIEWER,
    C + "websites/<id:website_id>/stats.csv": VIEWER,
    F + "trend/": VIEWER,
    F + "stats.csv": VIEWER,
    C + "activity/<id:entry_id>/restore/": EDITOR,
    C + "flows/bulk/": EDITOR,
    C + "jobs/": VIEWER,
    C + "subscribers/": EDITOR,
    C + "subscribers/devices/": EDITOR,
    C + "flows/test/": EDITOR,
    F + "test/": EDITOR,
}
# The connection as a whole: every website's, not a limited admin's (teams.grants).
WHOLE_CONNECTION = {C + "edit/", C + "delete/"}
# Members, invitations and groups' roles: a limited admin reaches them, but may grant no more than they hold.
GRANTS = {route for route in NEEDS if "/members/" in route or "/invitations/" in route or "/groups/" in route}
LIMITED = "limited "
PEOPLE = ["viewer", "editor", "admin", "outsider", *(LIMITED + role for role in (VIEWER, EDITOR, ADMIN))]
# Trends of a flow Pushdeck has no snapshot of yet answer 404 (trends/views.py).
WITHOUT_HISTORY_404 = {F + "trend/", F + "stats.csv"}
SHARED = sorted(route for route in ROUTES if "connection_id" in PARAMETER.findall(route))


def test_every_url_of_a_connection_says_which_role_it_needs():
    assert set(SHARED) == set(NEEDS)


@pytest.fixture
def team(django_user_model, sandbox_url, sandbox_key, sandbox_media):
    """A connection made by its owner and shared with a viewer, an editor and a second admin of
    every website, and with a viewer, an editor and an admin limited to the website of its flow."""
    people = {
        name: django_user_model.objects.create_user(name.replace(" ", "-"), password="correct horse battery")
        for name in ("owner", *PEOPLE)
    }
    connection = Connection(owner=people["owner"], label="Shared shop", server=SANDBOX, is_default=True)
    connection.set_api_key(sandbox_key)
    connection.save()
    make_flows(sandbox_key, 2)
    flow = ApiAccount.objects.with_key(sandbox_key).get().flows.order_by("id").first()
    for role in (VIEWER, EDITOR, ADMIN):
        Membership.objects.create(connection=connection, user=people[role], role=role)
        Membership.objects.create(
            connection=connection, user=people[LIMITED + role], role=role, websites=[flow.website_id]
        )
    entry = record(
        people["owner"],
        connection,
        Kind.FLOW_EDIT,
        flow_id=flow.id,
        before={"name": "a", "website_id": flow.website_id},
        after={"name": flow.name, "website_id": flow.website_id},
    )
    invitation = Invitation(connection=connection, created_by=people["owner"])
    invitation.issue_token()
    invitation.save()
    values = {
        "connection_id": connection.pk,
        "flow_id": flow.id,
        "member_id": connection.memberships.get(user=people["viewer"]).pk,
        "invitation_id": invitation.pk,
        "entry_id": entry.pk,
        "website_id": flow.website_id,
    }
    return people, connection, values


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def state(connection, sandbox_key):
    flows = ApiAccount.objects.with_key(sandbox_key).get().flows.order_by("id")
    return (
        list(
            Connection.objects.filter(pk=connection.pk).values_list(
                "label", "is_default", "api_key_encrypted"
            )
        ),
        [(flow.id, flow.name, flow.is_enabled) for flow in flows],
        list(connection.memberships.order_by("pk").values_list("user_id", "role", "websites")),
        list(connection.invitations.values_list("pk", "revoked")),
    )


def allowed(person, needed, route):
    if needed == OWNER:
        return person == "owner"
    if person.startswith(LIMITED):
        return route not in WHOLE_CONNECTION and Role(person.removeprefix(LIMITED)).allows(needed)
    return person == "owner" or Role(person).allows(needed)


def send(client, method, url, htmx):
    data = {"is_enabled": "0", "label": "Renamed", "server": SANDBOX, "name": "Renamed", "role": "viewer"}
    headers = HTMX if htmx else {}
    return client.post(url, data, **headers) if method == "post" else client.get(url, **headers)


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("route", SHARED)
def test_each_role_gets_exactly_its_rights(team, sandbox_key, route, person):
    people, connection, values = team
    client, url, needed = client_for(people[person]), fill(route, values), NEEDS[route]
    reached = False
    for method in ("get", "post"):
        for htmx in (False, True):
            before = state(connection, sandbox_key)
            response = send(client, method, url, htmx)
            if response.status_code == 405:
                continue
            reached = True
            if person == "outsider":
                assert response.status_code == 404, (method, url)
                assert "Shared shop" not in response.content.decode()
            elif not allowed(person, needed, route):
                assert response.status_code == 403, (method, url, response.status_code)
                if htmx:
                    toast = json.loads(response["HX-Trigger"])["toasts"]["items"][0]
                    assert toast["level"] == "error" and toast["message"]
                else:
                    page = response.content.decode()
                    assert "Your role does not allow this" in page or "Only the person" in page
                assert state(connection, sandbox_key) == before, "a refused request changed something"
            elif person == LIMITED + ADMIN and route in GRANTS:
                # The viewer and the invitation sent here are of every website: beyond them.
                assert response.status_code not in (403, 404, 500), (method, url, response.status_code)
                assert state(connection, sandbox_key) == before, (
                    "a limited admin granted beyond their websites"
                )
            elif route in WITHOUT_HISTORY_404:
                # A flow with no recorded history answers 404 to everyone: the owner too.
                assert response.status_code != 403
                assert (
                    response.status_code == send(client_for(people["owner"]), method, url, htmx).status_code
                )
            else:
                assert response.status_code not in (403, 404), (method, url, response.status_code)
                return  # an allowed write may have changed what the next request would see
    assert reached, f"{route} answers no method"


def test_the_403_page_names_the_role_and_who_can_change_it(team):
    people, _, values = team
    response = client_for(people["viewer"]).get(fill(C + "flows/new/", values))
    page = response.content.decode()
    assert response.status_code == 403
    assert "Your role on “Shared shop” is Viewer; this needs Editor." in page
    assert "owner" in page and "admin" in page


# Bulk jobs, for members limited to one website: a job is seen only by who sees every flow of it,
# and cancelled or retried only by who may also change them all (an editor or admin of them).
JOB_URLS = {
    "list": ("get", "/connections/{connection}/jobs/"),
    "detail": ("get", "/jobs/{job}/"),
    "cancel": ("post", "/jobs/{job}/cancel/"),
    "retry": ("post", "/jobs/{job}/retry/"),
}


@pytest.fixture
def limited_team(team, sandbox_key):
    """The team (its viewer, editor and admin limited to the first flow's website), and a job of
    the owner's over each of the two flows (each on a website of its own)."""
    people, connection, _ = team
    mine, theirs = ApiAccount.objects.with_key(sandbox_key).get().flows.order_by("id")[:2]
    assert mine.website_id != theirs.website_id
    for role in (VIEWER, EDITOR, ADMIN):
        assert people[LIMITED + role].memberships.get(connection=connection).websites == [mine.website_id]
    jobs = {
        whose: bulk.start(
            connection,
            people["owner"],
            "pause",
            [flow.id],
            names={flow.id: flow.name},
            websites={flow.id: flow.website_id},
        )[0]
        for whose, flow in (("mine", mine), ("theirs", theirs))
    }
    return people, connection, jobs


def job_state(job):
    job.refresh_from_db()
    return job.state, job.run_as_id, job.cancelled_by_id


@pytest.mark.parametrize("whose", ["mine", "theirs"])
@pytest.mark.parametrize("role", [VIEWER, EDITOR, ADMIN])
@pytest.mark.parametrize("what", list(JOB_URLS))
def test_a_limited_member_sees_cancels_and_retries_only_jobs_of_their_websites(
    limited_team, what, role, whose
):
    people, connection, jobs = limited_team
    job, method = jobs[whose], JOB_URLS[what][0]
    url = JOB_URLS[what][1].format(connection=connection.pk, job=job.pk)
    client = client_for(people[f"limited {role}"])
    before = job_state(job)
    response = client.post(url) if method == "post" else client.get(url)
    if what == "list":
        assert response.status_code == 200
        assert (f'href="/jobs/{job.pk}/"' in response.content.decode()) == (whose == "mine")
    elif whose == "theirs":
        assert response.status_code == 404, "a job over another website is as missing"
    elif method == "get":
        assert response.status_code == 200
    elif role == VIEWER:
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        if what == "cancel":
            assert job_state(job) == (
                BulkJob.State.CANCELLED,
                people["owner"].pk,
                people[f"limited {role}"].pk,
            )
        return
    assert job_state(job) == before, "a refused request changed the job"
