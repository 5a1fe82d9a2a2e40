"""Flow pages and fragments, end to end against the sandbox (in-process: tests/inprocess.py)."""

import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from activity.history import record
from activity.models import Activity, Kind
from flows_app.api import connect
from sandbox.models import ApiAccount
from sandbox.models import Flow as SandboxFlow
from tests.helpers import (
    HTMX,
    bomb_png,
    edit_form,
    editable,
    fault,
    form_token,
    png,
    truncated_png,
    url,
    valid_form,
)
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import visible_text
from tests.trends_history import history_fixture  # noqa: F401 -- the history fixture
from trends.series import recording_since


def toasts(response):
    return json.loads(response["HX-Trigger"])["toasts"]["items"]


# The list


def test_list_shows_each_flow_with_stats_in_one_upstream_call(logged_in, connection, demo_flows, upstream):
    flow = demo_flows.first()
    flow.total_displayed_push_notifications = 0
    flow.save()
    response = logged_in.get(url("list", connection))
    assert response.status_code == 200
    assert len(upstream) == 1
    html = response.content.decode()
    assert flow.name in html and flow.title in html
    row = re.search(rf'<tr id="flow-{flow.id}".*?</tr>', html, re.S).group(0)
    assert "\N{EN DASH}" in row, "no click rate when nothing was displayed"
    assert "40 flows" in html
    assert 'style="' not in html


def test_list_passes_page_and_size_through_with_real_links(logged_in, connection, demo_flows, upstream):
    response = logged_in.get(url("list", connection), {"page": "2", "results_per_page": "10"})
    assert upstream[0].params == {"page": 2, "results_per_page": 10}
    html = response.content.decode()
    assert "Page 2 of 4" in html
    assert f'href="/connections/{connection.pk}/flows/?page=3&amp;results_per_page=10"' in html
    assert 'hx-push-url="true"' in html


@pytest.mark.parametrize("size", ["7", "abc", "2000"])
def test_a_size_the_api_does_not_allow_falls_back_to_25_on_page_1(
    logged_in, connection, demo_flows, upstream, size
):
    logged_in.get(url("list", connection), {"page": "3", "results_per_page": size})
    assert upstream[0].params == {"page": 1, "results_per_page": 25}


