"""The trend chart in Chromium: drawn with data, values shown on focus, the range switch swapping
the chart in place, and dark mode (with a screenshot kept for people to look at)."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.trends_history import grow, history_fixture  # noqa: F401 -- the history fixture
from trends.snapshots import take_snapshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def detail(signed_in, live_server, connection, history):
    signed_in.goto(f"{live_server.url}/connections/{connection.pk}/flows/{history[0].id}/")
    return signed_in


def test_chart_renders_with_data_and_shows_values_on_focus(detail):
    chart = detail.locator("#trend svg.chart")
    expect(chart).to_be_visible()
    points = detail.locator("#trend .line-sent:not(.line-ongoing)").get_attribute("points").split()
    # Three whole days recorded; today, still running, is the dashed stretch after them.
    assert len(points) == 3
    assert detail.locator("#trend .line-sent.line-ongoing").get_attribute("points").split()[0] == points[-1]
    # The sent line rises off the baseline where the flow sent 100.
    assert len({point.split(",")[1] for point in points}) > 1
    marks = detail.locator("#trend .mark")
    tip = marks.nth(27).locator(".tip")
    expect(tip).to_be_hidden()
    # One tab stop, today's mark; the arrow keys reach the day before yesterday.
    expect(detail.locator('#trend .mark[tabindex="0"]')).to_have_count(1)
    marks.last.focus()
    detail.keyboard.press("ArrowLeft")
    detail.keyboard.press("ArrowLeft")
    expect(marks.nth(27)).to_be_focused()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Sent: 100")
    expect(tip).to_contain_text("Click rate: 10.0%")
    detail.get_by_text("The figures as a table").click()
    expect(detail.locator(".trend-table tbody tr").first).to_be_visible()


def test_range_switch_swaps_the_chart_and_keeps_the_url(detail):
    detail.get_by_role("link", name="7 days").click()
    expect(detail.locator("#trend .mark")).to_have_count(7)
    expect(detail.get_by_role("link", name="7 days")).to_have_attribute("aria-current", "true")
    assert detail.url.endswith("?range=7d")
    detail.get_by_role("link", name="48 hours").click()
    expect(detail.locator("#trend .mark")).to_have_count(48)
    detail.go_back()
    expect(detail.locator("#trend .mark")).to_have_count(7)
    detail.get_by_label("From").fill("2026-01-01")
    detail.get_by_label("to", exact=True).fill("2026-01-10")
    detail.get_by_role("button", name="Show").click()
    expect(detail.locator("#trend .mark")).to_have_count(10)
    assert re.search(r"from=2026-01-01&to=2026-01-10$", detail.url)


def test_dark_mode_draws_the_chart_in_light_ink(detail, tmp_path):
    label = detail.locator("#trend .axis-label text").first
    light = label.evaluate("element => getComputedStyle(element).fill")
    detail.emulate_media(color_scheme="dark")
    dark = label.evaluate("element => getComputedStyle(element).fill")
    assert light != dark
    # Light ink on the dark card: every channel of the axis labels' colour is bright.
    assert min(int(channel) for channel in re.findall(r"\d+", dark)[:3]) > 128
    shot = tmp_path / "trend-dark.png"
    detail.locator("#trend").screenshot(path=shot)
    assert shot.stat().st_size > 10_000


def test_the_list_sorts_by_a_last_7_days_header_and_back_restores_it(
    signed_in, every_column, live_server, connection, history
):
    flow, other, _now = history
    page = signed_in
    page.goto(f"{live_server.url}/connections/{connection.pk}/flows/")
    first = page.locator("#flows-table tbody .flow-name").first
    page.get_by_role("link", name="Sent 7d", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=-sent_7d"))
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Sent 7d")
    # 1,000 sent in the last 7 days, then 150: the busiest flows of the week lead.
    expect(first).to_have_text(other.name)
    expect(page.locator("#flows-table tbody .flow-name").nth(1)).to_have_text(flow.name)
    page.get_by_role("link", name="Sent 7d", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=sent_7d"))
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Sent 7d")
    # The quietest first: a flow that sent nothing this week, on a page without the two busy ones.
    expect(page.locator(f"#flow-{other.id}")).to_have_count(0)
    expect(page.locator(f"#flow-{flow.id}")).to_have_count(0)
    page.go_back()
    expect(page).to_have_url(re.compile(r"sort=-sent_7d"))
    expect(first).to_have_text(other.name)


def test_the_axes_titles_keep_clear_of_millions_in_english_and_chinese(
    signed_in, live_server, connection, demo_flows
):
    """Side titles beside the widest tick labels (4,000,000 and 20.0%), turned in English and
    upright in Chinese: none touches a label."""
    flow = demo_flows[0]
    now = timezone.now()
    take_snapshot(connection, now - dt.timedelta(days=2))
    grow(flow, 3_500_000, 3_000_000, 600_000)
    take_snapshot(connection, now - dt.timedelta(days=1))
    page = f"{live_server.url}/connections/{connection.pk}/flows/{flow.id}/"
    for language in ("en", "zh-hans"):
        signed_in.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        signed_in.goto(page)
        titles = signed_in.locator("#trend .chart-row text.axis-title[transform]")
        expect(titles.first).to_have_text("Notifications" if language == "en" else "通知")
        labels = signed_in.locator("#trend .chart-row g.axis-label:not([text-anchor=middle]) > text")
        assert "4,000,000" in labels.all_text_contents()
        for title in titles.all():
            box = title.bounding_box()
            touching = [label for label in labels.all() if meet(box, label.bounding_box())]
            assert touching == [], (
                language,
                title.text_content(),
                [label.text_content() for label in touching],
            )


def meet(a, b, gap=2):
    """Whether two boxes overlap or come within ``gap`` pixels of each other."""
    return (
        a["x"] < b["x"] + b["width"] + gap
        and b["x"] < a["x"] + a["width"] + gap
        and a["y"] < b["y"] + b["height"] + gap
        and b["y"] < a["y"] + a["height"] + gap
    )


def slow_network(page):
    """Chromium's own throttling, as on a poor mobile connection: every answer waits 400 ms more."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    conditions = {"offline": False, "latency": 400, "downloadThroughput": 100_000, "uploadThroughput": 50_000}
    session.send("Network.emulateNetworkConditions", conditions)


