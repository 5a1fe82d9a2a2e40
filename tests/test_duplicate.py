"""Duplicate makes a true copy: the image comes along (fetched from the flow's image_url, since
the API cannot copy one). That copies start paused is in tests/test_copying.py."""

import re

import pytest
import requests
from django.urls import reverse

from flows_app.api import Flow, ImageUpload, connect
from flows_app.images import copy_image
from sandbox.models import Flow as SandboxFlow
from tests.helpers import png
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_with, visible_text


def flow_with_image(connection, demo_flows):
    flow = demo_flows.first()
    connect(connection).update_flow(flow.id, {}, ImageUpload("garden.png", png(40, 20), "image/png"))
    flow.refresh_from_db()
    assert flow.image
    return flow


def duplicate_url(connection, flow):
    return reverse("flows:duplicate", args=[connection.pk, flow.id])


def test_duplicate_carries_the_image_over(logged_in, connection, demo_flows, upstream):
    source = flow_with_image(connection, demo_flows)
    page = logged_in.get(duplicate_url(connection, source))
    assert f"The image of “{source.name}” is copied with it" in visible_text(page.content.decode())
    fields = form_with(page.content.decode(), "form_token")
    assert fields["image_token"]
    upstream.clear()
    response = logged_in.post(reverse("flows:new", args=[connection.pk]), fields)
    assert response.status_code == 302
    copy = SandboxFlow.objects.exclude(pk=source.pk).get(name=f"Copy of {source.name}")
    assert copy.image and copy.image != source.image
    created = [call for call in upstream if call.method == "POST"]
    assert len(created) == 1 and created[0].fields["image"][2] == "image/png"


def test_an_image_over_the_size_limit_is_not_copied_and_the_form_says_so(
    logged_in, connection, demo_flows, settings
):
    source = flow_with_image(connection, demo_flows)
    settings.IMAGE_MAX_BYTES = 20
    page = logged_in.get(duplicate_url(connection, source)).content.decode()
    assert "could not be copied: The image is larger than the size allowed" in visible_text(page)
    assert form_with(page, "form_token")["image_token"] == ""


def test_an_image_on_another_host_is_never_fetched(connection, monkeypatch):
    fetched = []
    monkeypatch.setattr(requests, "get", lambda *args, **kwargs: fetched.append(args))
    flow = Flow(
        id=1, website_id=1, name="n", title="t", description="d", image_url="http://169.254.169.254/x.png"
    )
    upload, problem = copy_image(connect(connection), flow)
    assert upload is None and "another server" in problem
    assert fetched == []


def test_the_duplicate_page_says_it_is_a_copy_in_its_breadcrumb_title_and_subtitle(
    logged_in, connection, demo_flows
):
    source = demo_flows.first()
    html = logged_in.get(duplicate_url(connection, source)).content.decode()
    crumbs = visible_text(re.search(r'<nav class="crumbs".*?</nav>', html, re.S).group(0))
    assert crumbs == f"Flows / {source.name} / Duplicate"
    assert f"<title>Duplicate {source.name}" in html
    text = visible_text(html)
    assert "A new flow with the same settings: change what should differ, then save." in text
    assert "Sent automatically to each new subscriber" not in text
    chinese = visible_text(
        logged_in.get(
            duplicate_url(connection, source), headers={"Accept-Language": "zh-hans"}
        ).content.decode()
    )
    assert f"流程 / {source.name} / 复制" in chinese and f"复制流程“{source.name}”" in chinese


@pytest.mark.live
def test_an_image_the_server_no_longer_has_is_not_copied_and_the_form_says_so(
    logged_in, connection, demo_flows, sandbox_media
):
    source = flow_with_image(connection, demo_flows)
    for stored in sandbox_media.rglob("*.png"):
        stored.unlink()
    page = visible_text(logged_in.get(duplicate_url(connection, source)).content.decode())
    assert "could not be copied: The image could not be read (HTTP 404)." in page