def test_htmx_gets_only_the_results(logged_in, connection, demo_flows):
    response = logged_in.get(url("list", connection), {"page": "2"}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="flows-results">')
    assert "<html" not in html


def test_the_list_is_cached_and_refresh_bypasses_the_cache(
    logged_in, connection, demo_flows, upstream, clock, settings
):
    logged_in.get(url("list", connection))
    second = logged_in.get(url("list", connection))
    assert len(upstream) == 1
    assert "Updated" in second.content.decode()
    # Past the moments a Refresh is served from the last read (docs/BUDGET.md).
    clock[0] += settings.BUDGET_REFRESH_SECONDS
    logged_in.get(url("list", connection), {"fresh": "1"})
    # Refresh reads the page again; the names it shows are all known, so not the websites,
    # segments and user behind them (cached for minutes).
    assert [call.url.rsplit("/api/", 1)[1] for call in upstream] == ["flows/", "flows/"]


def test_refresh_reads_the_names_again_when_the_page_names_a_website_they_do_not_know(
    logged_in, connection, demo_flows, sandbox_key, upstream, clock, settings
):
    from sandbox.models import ApiAccount, Website

    logged_in.get(url("list", connection))
    clock[0] += settings.BUDGET_REFRESH_SECONDS
    account = ApiAccount.objects.with_key(sandbox_key).get()
    added = Website.objects.create(account=account, name="Brand new shop", host="new.example")
    # The newest flow, first on the page, moves to a website the cached names do not hold.
    type(demo_flows[0]).objects.filter(pk=demo_flows[0].pk).update(website=added)
    upstream.clear()
    page = logged_in.get(url("list", connection), {"fresh": "1"})
    assert sorted(call.url.rsplit("/api/", 1)[1] for call in upstream) == [
        "flows/",
        "segments/",
        "user",
        "websites/",
    ]
    assert "Brand new shop" in page.content.decode()


# Toggle


def test_toggle_sends_the_wanted_state_so_a_double_click_cannot_flip_it_back(
    logged_in, connection, demo_flows, upstream
):
    flow = demo_flows.filter(is_enabled=True).first()
    for _ in range(2):
        response = logged_in.post(url("toggle", connection, flow.id), {"is_enabled": "0"}, **HTMX)
        assert response.status_code == 200
        cell = response.content.decode()
        # The answer is the switch's cell: the rest of the row does not change.
        assert cell.startswith('<td class="toggle-cell"') and cell.endswith("</td>")
        assert f'id="toggle-{flow.id}"' in cell and 'aria-checked="false"' in cell
    flow.refresh_from_db()
    assert flow.is_enabled is False
    assert len(upstream) == 2, "one upstream call per toggle"
    assert all(call.fields == {"is_enabled": "0"} for call in upstream if call.method == "POST")


def test_toggle_without_htmx_redirects_to_the_list(logged_in, connection, demo_flows):
    flow = demo_flows.filter(is_enabled=False).first()
    assert flow is not None, "seed 0's demo flows hold paused ones: this one is switched on"
    response = logged_in.post(url("toggle", connection, flow.id), {"is_enabled": "1"})
    assert response.status_code == 302
    flow.refresh_from_db()
    assert flow.is_enabled is True


def test_toggle_needs_an_explicit_state(logged_in, connection, demo_flows):
    flow = demo_flows.first()
    assert logged_in.post(url("toggle", connection, flow.id), {}, **HTMX).status_code == 400


def test_a_failed_toggle_says_why_in_its_row_and_keeps_the_state(
    logged_in, connection, demo_flows, sandbox_key
):
    flow = demo_flows.filter(is_enabled=True).first()
    fault(sandbox_key, kind="status", status=503, methods="POST")
    response = logged_in.post(url("toggle", connection, flow.id), {"is_enabled": "0"}, **HTMX)
    assert response.status_code == 502
    assert response["HX-Retarget"] == f"#flow-{flow.id}-message"
    assert "had a problem (HTTP 503)" in response.content.decode()
    flow.refresh_from_db()
    assert flow.is_enabled is True


# Detail


def test_detail_shows_every_setting_a_funnel_and_a_preview(logged_in, connection, demo_flows):
    flow = demo_flows.first()
    flow.total_sent_push_notifications, flow.total_displayed_push_notifications = 200, 100
    flow.total_clicked_push_notifications, flow.total_closed_push_notifications = 10, 30
    flow.button_title_1, flow.button_url_1 = "Open", "https://shop.example/open"
    flow.utm_campaign = "spring"
    flow.url = "https://elsewhere.example/spring"
    flow.save()
    html = logged_in.get(url("detail", connection, flow.id)).content.decode()
    for text in (flow.name, flow.title, flow.description, "Open", "spring", "10.0%"):
        assert text in html
    assert "bar-displayed w-50" in html and "bar-clicked w-5" in html and "bar-closed w-15" in html
    assert 'class="notification"' in html
    # As a subscriber's browser shows it: from the flow's website, whatever its link's host.
    assert f'<span data-preview-host translate="no">{flow.website.host}</span>' in html
    assert 'style="' not in html


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_flows_page_writes_every_moment_in_its_languages_one_format(
    logged_in, connection, history, user, language
):
    flow = history[0]
    flow.last_sent_datetime = timezone.now() - dt.timedelta(hours=5)
    flow.save()
    record(user, connection, Kind.FLOW_EDIT, flow_id=flow.id, before={"title": "a"}, after={"title": "b"})
    read = connect(connection).get_flow(flow.id)
    edited = Activity.objects.get(flow_id=flow.id).created.astimezone(dt.UTC)
    since = recording_since(connection, flow.id).astimezone(dt.UTC)

    html = logged_in.get(url("detail", connection, flow.id), headers={"Accept-Language": language})

    text = visible_text(html.content.decode())
    with translation.override(language):
        moments = [
            date_format(moment, "DATETIME_FORMAT") for moment in (read.datetime, read.last_sent_datetime)
        ]
        moments += [date_format(moment, "DATETIME_FORMAT") for moment in (edited, since)]
    for moment in moments:
        assert moment in text


@pytest.mark.parametrize(("language", "listed"), [("en", "Title, Link"), ("zh-hans", "标题、链接")])
def test_the_fields_an_edit_changed_are_listed_as_the_language_lists_words(
    logged_in, connection, history, user, language, listed
):
    flow = history[0]
    before, after = {"title": "a", "url": "https://a.example"}, {"title": "b", "url": "https://b.example"}
    record(user, connection, Kind.FLOW_EDIT, flow_id=flow.id, before=before, after=after)
    html = logged_in.get(url("detail", connection, flow.id), headers={"Accept-Language": language})
    assert listed in visible_text(html.content.decode())


# Create


def test_create_sends_every_field_and_opens_the_new_flow(
    logged_in, connection, sandbox_key, sandbox_media, upstream
):
    token = form_token(logged_in, connection)
    image = SimpleUploadedFile("banner.jpg", png(), content_type="image/jpeg")
    response = logged_in.post(url("new", connection), {**valid_form(form_token=token), "image": image})
    created = SandboxFlow.objects.get(account__in=ApiAccount.objects.with_key(sandbox_key), name="Welcome")
    assert response.status_code == 302
    assert response.url == url("detail", connection, created.id)
    assert (created.title, created.wait_time, created.wait_time_type, created.ttl) == (
        "Hello there",
        2,
        "hours",
        86400,
    )
    assert (created.urgency, created.button_title_1, created.utm_campaign) == ("high", "Shop now", "welcome")
    filename, _, content_type = upstream[0].fields["image"]
    assert (filename, content_type) == ("banner.png", "image/png"), "named and typed as what it really is"
    assert created.image.endswith(".png")
    # The sandbox answers a create with the id alone: one read tells what the server kept, and
    # the page the create opens is served from it.
    assert [call.method for call in upstream] == ["POST", "GET"]
    detail = logged_in.get(response.url)
    assert detail.status_code == 200 and "Welcome" in detail.content.decode()
    assert len(upstream) == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "n" * 257}, "name"),
        ({"title": "t" * 65}, "title"),
        ({"description": "d" * 129}, "description"),
        ({"url": "ftp://shop.example/file"}, "url"),
        ({"url": "https://shop.example/" + "a" * 500}, "url"),
        ({"button_title_1": "b" * 17}, "button_title_1"),
        ({"button_title_1": ""}, "button_title_1"),
        ({"button_url_1": ""}, "button_url_1"),
        ({"utm_source": "u" * 129}, "utm_source"),
        ({"wait_time": "91", "wait_time_type": "days"}, "wait_time"),
        ({"wait_time": "2161", "wait_time_type": "hours"}, "wait_time"),
        ({"wait_time": "129601", "wait_time_type": "minutes"}, "wait_time"),
        ({"wait_time": "0"}, "wait_time"),
        ({"ttl": "1234"}, "ttl"),
        ({"urgency": "urgent"}, "urgency"),
        ({"segment": "vip"}, "segment"),
        ({"title": ""}, "title"),
    ],
)
def test_every_constraint_is_checked_before_anything_is_sent(logged_in, connection, upstream, changes, field):
    response = logged_in.post(url("new", connection), valid_form(form_token="t", **changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert upstream == []


def test_the_longest_wait_in_each_unit_is_accepted(logged_in, connection, sandbox_key):
    for wait, unit in (("90", "days"), ("2160", "hours"), ("129600", "minutes")):
        token = form_token(logged_in, connection)
        response = logged_in.post(
            url("new", connection),
            valid_form(form_token=token, name=unit, wait_time=wait, wait_time_type=unit),
        )
        assert response.status_code == 302
    assert SandboxFlow.objects.filter(
        account__in=ApiAccount.objects.with_key(sandbox_key), wait_time=2160
    ).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.png", b"just some text, not a picture", "not a JPEG, PNG, GIF or WebP"),
        ("image.tiff", png(kind="TIFF"), "not a JPEG, PNG, GIF or WebP"),
        ("cut.png", truncated_png(), "damaged or incomplete"),
        ("bomb.png", bomb_png(), "pixels"),
    ],
)
def test_images_are_checked_by_content(logged_in, connection, upstream, settings, name, content, message):
    settings.IMAGE_MAX_PIXELS = 1000 * 1000
    image = SimpleUploadedFile(name, content, content_type="image/png")
    response = logged_in.post(url("new", connection), {**valid_form(form_token="t"), "image": image})
    assert response.status_code == 400
    assert message in response.context["form"].errors["image"][0]
    assert upstream == []


