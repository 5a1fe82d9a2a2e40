"""Nothing a user typed is lost: a create or an edit that fails, for any reason, comes back with
every value, and the chosen image is kept on the server (on disk, briefly) so that it need
not be picked again."""

import os
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from flows_app.drafts import UPLOAD_SECONDS
from sandbox import images as sandbox_images
from sandbox.models import ApiAccount
from sandbox.models import Flow as SandboxFlow
from tests.faults import FAULTS, expected_message, hang_seconds, inject
from tests.helpers import png
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_with, what_the_user_reads

# Every field a user can type, with values that are easy to lose: non-ASCII, quotes, markup.
TYPED = {
    "name": "Réveil \N{EN DASH} \N{LEFT DOUBLE QUOTATION MARK}spring\N{RIGHT DOUBLE QUOTATION MARK} <sale> & more 😀",
    "title": "Ça va? 20% off <b>today</b>",
    "description": "Line one.\r\nLine two with ümlauts & 'quotes'.",
    "url": "https://shop.example/spring?utm=1&x=2",
    "segment": "all",
    "wait_time": "36",
    "wait_time_type": "hours",
    "ttl": "604800",
    "urgency": "high",
    "is_silent": "on",
    "is_auto_hide": "on",
    "button_title_1": "Shop ✓",
    "button_url_1": "https://shop.example/b1",
    "button_title_2": "Later",
    "button_url_2": "https://shop.example/b2",
    "utm_source": "push",
    "utm_medium": "flow & more",
    "utm_campaign": "spring-2026",
}
CHECKBOXES = ("is_enabled", "is_silent", "is_auto_hide")


def typed(website_id, **extra):
    # is_enabled left unticked: a box the user cleared must come back cleared.
    return {**TYPED, "website_id": str(website_id), **extra}


def assert_every_value_came_back(response, sent):
    shown = form_with(response.content, "title")
    for name, value in sent.items():
        if name in ("image", "form_token", "fingerprint", "image_token", "csrfmiddlewaretoken"):
            continue
        assert shown.get(name) == value, f"{name}: typed {value!r}, shown {shown.get(name)!r}"
    for box in CHECKBOXES:
        assert (box in shown) == (box in sent), (
            f"the {box} box came back {'ticked' if box in shown else 'clear'}"
        )


def kept_image_token(response):
    token = form_with(response.content, "title").get("image_token")
    assert token, "the chosen image was not kept"
    return token


def new_form(client, connection):
    return form_with(client.get(reverse("flows:new", args=[connection.pk])).content, "form_token")


def edit_form(client, connection, flow_id):
    return form_with(client.get(reverse("flows:edit", args=[connection.pk, flow_id])).content, "fingerprint")


def assert_the_form_came_back(logged_in, response, fault, data):
    """The failure is explained, every typed value is back, and so is the chosen image."""
    time.sleep(hang_seconds(fault))
    assert response.status_code >= 400
    assert re.search(expected_message(fault), what_the_user_reads(response))
    assert_every_value_came_back(response, data)
    token = kept_image_token(response)
    assert logged_in.get(reverse("kept_image", args=[token])).content == png(12, 12, color=(200, 30, 90))


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_failed_create_comes_back_with_every_value_and_the_image(
    logged_in, connection, flow, sandbox_key, settings, fault
):
    data = typed(flow.website_id, form_token=new_form(logged_in, connection)["form_token"])
    inject(sandbox_key, fault, settings, methods="POST")
    image = SimpleUploadedFile(
        "holiday photo.png", png(12, 12, color=(200, 30, 90)), content_type="image/png"
    )
    response = logged_in.post(reverse("flows:new", args=[connection.pk]), {**data, "image": image})
    assert_the_form_came_back(logged_in, response, fault, data)


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("methods", ["POST", ""], ids=["the write fails", "every call fails"])
def test_a_failed_edit_comes_back_with_every_value_and_the_image(
    logged_in, connection, flow, sandbox_key, settings, fault, methods
):
    data = {**edit_form(logged_in, connection, flow.id), **typed(flow.website_id)}
    inject(sandbox_key, fault, settings, methods=methods)
    image = SimpleUploadedFile("new.png", png(12, 12, color=(200, 30, 90)), content_type="image/png")
    response = logged_in.post(reverse("flows:edit", args=[connection.pk, flow.id]), {**data, "image": image})
    assert_the_form_came_back(logged_in, response, fault, data)


def test_a_form_error_elsewhere_keeps_the_chosen_image(logged_in, connection, flow):
    data = typed(flow.website_id, form_token=new_form(logged_in, connection)["form_token"], wait_time="91")
    data["wait_time_type"] = "days"
    image = SimpleUploadedFile("photo.png", png(12, 12, color=(200, 30, 90)), content_type="image/png")
    response = logged_in.post(reverse("flows:new", args=[connection.pk]), {**data, "image": image})
    assert response.status_code == 400
    assert_every_value_came_back(response, data)
    assert logged_in.get(reverse("kept_image", args=[kept_image_token(response)])).content == png(
        12, 12, color=(200, 30, 90)
    )


def test_the_kept_image_is_sent_when_the_form_is_saved_again(logged_in, connection, flow, sandbox_key):
    data = typed(flow.website_id, form_token=new_form(logged_in, connection)["form_token"])
    inject(sandbox_key, "503", methods="POST", remaining=1)
    image = SimpleUploadedFile("photo.png", png(12, 12, color=(200, 30, 90)), content_type="image/png")
    failed = logged_in.post(reverse("flows:new", args=[connection.pk]), {**data, "image": image})
    # The user sends the form as it came back: no file chosen again, the kept one is used.
    again = logged_in.post(reverse("flows:new", args=[connection.pk]), form_with(failed.content, "title"))
    assert again.status_code == 302, what_the_user_reads(again)
    created = SandboxFlow.objects.get(
        account__in=ApiAccount.objects.with_key(sandbox_key), name=TYPED["name"]
    )
    assert created.image.endswith(".png")
    assert (created.title, created.description, created.wait_time) == (
        TYPED["title"],
        TYPED["description"],
        36,
    )
    assert (sandbox_images.directory() / created.image).read_bytes() == png(12, 12, color=(200, 30, 90))


def test_the_kept_image_expires(logged_in, connection, flow, sandbox_key):
    data = typed(flow.website_id, form_token=new_form(logged_in, connection)["form_token"])
    inject(sandbox_key, "503", methods="POST", remaining=1)
    image = SimpleUploadedFile("photo.png", png(12, 12, color=(200, 30, 90)), content_type="image/png")
    failed = logged_in.post(reverse("flows:new", args=[connection.pk]), {**data, "image": image})
    token = kept_image_token(failed)
    [kept] = Path(settings.DRAFTS_ROOT).rglob(f"{token}--*")
    fifteen_minutes_ago = time.time() - UPLOAD_SECONDS - 1
    os.utime(kept, (fifteen_minutes_ago, fifteen_minutes_ago))
    assert logged_in.get(reverse("kept_image", args=[token])).status_code == 404


def test_a_ticked_remove_image_box_comes_back_ticked(logged_in, connection, flow, sandbox_key):
    flow.image = "0" * 32 + ".png"
    flow.save()
    data = {**edit_form(logged_in, connection, flow.id), "image_remove": "on"}
    inject(sandbox_key, "503")
    response = logged_in.post(reverse("flows:edit", args=[connection.pk, flow.id]), data)
    assert response.status_code >= 400
    assert form_with(response.content, "title").get("image_remove") == "on"
