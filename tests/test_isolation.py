"""Per-user isolation: every URL of the dashboard, with every method, given another user's ids,
answers 404 (or 405 for a method the URL never takes), exactly as for ids that do not exist, and
leaves the other user's things as they were.

The URLs are read from the project's URLconf, so a URL added later, in any app, is walked
without anyone remembering to add it here. tests/test_roles.py walks the same URLs for every role.
"""

import io

import pytest
from PIL import Image

from activity.history import record
from activity.models import Kind
from flows_app.api import ImageUpload
from flows_app.drafts import keep_upload
from flows_app.models import SANDBOX, Connection
from jobs import bulk
from jobs.models import BulkJob
from sandbox.models import ApiAccount
from sends.models import TestDevice, TestSend
from teams.models import Invitation
from tests.helpers import HTMX, make_flows
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.routes import NOT_IDS, PARAMETER, ROUTES, WITH_IDS, fill

METHODS = ("get", "post", "put", "patch", "delete")
# URLs that take no id (the catalog's language and version are none): nothing of another user's
# can be named through them.
# preferences/theme/ changes only the signed-in user's own preferences.
WITHOUT_IDS = {
    "",
    "accounts/login/",
    "accounts/logout/",
    "accounts/oidc/oidc/login/",
    "accounts/oidc/oidc/login/callback/",
    "accounts/reauthenticate/",
    "accounts/password/reset/",
    "accounts/password/reset/done/",
    "accounts/password/reset/key/<base36:uidb36>-<str:key>/",
    "accounts/password/reset/key/done/",
    "accounts/2fa/",
    "accounts/2fa/authenticate/",
    "accounts/2fa/reauthenticate/",
    "accounts/2fa/recovery-codes/",
    "accounts/2fa/recovery-codes/download/",
    "accounts/2fa/recovery-codes/generate/",
    "accounts/2fa/totp/activate/",
    "accounts/2fa/totp/deactivate/",
    "people/",
    "people/change/",
    "people/invite/",
    "connections/",
    "connections/new/",
    "preferences/theme/",
    "preferences/language/",
    "preferences/columns/",
    "favicon.ico",
    "jsi18n/<str:language>/<str:catalog_version>.js",
}
# An invitation's link is for someone without an account yet; the icon is for every browser, and
# so is the JavaScript catalog (app.js's texts, the same for everyone: the login page needs it).
# Signing in with the provider, resetting a password and a break-glass link come before an account
# is signed in.
PUBLIC = {
    "accounts/login/",
    "accounts/oidc/oidc/login/",
    "accounts/oidc/oidc/login/callback/",
    "accounts/password/reset/",
    "accounts/password/reset/done/",
    "accounts/password/reset/key/<base36:uidb36>-<str:key>/",
    "accounts/password/reset/key/done/",
    "accounts/break-glass/<str:token>/",
    "invitations/<str:token>/",
    "favicon.ico",
    "jsi18n/<str:language>/<str:catalog_version>.js",
}
MISSING = 987654


@pytest.fixture
def theirs(other_user, other_sandbox_key, sandbox_url, sandbox_media):
    """Another user's connection (default), a flow of theirs, and an image kept for their form."""
    connection = Connection(owner=other_user, label="Their secret shop", server=SANDBOX, is_default=True)
    connection.set_api_key(other_sandbox_key)
    connection.save()
    make_flows(other_sandbox_key, 2)
    flow = ApiAccount.objects.with_key(other_sandbox_key).get().flows.order_by("id").first()
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    token = keep_upload(other_user, ImageUpload("theirs.png", buffer.getvalue(), "image/png"))
    job, _ = bulk.start(connection, other_user, "pause", [flow.id])
    entry = record(
        other_user, connection, Kind.FLOW_EDIT, flow_id=flow.id, before={"name": "a"}, after={"name": "b"}
    )
    invitation = Invitation(connection=connection, created_by=other_user)
    invitation.issue_token()
    invitation.save()
    device = TestDevice.objects.create(
        user=other_user,
        connection=connection,
        website_id=flow.website_id,
        subscriber_id=1,
        label="Their phone",
    )
    test = TestSend.objects.create(
        user=other_user, connection=connection, website_id=flow.website_id, subscriber_id=1, notification_id=1
    )
    return {
        "connection_id": connection.pk,
        "flow_id": flow.id,
        "website_id": flow.website_id,
        "token": token,
        "connection": connection,
        "job_id": job.pk,
        "item_id": job.items.get().pk,
        "member_id": connection.memberships.get().pk,
        "invitation_id": invitation.pk,
        "entry_id": entry.pk,
        "device_id": device.pk,
        "send_id": test.pk,
        "flow_name": flow.name,
    }