def test_an_image_over_the_size_limit_is_refused(logged_in, connection, settings):
    settings.IMAGE_MAX_BYTES = 100
    image = SimpleUploadedFile("big.png", png(64, 64), content_type="image/png")
    response = logged_in.post(url("new", connection), {**valid_form(form_token="t"), "image": image})
    assert "the limit is 100" in response.context["form"].errors["image"][0]


def test_a_double_submitted_create_makes_one_flow(logged_in, connection, sandbox_key, upstream):
    data = valid_form(form_token=form_token(logged_in, connection), name="Only once")
    first = logged_in.post(url("new", connection), data)
    second = logged_in.post(url("new", connection), data)
    assert (
        SandboxFlow.objects.filter(
            account__in=ApiAccount.objects.with_key(sandbox_key), name="Only once"
        ).count()
        == 1
    )
    assert second.status_code == 302 and second.url == first.url
    assert [call.method for call in upstream] == ["POST", "GET"], "one create, read back once"


def test_an_unknown_form_token_creates_nothing_and_asks_to_save_again(
    logged_in, connection, sandbox_key, upstream
):
    response = logged_in.post(url("new", connection), valid_form(form_token="forged"))
    assert response.status_code == 400
    assert "Check it and save again" in response.content.decode()
    assert upstream == []


