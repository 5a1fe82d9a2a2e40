"""Bulk jobs in the browser: the job page follows a worker running in its own process."""

import pytest
from playwright.sync_api import expect

from jobs import bulk

pytestmark = pytest.mark.e2e


def test_the_job_page_shows_progress_live_until_100_percent(
    signed_in, live_server, connection, demo_flows, user, worker_process, settings
):
    settings.SANDBOX_LATENCY_MS = 80
    job, _ = bulk.start(connection, user, "pause", list(demo_flows.values_list("id", flat=True)))
    signed_in.goto(f"{live_server.url}/jobs/{job.pk}/")
    percent = signed_in.locator("[data-job-percent]")
    expect(percent).to_have_text("0 %")
    worker_process()
    # Polled every 2 s: it moves on while the page stays open, without a reload.
    expect(percent).not_to_have_text("0 %", timeout=15_000)
    expect(percent).to_have_text("100 %", timeout=30_000)
    expect(signed_in.locator("[data-job-done]")).to_have_text("40")
    expect(signed_in.locator("#job-status .pill").first).to_have_text("Finished")
    expect(signed_in.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(
        signed_in.get_by_text("Pushes already queued for people who subscribed earlier still go out.")
    ).to_be_visible()