def test_every_range_swaps_in_with_no_inline_style_on_a_slow_network(detail, csp_errors):
    """A style set on an element through CSSOM is allowed (Playwright's screenshot sets one on the
    date boxes to hide their caret, as a browser's own tools may): htmx, settling the chart swapped
    in, must not copy it over as a style attribute, which the policy refuses."""
    slow_network(detail)
    detail.reload()
    for name, days in (("48 hours", 48), ("7 days", 7), ("30 days", 30), ("90 days", 90)):
        detail.locator("#trend").screenshot()
        detail.get_by_role("link", name=name).click()
        expect(detail.get_by_role("link", name=name)).to_have_attribute("aria-current", "true")
        expect(detail.locator("#trend .mark")).to_have_count(days)
    expect(detail.locator("#trend.htmx-settling")).to_have_count(0)
    assert csp_errors == []


def test_on_a_phone_the_count_axis_stays_in_view_as_the_days_scroll_beneath_it(detail):
    detail.set_viewport_size({"width": 390, "height": 844})
    detail.reload()
    scroller = detail.locator("#trend .chart-scroll")
    counts = detail.locator("#trend g.axis-label[text-anchor=end] > text")
    today = detail.locator("#trend .mark .hit").last
    scroller.scroll_into_view_if_needed()
    for back in (0, 150, 10_000):
        scroller.evaluate("(box, back) => { box.scrollLeft = 0; box.scrollBy(-back, 0); }", back)
        view = scroller.bounding_box()
        for label in (counts.first, counts.last):
            box = label.bounding_box()
            assert view["x"] <= box["x"] and box["x"] + box["width"] <= view["x"] + view["width"], (back, box)
            # Drawn over the days passing beneath it, not under them.
            middle = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
            assert label.evaluate("(text, [x, y]) => text.contains(document.elementFromPoint(x, y))", middle)
    # It opens on the latest days: today's column is in view when nothing was scrolled.
    scroller.evaluate("box => { box.scrollLeft = 0; }")
    box = today.bounding_box()
    assert view["x"] <= box["x"] and box["x"] + box["width"] <= view["x"] + view["width"] + 1


def test_on_a_phone_nothing_stays_over_the_chart_scrolled_to(detail):
    detail.set_viewport_size({"width": 390, "height": 844})
    detail.reload()
    chart = detail.locator("#trend svg.chart")
    # Its top just under the top bar, as one reads it.
    chart.evaluate("svg => window.scrollBy(0, svg.getBoundingClientRect().top - 100)")
    view, box = detail.locator("#trend .chart-scroll").bounding_box(), chart.bounding_box()
    for y in (box["y"] + 20, box["y"] + box["height"] / 2):
        point = [view["x"] + view["width"] - 40, y]
        assert chart.evaluate("(svg, [x, y]) => svg.contains(document.elementFromPoint(x, y))", point), y