def test_a_rejected_create_keeps_everything_typed_including_the_image(
    logged_in, connection, sandbox_key, sandbox_media
):
    fault(sandbox_key, kind="image_error", methods="POST", remaining=1)
    data = valid_form(form_token=form_token(logged_in, connection), name="Keeps the image")
    image = SimpleUploadedFile("photo.png", png(), content_type="image/png")
    response = logged_in.post(url("new", connection), {**data, "image": image})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Invalid file type." in html
    assert 'value="Keeps the image"' in html
    kept = re.search(r'name="image_token" value="([^"]+)"', html).group(1)
    assert logged_in.get(reverse("kept_image", args=[kept])).content == png()
    again = logged_in.post(url("new", connection), {**data, "image_token": kept})
    assert again.status_code == 302
    assert SandboxFlow.objects.get(
        account__in=ApiAccount.objects.with_key(sandbox_key), name="Keeps the image"
    ).image.endswith(".png")


def test_a_kept_image_is_only_for_the_user_who_chose_it(
    client, logged_in, other_user, connection, sandbox_key
):
    fault(sandbox_key, kind="image_error", methods="POST", remaining=1)
    image = SimpleUploadedFile("photo.png", png(), content_type="image/png")
    html = logged_in.post(
        url("new", connection), {**valid_form(form_token="t"), "image": image}
    ).content.decode()
    kept = re.search(r'name="image_token" value="([^"]+)"', html).group(1)
    client.force_login(other_user)
    assert client.get(reverse("kept_image", args=[kept])).status_code == 404


# Edit


@pytest.mark.parametrize(("answer", "detail_calls"), [("flow", 0), ("id", 1)])
def test_edit_sends_only_the_fields_that_changed_in_one_check_and_one_write(
    logged_in, connection, demo_flows, upstream, settings, answer, detail_calls
):
    settings.SANDBOX_UPDATE_ANSWER = answer
    flow = editable(demo_flows)
    data = edit_form(logged_in, connection, flow.id)
    upstream.clear()
    response = logged_in.post(url("edit", connection, flow.id), {**data, "title": "A better title"})
    assert response.status_code == 302
    # A title cannot be substituted (the form holds it to the server's limits): nothing is read back.
    assert [call.method for call in upstream] == ["GET", "POST"]
    assert upstream[1].fields == {"title": "A better title"}
    flow.refresh_from_db()
    assert flow.title == "A better title"
    detail = logged_in.get(response.url)
    assert "A better title" in detail.content.decode()
    # The page after the save is served from the write's answer when it holds the flow.
    assert len(upstream) == 2 + detail_calls


def test_edit_with_no_change_sends_nothing(logged_in, connection, demo_flows, upstream):
    flow = editable(demo_flows)
    data = edit_form(logged_in, connection, flow.id)
    upstream.clear()
    logged_in.post(url("edit", connection, flow.id), data)
    assert [call.method for call in upstream] == ["GET"]


def test_edit_can_replace_and_remove_the_image(logged_in, connection, demo_flows, sandbox_media, upstream):
    flow = editable(demo_flows)
    data = edit_form(logged_in, connection, flow.id)
    image = SimpleUploadedFile("new.webp", png(kind="WEBP"), content_type="image/webp")
    response = logged_in.post(url("edit", connection, flow.id), {**data, "image": image})
    assert response.status_code == 302, response.context["form"].errors
    flow.refresh_from_db()
    assert flow.image.endswith(".webp")
    data = edit_form(logged_in, connection, flow.id)
    logged_in.post(url("edit", connection, flow.id), {**data, "image_remove": "on"})
    flow.refresh_from_db()
    assert flow.image == ""
    assert [call.fields for call in upstream if call.method == "POST"][-1] == {"image_remove": "1"}


