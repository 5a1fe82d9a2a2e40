"""What reaches people, in a browser (issue 27): the flow's page loads its deliveries card by
itself, and a website's sequence reads by keyboard, follows dark mode, fits a 390 px phone and
speaks Chinese. Every wait is on a condition (Playwright's expect), none on a fixed sleep."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def open_sequence(page, live_server, connection, website_id):
    page.goto(f"{live_server.url}/connections/{connection.pk}/websites/{website_id}/sequence/")
    expect(page.locator("svg.sequence-chart")).to_be_visible()


def test_the_flow_page_loads_its_deliveries_once_shown(signed_in, live_server, connection, demo_flows):
    flow = demo_flows.first()
    signed_in.goto(f"{live_server.url}/connections/{connection.pk}/flows/{flow.id}/")
    card = signed_in.locator("#deliveries")
    expect(card.locator(".kpis")).to_be_visible()
    expect(card).to_contain_text("Failure rate")


def test_the_sequence_reads_by_keyboard(signed_in, live_server, connection, demo_flows):
    site = demo_flows.first().website
    open_sequence(signed_in, live_server, connection, site.id)
    marks = signed_in.locator(".sequence-mark")
    expect(marks).to_have_count(demo_flows.filter(website=site).count())
    marks.first.focus()
    focused = signed_in.locator(".sequence-mark:focus")
    expect(focused).to_have_attribute("aria-label", re.compile(r" · (enabled|paused) · "))
    signed_in.keyboard.press("Tab")
    expect(marks.nth(1)).to_be_focused()
    # The same flows as a table, each linked to its page.
    expect(signed_in.locator(".sequence-table tbody tr")).to_have_count(marks.count())


def test_the_sequence_follows_dark_mode(signed_in, live_server, connection, demo_flows):
    open_sequence(signed_in, live_server, connection, demo_flows.first().website.id)
    mark = signed_in.locator(".sequence-on circle").first

    def fill():
        return mark.evaluate("circle => getComputedStyle(circle).fill")

    light = fill()
    signed_in.emulate_media(color_scheme="dark")
    expect(mark).not_to_have_css("fill", light)


def test_the_sequence_fits_a_phone_its_chart_scrolling_inside(signed_in, live_server, connection, demo_flows):
    signed_in.set_viewport_size({"width": 390, "height": 844})
    open_sequence(signed_in, live_server, connection, demo_flows.first().website.id)
    page_width = signed_in.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 390, "the page itself does not scroll sideways"
    scroll = signed_in.locator(".sequence-scroll")
    assert scroll.evaluate("box => box.scrollWidth > box.clientWidth"), "the chart keeps a readable size"


def test_the_sequence_speaks_chinese(signed_in, live_server, connection, demo_flows):
    signed_in.set_extra_http_headers({"Accept-Language": "zh-CN"})
    open_sequence(signed_in, live_server, connection, demo_flows.first().website.id)
    expect(signed_in.locator("h1")).to_contain_text("推送序列")
    expect(signed_in.locator(".sequence-chart .axis-label").first).to_have_text("1 小时")
