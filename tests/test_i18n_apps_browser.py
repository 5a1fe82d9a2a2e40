"""The jobs, trends and teams pages in Chromium set to Chinese: each fits a phone and a laptop,
and the chart's Chinese axis labels stand apart, readable."""

import itertools
import os
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from activity.history import record
from activity.models import Kind
from tests.bulk import stopped_job
from tests.trends_history import history_fixture  # noqa: F401 -- the history fixture

pytestmark = pytest.mark.e2e

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 900}}
# Where the screenshots go when someone wants to look at them (they are not compared).
SHOTS = os.environ.get("I18N_SCREENSHOTS")


@pytest.fixture
def chinese(browser, live_server, user):
    """A page in a Chinese Chromium, signed in as the test's user."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-CN", viewport=SIZES["laptop"])
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    yield page
    context.close()


def overlapping(boxes):
    boxes = sorted(boxes, key=lambda box: box["x"])
    return [(a, b) for a, b in itertools.pairwise(boxes) if a["x"] + a["width"] > b["x"]]


def test_the_apps_pages_fit_and_the_chart_reads_in_chinese(
    chinese, live_server, connection, history, user, demo_flows
):
    flow = history[0]
    job = stopped_job(SimpleNamespace(connection=connection, user=user, demo_flows=demo_flows))
    before = {
        "name": flow.name,
        "title": flow.title,
        "wait_time_type": "hours",
        "urgency": "normal",
        "ttl": 3600,
    }
    after = {**before, "title": "x" * 64, "wait_time_type": "days", "urgency": "high", "image": "replaced"}
    record(user, connection, Kind.FLOW_EDIT, flow_id=flow.id, before=before, after=after)
    base = f"{live_server.url}/connections/{connection.pk}"
    pages = {
        "jobs": f"{base}/jobs/",
        "job": f"{live_server.url}{reverse('jobs:detail', args=[job.pk])}",
        "trends": f"{base}/trends/",
        "trends-48h": f"{base}/trends/?range=48h",
        "flow": f"{base}/flows/{flow.id}/?range=7d",
        "members": f"{base}/members/",
        "activity": f"{base}/activity/",
    }
    for size, viewport in SIZES.items():
        chinese.set_viewport_size(viewport)
        for name, url in pages.items():
            chinese.goto(url)
            # A state pill stays on one line (Chinese breaks between any two characters).
            heights = chinese.locator(".pill").evaluate_all(
                "pills => pills.map(p => p.getClientRects().length === 1 && p.offsetHeight < 30)"
            )
            assert all(heights), (name, size, heights)
            width = chinese.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{name} is {width} px wide at {viewport['width']} px"
            axis = chinese.locator("svg.chart g.axis-label[text-anchor=middle] > text:not(.axis-title)")
            if axis.count():
                labels = axis.all_text_contents()
                assert all("月" in label or ":" in label for label in labels), labels
                boxes = [axis.nth(i).bounding_box() for i in range(axis.count())]
                assert overlapping(boxes) == [], (name, size, labels)
            if SHOTS:
                chinese.screenshot(path=f"{SHOTS}/{name}-{size}.png", full_page=True)
