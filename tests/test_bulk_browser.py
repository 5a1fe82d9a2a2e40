"""Bulk jobs in the browser: the job page follows a worker running in its own process."""

import pytest
from playwright.sync_api import expect

from jobs import bulk
from jobs.models import BulkJob

pytestmark = pytest.mark.e2e


def test_the_job_page_shows_progress_live_until_100_percent(
    signed_in, live_server, connection, demo_flows, user, worker_process, settings
):
    settings.SANDBOX_LATENCY_MS = 80
    # Background work takes only what people leave of the key's minute, at most half of it
    # (docs/BUDGET.md): 15 flows fit in that part of one minute, 40 would wait for the next.
    job, _ = bulk.start(connection, user, "pause", list(demo_flows.values_list("id", flat=True)[:15]))
    signed_in.goto(f"{live_server.url}/jobs/{job.pk}/")
    percent = signed_in.locator("[data-job-percent]")
    expect(percent).to_have_text("0%")
    worker_process()
    # Polled every 2 s: it moves on while the page stays open, without a reload.
    expect(percent).not_to_have_text("0%", timeout=15_000)
    expect(percent).to_have_text("100%", timeout=30_000)
    expect(signed_in.locator("[data-job-done]")).to_have_text("15")
    expect(signed_in.locator("#job-status .pill").first).to_have_text("Finished")
    expect(signed_in.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(
        signed_in.get_by_text("Pushes already queued for people who subscribed earlier still go out.")
    ).to_be_visible()


def test_select_every_match_of_a_filtered_list_confirm_and_watch_the_job_reach_100_percent(
    signed_in, live_server, connection, demo_flows, worker_process, settings
):
    settings.SANDBOX_LATENCY_MS = 40
    # Background work takes at most half the key's minute (docs/BUDGET.md): 14 enabled flows,
    # more than a page of 10, fit in it beside the job's read; all of the demo's would wait for
    # the next minute.
    kept = list(demo_flows.filter(is_enabled=True).values_list("id", flat=True)[:14])
    demo_flows.filter(is_enabled=True).exclude(id__in=kept).update(is_enabled=False)
    enabled = set(demo_flows.filter(is_enabled=True).values_list("id", flat=True))
    assert len(enabled) > 10, "the demo's enabled flows fill more than one page of 10"
    signed_in.goto(f"{live_server.url}/connections/{connection.pk}/flows/?status=enabled&results_per_page=10")
    bar = signed_in.locator("#bulk-form")
    expect(bar.get_by_role("button", name="Pause")).to_be_disabled()
    # Nothing chosen: "Set fields…" is off as the buttons are, and does not open.
    set_fields = bar.locator(".bulk-set")
    expect(set_fields.locator("summary")).to_have_attribute("aria-disabled", "true")
    set_fields.locator("summary").click()
    expect(set_fields).not_to_have_attribute("open", "")
    every_match = bar.get_by_label(f"Select all {len(enabled)} matching flows, on every page")
    expect(every_match).to_be_hidden()

    signed_in.get_by_label("Select every flow on this page").check()
    expect(signed_in.locator('input[name="ids"][form="bulk-form"]:checked')).to_have_count(10)
    expect(bar.locator("[data-bulk-count]")).to_have_text("10 selected")
    expect(set_fields.locator("summary")).to_have_attribute("aria-disabled", "false")
    every_match.check()
    expect(bar.locator("[data-bulk-count]")).to_have_text(f"All {len(enabled)} matching flows selected")
    # Taken, the offer is not made again beside the count that says so; the focus goes on to the
    # actions, not to nowhere.
    expect(every_match).to_be_hidden()
    expect(bar.locator("[data-bulk-action]").first).to_be_focused()
    bar.get_by_role("button", name="Pause").click()

    expect(signed_in.get_by_role("heading", name=f"Pause {len(enabled)} flows?")).to_be_visible()
    expect(signed_in.get_by_text(f"and {len(enabled) - 5} more")).to_be_visible()
    signed_in.get_by_role("button", name=f"Pause {len(enabled)} flows").click()

    percent = signed_in.locator("[data-job-percent]")
    expect(percent).to_have_text("0%")
    worker_process()
    expect(percent).to_have_text("100%", timeout=30_000)
    expect(signed_in.locator("[data-job-done]")).to_have_text(str(len(enabled)))
    assert not demo_flows.filter(is_enabled=True).exists()
    assert BulkJob.objects.get().items.count() == len(enabled)
