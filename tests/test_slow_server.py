"""A slow server: what the user acted on shows that it is busy, cannot be sent twice, and the
rest of the page stays usable meanwhile."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

BUSY = re.compile(r"\bhtmx-request\b")


@pytest.fixture
def slow(settings):
    # Each call to the sandbox takes this long (the page is already loaded when it starts).
    settings.SANDBOX_LATENCY_MS = 1500


def test_a_slow_toggle_shows_on_its_switch_and_is_sent_once(signed_in, demo_flows, upstream, slow):
    first, second = demo_flows.filter(is_enabled=True)[:2]
    row, other = signed_in.locator(f"#flow-{first.id}"), signed_in.locator(f"#flow-{second.id}")
    switch = row.locator(".switch")
    switch.click()
    expect(row).to_have_class(BUSY)
    expect(switch).to_have_attribute("aria-busy", "true")
    expect(switch).to_be_disabled()
    switch.click(force=True)  # an impatient second click
    # Meanwhile the page works: another flow's switch can be used.
    other.locator(".switch").click()
    expect(other).to_have_class(BUSY)
    expect(row.locator(".switch")).to_have_attribute("aria-checked", "false")
    expect(other.locator(".switch")).to_have_attribute("aria-checked", "false")
    expect(row).not_to_have_class(BUSY)
    writes = [call for call in upstream if call.method == "POST"]
    assert len(writes) == 2, "one write per flow, none for the second click"


def test_a_slow_save_shows_on_its_button_and_is_sent_once(signed_in, demo_flows, slow):
    flow = demo_flows.first()
    signed_in.goto(signed_in.url.split("?")[0] + f"{flow.id}/edit/")
    posts = []
    signed_in.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    signed_in.get_by_label("Name").fill("Renamed while the server is slow")
    save = signed_in.get_by_role("button", name="Save changes")
    # Clicked from within the page: Playwright's own locators wait while a navigation is pending.
    busy = save.evaluate(
        """async button => {
            button.click();
            const busy = button.getAttribute("aria-busy");
            await new Promise(resolve => setTimeout(resolve, 300));
            button.click();  // an impatient second click, while the server works
            return busy;
        }"""
    )
    assert busy == "true"
    expect(signed_in.locator(".toast-success")).to_contain_text("saved")
    assert len(posts) == 1
    flow.refresh_from_db()
    assert flow.name == "Renamed while the server is slow"


def test_a_slow_delete_shows_on_its_row(signed_in, demo_flows, slow):
    flow = demo_flows.first()
    row = signed_in.locator(f"#flow-{flow.id}")
    row.get_by_role("link", name=f"Delete {flow.name}").click()
    signed_in.locator("#delete-dialog").get_by_role("button", name="Delete flow").click()
    expect(row).to_have_class(BUSY)
    expect(row).to_have_count(0)


def test_the_delete_dialog_is_ready_again_after_a_delete(signed_in, demo_flows):
    dialog = signed_in.locator("#delete-dialog")
    confirm = dialog.get_by_role("button", name="Delete flow")
    for flow in demo_flows[:2]:
        row = signed_in.locator(f"#flow-{flow.id}")
        row.get_by_role("link", name=f"Delete {flow.name}").click()
        expect(confirm).not_to_have_attribute("aria-busy", "true")
        confirm.click()
        expect(row).to_have_count(0)