def test_an_edit_made_elsewhere_meanwhile_is_shown_not_overwritten(
    logged_in, connection, demo_flows, upstream
):
    flow = editable(demo_flows)
    data = edit_form(logged_in, connection, flow.id)
    SandboxFlow.objects.filter(pk=flow.pk).update(title="Theirs")
    upstream.clear()
    response = logged_in.post(url("edit", connection, flow.id), {**data, "title": "Mine"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "Theirs" in html and "Mine" in html and "is-different" in html
    assert [call.method for call in upstream] == ["GET"]
    flow.refresh_from_db()
    assert flow.title == "Theirs"
    # "Overwrite with mine" sends the same values with the fingerprint of their version.
    newer = re.search(r'name="fingerprint" value="([^"]+)"', html).group(1)
    response = logged_in.post(
        url("edit", connection, flow.id), {**data, "title": "Mine", "fingerprint": newer}
    )
    assert response.status_code == 302
    flow.refresh_from_db()
    assert flow.title == "Mine"


def test_a_server_rejection_on_edit_comes_back_on_the_form(logged_in, connection, demo_flows, sandbox_key):
    flow = editable(demo_flows)
    data = edit_form(logged_in, connection, flow.id)
    fault(sandbox_key, kind="status", status=422, methods="POST")
    response = logged_in.post(url("edit", connection, flow.id), {**data, "title": "Refused"})
    assert response.status_code == 422
    assert 'value="Refused"' in response.content.decode()


# Duplicate and delete


def test_duplicate_is_a_create_form_filled_from_the_flow(logged_in, connection, demo_flows):
    flow = demo_flows.first()
    SandboxFlow.objects.filter(pk=flow.pk).update(name="x" * 256)
    form = logged_in.get(url("duplicate", connection, flow.id)).context["form"]
    assert form["name"].value() == ("Copy of " + "x" * 256)[:256]
    assert form["title"].value() == flow.title
    assert form["form_token"].value()


def test_delete_asks_first_then_htmx_removes_the_row_with_a_toast(logged_in, connection, demo_flows):
    flow = demo_flows.first()
    confirm = logged_in.get(url("delete", connection, flow.id))
    assert confirm.status_code == 200 and b"Delete flow" in confirm.content
    response = logged_in.post(url("delete", connection, flow.id), **HTMX)
    assert response.status_code == 200
    assert response.content == b""
    assert toasts(response)[0]["level"] == "success"
    assert not SandboxFlow.objects.filter(pk=flow.pk).exists()


def test_delete_without_htmx_goes_back_to_the_list(logged_in, connection, demo_flows):
    flow = demo_flows.first()
    response = logged_in.post(url("delete", connection, flow.id))
    assert response.url == url("list", connection)


# Failures: a readable page (or toast) with the right status, never a 500


@pytest.mark.parametrize(
    ("kind", "status", "expected_status", "text"),
    [
        ("status", 401, 403, "The server refused this connection"),
        ("status", 429, 429, "again in"),
        ("status", 503, 502, "The flows server had a problem (HTTP 503)."),
        ("drop", 503, 502, "The connection to the server broke."),
        ("badjson", 200, 502, "The server sent something unexpected."),
    ],
)
def test_upstream_failures_are_explained(
    logged_in, connection, sandbox_key, kind, status, expected_status, text
):
    fault(sandbox_key, kind=kind, status=status)
    page = logged_in.get(url("list", connection))
    assert page.status_code == expected_status
    assert text in page.content.decode()
    if expected_status == 403:
        assert reverse("connection_edit", args=[connection.pk]) in page.content.decode()
    if expected_status == 429:
        assert int(page["Retry-After"]) > 0
    fragment = logged_in.get(url("list", connection), **HTMX)
    assert fragment.status_code == expected_status
    assert text in toasts(fragment)[0]["message"]
    assert b"<html" not in fragment.content


def test_a_missing_flow_is_a_404_page(logged_in, connection, sandbox_key):
    response = logged_in.get(url("detail", connection, 999999))
    assert response.status_code == 404
    page = visible_text(response.content)
    assert "does not exist on the server" in page
    # Asking again would not find it either: the way on is back to the list.
    assert "Try again" not in page and "Back to flows" in page
