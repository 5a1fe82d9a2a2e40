"""CSRF on every state change, htmx included: with Django's checks enforced (as a browser meets
them), every URL refuses a POST without the token, and accepts it with the X-CSRFToken header
that htmx sends from the body's hx-headers."""

import io
import json
import re

import pytest
from django.test import Client
from django.utils.timezone import now
from PIL import Image

from activity.history import record
from activity.models import Kind
from flows_app.api import ImageUpload
from flows_app.drafts import keep_upload
from jobs import bulk
from sandbox.models import ApiAccount
from sends.models import TestDevice, TestSend
from teams.models import Invitation
from tests.helpers import make_flows
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import visible_text
from tests.routes import ROUTES, fill

HX_HEADERS = re.compile(r"<body[^>]*\shx-headers='([^']*)'")


@pytest.fixture
def browser(user, connection, sandbox_key, sandbox_media):
    """A logged-in client that enforces CSRF like a browser, and ids of the user's own things."""
    make_flows(sandbox_key, 1)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    flow = ApiAccount.objects.with_key(sandbox_key).get().flows.get()
    job, _ = bulk.start(connection, user, "pause", [flow.id])
    client.ids = {
        "connection_id": connection.pk,
        "flow_id": flow.id,
        "website_id": flow.website_id,
        "token": keep_upload(user, ImageUpload("mine.png", buffer.getvalue(), "image/png")),
        "member_id": connection.memberships.get().pk,
        "invitation_id": Invitation.objects.create(
            connection=connection, token_hash="0" * 64, expires=now()
        ).pk,
        "entry_id": record(
            user, connection, Kind.CONNECTION_EDIT, before={"label": "a"}, after={"label": "b"}
        ).pk,
        "job_id": job.pk,
        "item_id": job.items.get().pk,
        "device_id": TestDevice.objects.create(
            user=user, connection=connection, website_id=flow.website_id, subscriber_id=1, label="Mine"
        ).pk,
        "send_id": TestSend.objects.create(
            user=user, connection=connection, website_id=flow.website_id, subscriber_id=1, notification_id=1
        ).pk,
    }
    return client


def htmx_token(client):
    """The token a page hands htmx through <body hx-headers>, as htmx would send it."""
    page = client.get("/connections/").content.decode()
    return json.loads(HX_HEADERS.search(page).group(1))["X-CSRFToken"]


@pytest.mark.parametrize("route", ROUTES)
def test_every_post_without_the_token_is_refused_with_a_readable_page(browser, route):
    url = fill(route, browser.ids)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = browser.post(url, {"is_enabled": "0"}, **headers)
        assert response.status_code == 403, url
        assert "This page has expired" in visible_text(response.content)


@pytest.mark.parametrize("route", ROUTES)
def test_every_post_with_the_htmx_header_token_passes_the_csrf_check(browser, route):
    url = fill(route, browser.ids)
    token = htmx_token(browser)
    response = browser.post(url, {"is_enabled": "0"}, HTTP_X_CSRFTOKEN=token, HTTP_HX_REQUEST="true")
    assert response.status_code != 403 or "This page has expired" not in visible_text(response.content), url


def test_a_token_from_another_session_is_refused(browser, other_user, connection):
    stranger = Client(enforce_csrf_checks=True)
    stranger.force_login(other_user)
    token = htmx_token(stranger)
    url = f"/connections/{connection.pk}/flows/{browser.ids['flow_id']}/toggle/"
    htmx_token(browser)  # the browser has its own CSRF cookie
    response = browser.post(url, {"is_enabled": "0"}, HTTP_X_CSRFTOKEN=token, HTTP_HX_REQUEST="true")
    assert response.status_code == 403


def test_every_page_gives_htmx_the_token_on_its_body(browser):
    for url in ("/connections/", f"/connections/{browser.ids['connection_id']}/flows/"):
        page = browser.get(url).content.decode()
        assert HX_HEADERS.search(page), url


def test_the_login_form_needs_the_token_too(client, user):
    guarded = Client(enforce_csrf_checks=True)
    refused = guarded.post("/accounts/login/", {"username": "marketer", "password": "correct horse battery"})
    assert refused.status_code == 403
    page = guarded.get("/accounts/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    accepted = guarded.post(
        "/accounts/login/",
        {"username": "marketer", "password": "correct horse battery", "csrfmiddlewaretoken": token},
    )
    assert accepted.status_code == 302
