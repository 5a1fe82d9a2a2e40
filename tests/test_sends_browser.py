"""A test send as only a browser shows it (issue 26): from the edit form, with what is typed and
not yet saved, to a test device, and its arrival followed live, without a reload. Driven through
Debian's Chromium against live_server, which also serves the sandbox API."""

import pytest
from playwright.sync_api import expect

from sandbox.models import PersonalNotification, Subscriber
from sends.models import TestDevice

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("delivered")]


def test_a_test_of_the_unsaved_edit_form_is_sent_and_seen_arriving(
    signed_in, live_server, connection, user, demo_flows
):
    flow = demo_flows.filter(button_title_2="").first()
    subscriber = Subscriber.objects.filter(website=flow.website).order_by("-id").first()
    TestDevice.objects.create(
        user=user,
        connection=connection,
        website_id=flow.website_id,
        subscriber_id=subscriber.id,
        label="The Android test phone",
    )
    page = signed_in
    page.goto(f"{live_server.url}/connections/{connection.pk}/flows/{flow.id}/edit/")
    page.get_by_label("Title").fill("Typed, not saved")
    page.get_by_role("button", name="Choose a test device…").click()
    recipient = page.get_by_label("Send to a subscriber of")
    expect(recipient).to_be_visible()
    recipient.select_option(str(subscriber.id))
    page.get_by_role("button", name="Send the test").click()
    expect(page.get_by_text("Test sent to The Android test phone.")).to_be_visible()
    # The page follows it in the subscriber's logs and says so once the device showed it.
    expect(page.get_by_text("Arrived and shown on the device.")).to_be_visible(timeout=15000)
    [sent] = PersonalNotification.objects.all()
    assert sent.title == "Typed, not saved" and sent.subscriber_id == subscriber.id
    # Nothing typed was lost, and nothing saved.
    expect(page.get_by_label("Title")).to_have_value("Typed, not saved")
    flow.refresh_from_db()
    assert flow.title != "Typed, not saved"
    # The next test starts from the form again, the person's device first.
    page.get_by_role("button", name="Send another test").click()
    expect(page.get_by_label("Send to a subscriber of")).to_have_value(str(subscriber.id))