@pytest.fixture
def mine(connection, sandbox_key):
    make_flows(sandbox_key, 1)
    return {"connection_id": connection.pk}


def snapshot(theirs, other_sandbox_key):
    connection = Connection.objects.get(pk=theirs["connection_id"])
    flows = ApiAccount.objects.with_key(other_sandbox_key).get().flows.order_by("id")
    jobs = BulkJob.objects.filter(connection=connection)
    return (
        (connection.label, connection.is_default, connection.api_key_encrypted),
        [(flow.id, flow.name, flow.title, flow.is_enabled, flow.image) for flow in flows],
        [(job.pk, job.state, [item.state for item in job.items.all()]) for job in jobs],
        list(connection.memberships.values_list("user_id", "role", "websites")),
        list(connection.invitations.values_list("pk", "used", "revoked")),
        connection.activity.count(),
    )


def answer(client, method, url, htmx):
    data = {"is_enabled": "0", "label": "Mine now", "server": SANDBOX, "name": "Mine now"}
    headers = HTMX if htmx else {}
    if method == "get":
        return client.get(url, **headers)
    if method == "post":
        return client.post(url, data, **headers)
    return getattr(client, method)(url, **headers)


def test_the_walker_sees_every_url_with_an_id():
    assert set(ROUTES) - set(WITH_IDS) == WITHOUT_IDS
    assert len(WITH_IDS) >= 18


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("route", WITH_IDS)
def test_another_users_ids_answer_404_on_every_url_and_method(
    logged_in, mine, theirs, other_sandbox_key, route, htmx
):
    before = snapshot(theirs, other_sandbox_key)
    combinations = [theirs]
    if set(PARAMETER.findall(route)) - {"connection_id"}:
        # Their flow, member, invitation or history entry through my own connection: my key
        # cannot reach their flow, and my connection holds none of their rows.
        combinations.append({**theirs, "connection_id": mine["connection_id"]})
    reached = False
    for values in combinations:
        mine_named = values["connection_id"] == mine["connection_id"]
        # The same URL with ids that exist nowhere (my own connection kept where it was mine).
        absent = dict.fromkeys(
            (
                "connection_id",
                "flow_id",
                "token",
                "member_id",
                "invitation_id",
                "entry_id",
                "website_id",
                "job_id",
                "item_id",
                "device_id",
                "send_id",
            ),
            MISSING,
        )
        if values["connection_id"] == mine["connection_id"]:
            absent["connection_id"] = mine["connection_id"]
        for method in METHODS:
            response = answer(logged_in, method, fill(route, values), htmx)
            missing = answer(logged_in, method, fill(route, absent), htmx)
            # Through my own connection a history is mine to read (empty of their flow's
            # entries): the answer only has to be the same as for an id that exists nowhere.
            if not mine_named:
                assert response.status_code in (404, 405), (method, fill(route, values), response.status_code)
            assert response.status_code == missing.status_code, (
                "another user's id answers unlike a missing one"
            )
            body = response.content.decode(errors="replace")
            assert "Their secret shop" not in body
            assert theirs["flow_name"] not in body
            reached = reached or response.status_code == 404
    assert reached, f"no method of {route} reaches the ownership check"
    assert snapshot(theirs, other_sandbox_key) == before


def test_every_url_needs_a_login(client, theirs):
    for route in ROUTES:
        if route in PUBLIC:
            continue
        url = fill(route, theirs)
        response = client.get(url)
        if route == "accounts/logout/":
            assert response.status_code == 405  # logging out is a POST
            continue
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/login/"), url


def test_my_own_ids_work_so_the_404s_above_mean_something(logged_in, mine, connection, sandbox_key):
    flow = ApiAccount.objects.with_key(sandbox_key).get().flows.get()
    values = {**mine, "flow_id": flow.id}
    for route in (
        "connections/<id:connection_id>/flows/<id:flow_id>/",
        "connections/<id:connection_id>/edit/",
    ):
        assert logged_in.get(fill(route, values)).status_code == 200


@pytest.mark.parametrize("route", WITH_IDS)
def test_an_id_beyond_the_databases_integers_answers_404_on_every_url(logged_in, mine, route):
    # 30 digits: Python takes it as an int, the database cannot (OverflowError, a 500 before).
    beyond = 10**30
    names = set(PARAMETER.findall(route)) - NOT_IDS.keys() - {"token"}
    for name in names:
        values = {**dict.fromkeys(names, 1), **mine, "token": "x", name: beyond}
        for method in ("get", "post"):
            response = getattr(logged_in, method)(fill(route, values))
            assert response.status_code == 404, (method, fill(route, values), response.status_code)
