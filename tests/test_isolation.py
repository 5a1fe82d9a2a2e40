"""Per-user isolation: every URL of the dashboard, with every method, given another user's ids,
answers 404 (or 405 for a method the URL never takes), exactly as for ids that do not exist, and
leaves the other user's things as they were.

The URLs are read from flows_app.urls and trends.urls, so a URL added later is walked without
anyone remembering to add it here.
"""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver
from PIL import Image

from flows_app import urls
from flows_app.api import ImageUpload
from flows_app.drafts import keep_upload
from flows_app.models import SANDBOX, Connection
from sandbox.models import ApiAccount
from trends import urls as trends_urls

METHODS = ("get", "post", "put", "patch", "delete")
HTMX = {"HTTP_HX_REQUEST": "true"}
# URLs that take no id: nothing of another user's can be named through them.
# preferences/theme/ changes only the signed-in user's own preferences.
WITHOUT_IDS = {
    "",
    "accounts/login/",
    "accounts/logout/",
    "connections/",
    "connections/new/",
    "preferences/theme/",
}
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
MISSING = 987654


def routes(patterns=urls.urlpatterns, prefix=""):
    """Every route of flows_app.urls, includes flattened, as Django's pattern strings."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield prefix + str(pattern.pattern)


# trends.urls is included under each connection (dashboard/urls.py).
ROUTES = sorted([*routes(), *routes(trends_urls.urlpatterns, "connections/<int:connection_id>/")])
WITH_IDS = [route for route in ROUTES if PARAMETER.search(route)]


def fill(route, values):
    def value(match):
        name = match.group(1)
        assert name in values, f"the isolation walker does not know the URL parameter {name!r}: teach it"
        return str(values[name])

    return "/" + PARAMETER.sub(value, route)


@pytest.fixture
def theirs(other_user, other_sandbox_key, sandbox_url, sandbox_media):
    """Another user's connection (default), a flow of theirs, and an image kept for their form."""
    connection = Connection(owner=other_user, label="Their secret shop", server=SANDBOX, is_default=True)
    connection.set_api_key(other_sandbox_key)
    connection.save()
    call_command("sandbox_demo", "--key", other_sandbox_key, "--flows", "2", verbosity=0)
    flow = ApiAccount.objects.with_key(other_sandbox_key).get().flows.order_by("id").first()
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    token = keep_upload(other_user, ImageUpload("theirs.png", buffer.getvalue(), "image/png"))
    return {
        "connection_id": connection.pk,
        "flow_id": flow.id,
        "website_id": flow.website_id,
        "token": token,
        "connection": connection,
    }


@pytest.fixture
def mine(connection, sandbox_key):
    call_command("sandbox_demo", "--key", sandbox_key, "--flows", "1", verbosity=0)
    return {"connection_id": connection.pk}


def snapshot(theirs, other_sandbox_key):
    connection = Connection.objects.get(pk=theirs["connection_id"])
    flows = ApiAccount.objects.with_key(other_sandbox_key).get().flows.order_by("id")
    return (
        (connection.label, connection.is_default, connection.api_key_encrypted),
        [(flow.id, flow.name, flow.title, flow.is_enabled, flow.image) for flow in flows],
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
    assert {route for route in ROUTES if not PARAMETER.search(route)} == WITHOUT_IDS
    assert len(WITH_IDS) >= 9


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("route", WITH_IDS)
def test_another_users_ids_answer_404_on_every_url_and_method(
    logged_in, mine, theirs, other_sandbox_key, route, htmx
):
    before = snapshot(theirs, other_sandbox_key)
    combinations = [theirs]
    if "flow_id" in route:
        # Their flow through my own connection: my key cannot reach it either.
        combinations.append({**theirs, "connection_id": mine["connection_id"]})
    reached = False
    for values in combinations:
        # The same URL with ids that exist nowhere (my own connection kept where it was mine).
        absent = {**dict.fromkeys(("connection_id", "flow_id", "website_id", "token"), MISSING)}
        if values["connection_id"] == mine["connection_id"]:
            absent["connection_id"] = mine["connection_id"]
        for method in METHODS:
            response = answer(logged_in, method, fill(route, values), htmx)
            missing = answer(logged_in, method, fill(route, absent), htmx)
            assert response.status_code in (404, 405), (method, fill(route, values), response.status_code)
            assert response.status_code == missing.status_code, (
                "another user's id answers unlike a missing one"
            )
            body = response.content.decode(errors="replace")
            assert "Their secret shop" not in body
            reached = reached or response.status_code == 404
    assert reached, f"no method of {route} reaches the ownership check"
    assert snapshot(theirs, other_sandbox_key) == before


def test_every_url_needs_a_login(client, theirs):
    for route in ROUTES:
        if route == "accounts/login/":
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
        "connections/<int:connection_id>/flows/<int:flow_id>/",
        "connections/<int:connection_id>/edit/",
    ):
        assert logged_in.get(fill(route, values)).status_code == 200
