"""Test sends (issue 26), end to end against the sandbox: a flow's message sent to one subscriber as
a personal notification exactly (content, switches by presence, UTM as its own fields, the image),
the edit and create forms' unsaved content, who may send and to which websites, a double click,
bad input that keeps what was typed, the push followed in the logs and its record deleted (by the
page, or by the worker for a page closed first), the history, and the subscribers page."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activity.models import Activity, Kind
from flows_app.models import Membership, Role
from sandbox import engine, images
from sandbox.models import PersonalNotification, Subscriber, SubscriberLog
from sends import subscribers
from sends.models import TestDevice, TestSend
from sends.tasks import clean_test_sends
from tests.helpers import HTMX, edit_form, png, valid_form, wait_for
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from trends.series import Window
from trends.trend import flow_edits

pytestmark = pytest.mark.usefixtures("sandbox_media", "delivered")


def send_url(connection, flow_id=None):
    if flow_id is None:
        return reverse("sends:test_new", args=[connection.pk])
    return reverse("sends:test", args=[connection.pk, flow_id])


def send_token(client, url, **query):
    """The one-time token of a test form, as the form hands it out."""
    html = client.get(url, query, **HTMX).content.decode()
    return re.search(r'name="send_token" value="([^"]+)"', html).group(1)


def subscriber_of(website):
    return Subscriber.objects.filter(website=website).order_by("-id").first()


def only_notification():
    [notification] = PersonalNotification.objects.all()
    return notification


@pytest.fixture
def message(flow):
    """The demo flow with every part of a message set: buttons, UTM values, silent but not
    auto-hidden."""
    flow.title, flow.description, flow.url = (
        "Back in stock",
        "Your size is here.",
        "https://shop.example/boots",
    )
    flow.button_title_1, flow.button_url_1 = "Shop now", "https://shop.example/new"
    flow.button_title_2, flow.button_url_2 = "Later", "https://shop.example/later"
    flow.utm_source, flow.utm_medium, flow.utm_campaign = "push", "test", "boots"
    flow.is_silent, flow.is_auto_hide = True, False
    flow.image = ""
    flow.save()
    return flow


@pytest.fixture
def device(user, connection, message):
    subscriber = subscriber_of(message.website)
    return TestDevice.objects.create(
        user=user,
        connection=connection,
        website_id=subscriber.website_id,
        subscriber_id=subscriber.id,
        label="My Chrome at work",
    )


def send_flow(client, connection, flow, subscriber_id, **data):
    url = send_url(connection, flow.id)
    token = send_token(client, url)
    return client.post(url, {"subscriber_id": subscriber_id, "send_token": token, **data}, **HTMX)


def test_a_flows_test_sends_its_exact_message_with_utm_as_the_notifications_own_fields(
    logged_in, connection, message, device, upstream
):
    response = send_flow(logged_in, connection, message, device.subscriber_id)
    assert response.status_code == 200
    assert "Test sent to" in response.content.decode() and "My Chrome at work" in response.content.decode()
    sent = only_notification()
    assert (sent.subscriber_id, sent.website_id) == (device.subscriber_id, message.website_id)
    assert (sent.title, sent.description) == ("Back in stock", "Your size is here.")
    # The links as the flow has them: the server appends the UTM values itself when it sends.
    assert sent.url == "https://shop.example/boots" and "utm_" not in sent.url
    assert (sent.button_title_1, sent.button_url_1) == ("Shop now", "https://shop.example/new")
    assert (sent.button_title_2, sent.button_url_2) == ("Later", "https://shop.example/later")
    assert (sent.utm_source, sent.utm_medium, sent.utm_campaign) == ("push", "test", "boots")
    assert sent.name == f"Pushdeck test: {message.name}"
    [post] = [call for call in upstream if call.method == "POST"]
    assert post.url.endswith("/api/personal-notifications")
    assert "ttl" not in post.fields and "urgency" not in post.fields


def test_silent_and_auto_hide_are_sent_only_when_on_as_the_server_reads_them_by_presence(
    logged_in, connection, message, device, upstream
):
    send_flow(logged_in, connection, message, device.subscriber_id)
    [post] = [call for call in upstream if call.method == "POST"]
    assert post.fields["is_silent"] == "1" and "is_auto_hide" not in post.fields
    sent = only_notification()
    assert sent.is_silent and not sent.is_auto_hide


def test_the_flows_image_is_fetched_again_and_sent_with_the_test(logged_in, connection, message, device):
    message.image = images.store(SimpleUploadedFile("boots.png", png(16, 16)))
    message.save()
    send_flow(logged_in, connection, message, device.subscriber_id)
    sent = only_notification()
    assert sent.image and sent.image != message.image
    assert (images.directory() / sent.image).read_bytes() == (images.directory() / message.image).read_bytes()


def test_the_edit_forms_unsaved_message_and_chosen_image_are_sent_and_the_flow_is_unchanged(
    logged_in, connection, message, device
):
    url = send_url(connection, message.id)
    token = send_token(logged_in, url, within="form")
    typed = {**edit_form(logged_in, connection, message.id), "title": "Not saved yet", "utm_campaign": ""}
    typed["image"] = SimpleUploadedFile("new.png", png(12, 12), content_type="image/png")
    response = logged_in.post(
        url, {**typed, "subscriber_id": device.subscriber_id, "send_token": token}, **HTMX
    )
    assert response.status_code == 200, response.content.decode()
    sent = only_notification()
    assert sent.title == "Not saved yet" and sent.utm_campaign == "" and sent.image
    message.refresh_from_db()
    assert message.title == "Back in stock" and message.utm_campaign == "boots"


def test_the_create_form_sends_its_message_before_there_is_a_flow(logged_in, connection, website):
    subscriber = subscriber_of(website)
    url = send_url(connection)
    token = send_token(logged_in, url, within="form", website_id=website.id)
    form = valid_form(website_id=str(website.id), is_silent=None, is_auto_hide="on")
    response = logged_in.post(url, {**form, "subscriber_id": subscriber.id, "send_token": token}, **HTMX)
    assert response.status_code == 200
    sent = only_notification()
    assert (sent.title, sent.website_id) == ("Hello there", website.id)
    assert sent.is_auto_hide and not sent.is_silent
    assert sent.name == "Pushdeck test: Welcome"


def test_an_empty_title_on_an_unsaved_form_is_said_and_nothing_is_sent(logged_in, connection, website):
    subscriber = subscriber_of(website)
    url = send_url(connection)
    token = send_token(logged_in, url, within="form")
    form = valid_form(title="")
    response = logged_in.post(url, {**form, "subscriber_id": subscriber.id, "send_token": token}, **HTMX)
    assert response.status_code == 400
    # Shown in the test form's own slot: the flow form around it, as typed, is not replaced.
    assert response["HX-Retarget"] == "#test-send-message"
    assert "Title: This field is required." in response.content.decode()
    assert not PersonalNotification.objects.exists()


@pytest.mark.parametrize("whose", ["another website's", "deleted"])
def test_a_subscriber_of_another_website_or_deleted_is_a_clear_message(
    logged_in, connection, message, account, whose
):
    other = Subscriber.objects.filter(account=account).exclude(website=message.website).first()
    if whose == "deleted":
        other = subscriber_of(message.website)
    other_id = other.id
    if whose == "deleted":
        engine.remove(other, timezone.now())
    response = send_flow(logged_in, connection, message, other_id)
    assert response.status_code == 400
    assert f"Subscriber #{other_id} is not one of this website" in response.content.decode()
    assert not PersonalNotification.objects.exists() and not TestSend.objects.exists()


def test_a_flow_of_another_connection_is_a_clear_message(logged_in, connection, message, other_sandbox_key):
    from tests.helpers import make_flows

    [theirs] = make_flows(other_sandbox_key, 1)
    url = send_url(connection, theirs.id)
    response = logged_in.post(url, {"subscriber_id": 1, "send_token": "x" * 22}, **HTMX)
    assert response.status_code == 400
    assert "not one of this connection" in response.content.decode()
    assert not PersonalNotification.objects.exists()


def test_a_second_click_while_the_first_is_on_its_way_sends_nothing_more(
    logged_in, connection, message, device
):
    url = send_url(connection, message.id)
    token = send_token(logged_in, url)
    data = {"subscriber_id": device.subscriber_id, "send_token": token}
    first = logged_in.post(url, data, **HTMX)
    second = logged_in.post(url, data, **HTMX)
    assert first.status_code == second.status_code == 200
    assert PersonalNotification.objects.count() == 1 and TestSend.objects.count() == 1
    assert "Test sent to" in second.content.decode()


def test_a_viewer_sees_no_send_button_and_their_post_is_refused(
    connection, message, device, django_user_model
):
    viewer = django_user_model.objects.create_user("viewer", password="correct horse battery")
    Membership.objects.create(connection=connection, user=viewer, role=Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    page = client.get(reverse("flows:detail", args=[connection.pk, message.id])).content.decode()
    assert "Send a test" not in page and "/test/" not in page
    response = client.post(send_url(connection, message.id), {"subscriber_id": device.subscriber_id})
    assert response.status_code == 403
    assert not PersonalNotification.objects.exists()


def test_an_editor_sees_the_send_part_on_the_flow_page_and_both_forms(logged_in, connection, message):
    for name, args in (("detail", [message.id]), ("edit", [message.id]), ("new", [])):
        page = logged_in.get(reverse(f"flows:{name}", args=[connection.pk, *args])).content.decode()
        assert "Send a test" in page and "data-test-open" in page


def test_a_limited_member_sends_only_within_their_websites(limited, connection, website):
    client, _websites, mine, theirs = limited
    own = mine[0]
    subscriber = subscriber_of(own.website)
    assert send_flow(client, connection, own, subscriber.id).status_code == 200
    # Another website's flow is missing to them, and so is an unsaved form naming that website.
    other = theirs[0]
    elsewhere = subscriber_of(other.website)
    refused = client.post(
        send_url(connection, other.id), {"subscriber_id": elsewhere.id, "send_token": "y" * 22}
    )
    assert refused.status_code == 400 and "not one of this connection" in refused.content.decode()
    form = valid_form(website_id=str(other.website.id))
    unsaved = client.post(send_url(connection), {**form, "subscriber_id": elsewhere.id}, **HTMX)
    assert unsaved.status_code == 400
    assert PersonalNotification.objects.count() == 1


def test_the_plans_limit_of_personal_notifications_is_said_as_such(
    logged_in, connection, message, device, account
):
    account.personal_notifications_limit = 0
    account.save()
    response = send_flow(logged_in, connection, message, device.subscriber_id)
    assert response.status_code == 400
    assert "limit of personal notifications is reached" in response.content.decode()


def test_following_reads_the_outcome_and_deletes_the_record_once_read(
    logged_in, connection, message, device, upstream
):
    send_flow(logged_in, connection, message, device.subscriber_id)
    test = TestSend.objects.get()
    del upstream[:]
    status = logged_in.get(reverse("sends:status", args=[test.pk]), **HTMX).content.decode()
    test.refresh_from_db()
    # Shown on the device: not final yet (a click may follow), the record is kept while followed.
    assert test.outcome == "displayed" and test.cleaned_at is None
    assert "Arrived and shown on the device." in status and "hx-trigger" in status
    # One call a poll: the logs of this push, from the person's share of the key.
    assert [call.params.get("personal_notification_id") for call in upstream] == [test.notification_id]
    SubscriberLog.objects.create(
        account=message.account,
        website=message.website,
        subscriber_id=device.subscriber_id,
        personal_notification_id=test.notification_id,
        type="clicked_notification",
    )
    status = logged_in.get(reverse("sends:status", args=[test.pk]), **HTMX).content.decode()
    test.refresh_from_db()
    assert test.outcome == "clicked" and test.cleaned_at is not None
    assert "clicked" in status and "hx-trigger" not in status and "was deleted on the server" in status
    assert not PersonalNotification.objects.exists()


def test_a_test_does_not_touch_the_flows_own_counters(logged_in, connection, message, device):
    before = (message.total_sent_push_notifications, message.total_displayed_push_notifications)
    send_flow(logged_in, connection, message, device.subscriber_id)
    message.refresh_from_db()
    assert (message.total_sent_push_notifications, message.total_displayed_push_notifications) == before


def test_an_expired_subscription_says_what_it_means(logged_in, connection, message, device):
    Subscriber.objects.filter(pk=device.subscriber_id).update(is_expired=True)
    send_flow(logged_in, connection, message, device.subscriber_id)
    test = TestSend.objects.get()
    status = logged_in.get(reverse("sends:status", args=[test.pk]), **HTMX).content.decode()
    assert "their subscription expired" in status
    test.refresh_from_db()
    assert test.outcome == "expired" and test.cleaned_at is not None


def test_a_refused_push_says_the_push_service_refused_it(logged_in, connection, message, device, monkeypatch):
    monkeypatch.setattr(engine, "outcome", lambda *args, **kwargs: "failed")
    send_flow(logged_in, connection, message, device.subscriber_id)
    test = TestSend.objects.get()
    status = logged_in.get(reverse("sends:status", args=[test.pk]), **HTMX).content.decode()
    assert "push service refused it" in status
    assert not PersonalNotification.objects.exists()


def test_the_worker_reads_and_deletes_the_tests_whose_page_was_closed(logged_in, connection, message, device):
    send_flow(logged_in, connection, message, device.subscriber_id)
    recent = TestSend.objects.get()
    clean_test_sends()
    recent.refresh_from_db()
    assert recent.cleaned_at is None, "a test a page may still follow is left to it"
    TestSend.objects.filter(pk=recent.pk).update(sent_at=timezone.now() - timedelta(minutes=5))
    clean_test_sends()
    recent.refresh_from_db()
    assert recent.cleaned_at is not None and recent.outcome == "displayed"
    assert not PersonalNotification.objects.exists()


def test_every_test_send_is_in_the_history_with_its_flow_and_device(logged_in, connection, message, device):
    send_flow(logged_in, connection, message, device.subscriber_id)
    entry = Activity.objects.get(kind=Kind.TEST_SEND)
    assert (entry.username, entry.flow_id, entry.flow_name) == ("marketer", message.id, message.name)
    assert entry.after["test_device"] == "My Chrome at work"
    page = logged_in.get(reverse("teams:activity", args=[connection.pk])).content.decode()
    assert "Test sent" in page and "My Chrome at work" in page


def test_the_test_form_offers_the_persons_devices_first_then_the_websites_subscribers(
    logged_in, connection, message, device
):
    form = logged_in.get(send_url(connection, message.id), **HTMX).content.decode()
    options = re.findall(r'<option value="(\d+)"', form)
    assert options[0] == str(device.subscriber_id) and len(options) > 1
    website_ids = set(
        Subscriber.objects.filter(pk__in=[int(option) for option in options]).values_list(
            "website_id", flat=True
        )
    )
    assert website_ids == {message.website_id}
    assert "own counts" in form and "deletes it on the server" in form


def test_a_flow_that_sets_ttl_or_urgency_is_told_an_immediate_send_ignores_them(
    logged_in, connection, message
):
    message.ttl, message.urgency = 3600, "high"
    message.save()
    form = logged_in.get(send_url(connection, message.id), **HTMX).content.decode()
    assert "a test is sent at once" in form


def test_the_subscribers_page_searches_and_shows_the_newest_without_endpoint_or_whole_ip(
    logged_in, connection, website
):
    newest = engine.subscribe(
        website, timezone.now(), engine.random.Random(1), city_name="Reykjavik", ip="198.51.100.23"
    )
    url = reverse("sends:subscribers", args=[connection.pk])
    page = logged_in.get(url, {"website_id": website.id, "recent": "1"}).content.decode()
    assert re.findall(r'<tr id="subscriber-(\d+)"', page) == [str(newest.id)]
    assert "198.51.*.*" in page and "198.51.100.23" not in page
    assert newest.endpoint_url not in page and newest.endpoint_auth not in page
    found = logged_in.get(url, {"website_id": website.id, "q": "reykjavik"}).content.decode()
    assert re.findall(r'<tr id="subscriber-(\d+)"', found) == [str(newest.id)]
    every = logged_in.get(url, {"website_id": website.id}).content.decode()
    shown = [int(number) for number in re.findall(r'<tr id="subscriber-(\d+)"', every)]
    assert shown[0] == newest.id and len(shown) == website.subscribers.count()


def test_a_subscriber_is_marked_as_a_test_device_and_a_bad_label_keeps_the_row(
    logged_in, connection, website
):
    subscriber = subscriber_of(website)
    url = reverse("sends:device_add", args=[connection.pk])
    data = {"website_id": website.id, "subscriber_id": subscriber.id}
    blank = logged_in.post(url, {**data, "label": "  "})
    assert blank.status_code == 400 and "Give the device a name" in blank.content.decode()
    other = Subscriber.objects.filter(account=website.account).exclude(website=website).first()
    wrong = logged_in.post(url, {**data, "subscriber_id": other.id, "label": "Their phone"})
    assert wrong.status_code == 400 and "no longer one of the website" in wrong.content.decode()
    too_long = logged_in.post(url, {**data, "label": "My phone " + "x" * 60})
    assert too_long.status_code == 400 and f'value="My phone {"x" * 60}"' in too_long.content.decode()
    assert logged_in.post(url, {**data, "label": "The Android test phone"}).status_code == 302
    device = TestDevice.objects.get()
    assert (device.subscriber_id, device.label) == (subscriber.id, "The Android test phone")
    removed = logged_in.post(reverse("sends:device_remove", args=[device.pk]))
    assert removed.status_code == 302 and not TestDevice.objects.exists()


def test_the_sandboxs_this_browser_page_makes_the_browser_a_subscriber_of_the_website(
    logged_in, connection, website
):
    page = logged_in.get(reverse("sends:subscribers", args=[connection.pk]), {"website_id": website.id})
    link = re.search(r'href="([^"]+/pixel/[^"]+)"', page.content.decode()).group(1)
    path = "/sandbox" + link.split("/sandbox", 1)[1]
    browser = Client(
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36"
    )
    assert "Allow notifications" in browser.get(path).content.decode()
    answer = browser.post(path).content.decode()
    subscriber = Subscriber.objects.order_by("-id").first()
    assert f"subscriber #{subscriber.id}" in answer
    assert (subscriber.website_id, subscriber.browser_name, subscriber.os_name) == (
        website.id,
        "Chrome",
        "Linux",
    )


@pytest.mark.live
def test_a_test_is_sent_and_followed_to_its_end_over_real_http(logged_in, connection, message, device):
    response = send_flow(logged_in, connection, message, device.subscriber_id)
    assert response.status_code == 200
    test = TestSend.objects.get()
    TestSend.objects.filter(pk=test.pk).update(sent_at=timezone.now() - timedelta(minutes=4))
    status = logged_in.get(reverse("sends:status", args=[test.pk]), **HTMX).content.decode()
    assert "Arrived and shown on the device." in status and "was deleted on the server" in status
    assert not PersonalNotification.objects.exists()


def test_without_javascript_the_test_page_sends_and_says_what_followed(
    logged_in, connection, message, device
):
    url = send_url(connection, message.id)
    page = logged_in.get(url).content.decode()
    assert f'<form method="post" action="{url}"' in page and "<html" in page
    token = re.search(r'name="send_token" value="([^"]+)"', page).group(1)
    sent = logged_in.post(url, {"subscriber_id": device.subscriber_id, "send_token": token})
    assert sent.status_code == 200 and "<html" in sent.content.decode()
    assert "Test sent to" in sent.content.decode() and "Send another test" in sent.content.decode()
    assert PersonalNotification.objects.count() == 1


def test_a_test_of_unsaved_edits_is_in_the_history_under_the_flows_saved_name_and_not_on_its_chart(
    logged_in, connection, message, device
):
    url = send_url(connection, message.id)
    token = send_token(logged_in, url, within="form")
    typed = {**edit_form(logged_in, connection, message.id), "name": "Renamed, unsaved"}
    logged_in.post(url, {**typed, "subscriber_id": device.subscriber_id, "send_token": token}, **HTMX)
    entry = Activity.objects.get(kind=Kind.TEST_SEND)
    assert entry.flow_name == message.name
    window = Window("custom", entry.created - timedelta(hours=1), entry.created + timedelta(hours=1), True)
    assert flow_edits(connection, message.id, window) == []


def test_a_limited_member_sees_and_marks_only_subscribers_of_their_websites(limited, connection):
    client, websites, _mine, theirs = limited
    url = reverse("sends:subscribers", args=[connection.pk])
    page = client.get(url, {"website_id": websites[1]}).content.decode()
    shown = {int(number) for number in re.findall(r'<tr id="subscriber-(\d+)"', page)}
    assert shown and set(Subscriber.objects.filter(pk__in=shown).values_list("website_id", flat=True)) == {
        websites[0]
    }
    other = subscriber_of(theirs[0].website)
    data = {"website_id": websites[1], "subscriber_id": other.id, "label": "Not mine"}
    refused = client.post(reverse("sends:device_add", args=[connection.pk]), data)
    assert refused.status_code == 400 and not TestDevice.objects.exists()


def test_the_sandbox_knows_no_pixel_key_but_its_websites(client, website):
    assert client.get("/sandbox/pixel/pixel99999999/").status_code == 404
    assert client.get("/sandbox/pixel/nonsense/").status_code == 404
    assert client.get(f"/sandbox/pixel/pixel{website.id:08d}/").status_code == 200


@pytest.mark.live
def test_the_worker_process_deletes_the_record_of_a_test_whose_page_was_closed(
    logged_in, connection, message, device, worker_process
):
    send_flow(logged_in, connection, message, device.subscriber_id)
    TestSend.objects.update(sent_at=timezone.now() - timedelta(minutes=5))
    wait_for(lambda: TestSend.objects.filter(cleaned_at__isnull=False).exists(), worker_process(), 60)
    assert TestSend.objects.get().outcome == "displayed"
    assert not PersonalNotification.objects.exists()


def test_the_subscribers_page_says_when_the_account_has_more_than_it_reads(
    logged_in, connection, website, monkeypatch
):
    read = subscribers.of_website
    monkeypatch.setattr(subscribers, "of_website", lambda *args, **kwargs: (read(*args, **kwargs)[0], True))
    page = logged_in.get(reverse("sends:subscribers", args=[connection.pk])).content.decode()
    assert "Only the first 2,000 subscribers of the account" in page
