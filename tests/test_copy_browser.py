"""Copying flows in the browser: ticked in the list, Copy to... another website, the confirmation
lists what will be created and asks about what the copy cannot decide alone (a segment with no
namesake on the target, links to the old website) before it starts the job."""

import pytest
from playwright.sync_api import expect

from jobs.models import BulkJob

pytestmark = pytest.mark.e2e


def test_copy_to_another_website_is_confirmed_on_a_page_that_asks_before_it_creates(
    signed_in, live_server, connection, demo_flows
):
    websites = sorted({flow.website_id for flow in demo_flows})
    on_target = set(demo_flows.filter(website_id=websites[1]).values_list("name", flat=True))
    flow = next(
        flow
        for flow in demo_flows
        if flow.website_id == websites[0] and flow.segment != "all" and flow.name not in on_target
    )
    signed_in.goto(f"{live_server.url}/connections/{connection.pk}/flows/?website={websites[0]}")
    signed_in.locator(f'input[name="ids"][value="{flow.id}"]').check()
    copy = signed_in.locator(".bulk-copy")
    copy.locator("summary").click()
    copy.get_by_label("Website").select_option(str(websites[1]))
    copy.get_by_role("button", name="Copy the selected flows…").click()

    confirm = signed_in.locator("[data-copy-confirm]")
    expect(confirm.get_by_role("heading", name="Copy 1 flow to Sandbox?")).to_be_visible()
    expect(confirm.get_by_role("cell", name=flow.name)).to_be_visible()
    expect(confirm.get_by_role("cell", name="to choose").first).to_be_visible()
    expect(confirm.locator("[data-copy-links] li").first).to_contain_text(flow.url)
    # Confirmed with the questions open: said, and nothing starts.
    confirm.get_by_role("button", name="Copy 1 flow").click()
    expect(
        signed_in.get_by_text("Answer the questions marked below first: nothing was created.")
    ).to_be_visible()
    assert not BulkJob.objects.exists()

    confirm = signed_in.locator("[data-copy-confirm]")
    confirm.locator('select[name^="segment_"]').select_option("all")
    confirm.get_by_label("Replace them with the same pages on the new website").check()
    confirm.get_by_role("button", name="Copy 1 flow").click()
    expect(signed_in.get_by_role("heading", name="Copy: 1 flow")).to_be_visible()
    job = BulkJob.objects.get()
    item = job.items.get()
    assert (job.action, item.copy["values"]["segment"], item.copy["values"]["is_enabled"]) == (
        "copy",
        "all",
        False,
    )
    assert item.copy["values"]["url"].startswith("https://blog.dailygrind.example/")
