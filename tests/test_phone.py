"""Every page fits a 390 px phone screen with no sideways scroll; the list becomes cards and the
header collapses into one menu."""

import re

import pytest
from playwright.sync_api import expect

from activity.history import record
from activity.models import Kind
from flows_app.formatting import DASH
from sandbox.models import Fault
from sandbox.models import Flow as SandboxFlow

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(signed_in):
    signed_in.set_viewport_size(PHONE)
    return signed_in


def assert_fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px screen"


def test_every_page_fits_a_phone(phone, live_server, connection, demo_flows, user):
    flow = demo_flows.first()
    base = f"{live_server.url}/connections/{connection.pk}"
    before = {"name": flow.name, "website_id": flow.website_id, "title": flow.title}
    entry = record(
        user, connection, Kind.FLOW_EDIT, flow_id=flow.id, before=before, after={**before, "title": "x" * 64}
    )
    pages = [
        f"{base}/members/",
        f"{base}/activity/",
        f"{base}/flows/{flow.id}/activity/",
        f"{base}/activity/{entry.pk}/restore/",
        f"{base}/flows/",
        f"{base}/flows/?page=2&results_per_page=25",
        f"{base}/flows/{flow.id}/",
        f"{base}/flows/{flow.id}/edit/",
        f"{base}/flows/{flow.id}/duplicate/",
        f"{base}/flows/{flow.id}/delete/",
        f"{base}/flows/new/",
        f"{base}/flows/999999/",
        f"{base}/edit/",
        f"{base}/delete/",
        f"{live_server.url}/connections/",
        f"{live_server.url}/connections/new/",
        f"{live_server.url}/no-such-page/",
    ]
    for url in pages:
        phone.goto(url)
        assert_fits(phone)
        phone.locator(".nav-menu > summary").click()
        assert_fits(phone)
        phone.keyboard.press("Escape")


def test_the_login_page_fits_a_phone(browser, live_server):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert_fits(page)
    context.close()


def test_the_header_collapses_into_one_menu(phone, connection):
    nav = phone.locator(".nav-menu")
    header = phone.locator("header.topbar")
    assert header.evaluate("el => el.scrollWidth") <= PHONE["width"]
    expect(phone.get_by_role("link", name="Connections", exact=True)).to_be_hidden()
    nav.locator("> summary").click()
    expect(phone.get_by_role("link", name="Connections", exact=True)).to_be_visible()
    expect(phone.get_by_role("button", name="Log out")).to_be_hidden()
    nav.get_by_label("Account menu").click()
    expect(phone.get_by_role("button", name="Log out")).to_be_visible()
    assert_fits(phone)
    nav.get_by_role("link", name="Connections", exact=True).click()
    expect(phone.locator("h1")).to_contain_text("Connections")


def test_the_list_becomes_cards_with_name_state_switch_and_numbers(phone, demo_flows):
    flow = demo_flows.filter(is_enabled=True).first()
    card = phone.locator(f"#flow-{flow.id}")
    # The first enabled flow is not always the first card (demo flows are paused at random).
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    name, switch = card.locator(".flow-name"), card.locator(".switch")
    sent, rate = card.locator('td[data-label="Sent"]'), card.locator('td[data-label="Click rate"]')
    for part in (name, switch, sent, rate):
        expect(part).to_be_in_viewport()
    # Each number carries its name on the card (the table's header row is gone).
    assert sent.evaluate("td => getComputedStyle(td, '::before').content") == '"Sent"'
    expect(phone.locator("#flows-table thead")).to_be_hidden()
    # The switch sits beside its flow's name, on the card's first line.
    assert abs(switch.bounding_box()["y"] - name.bounding_box()["y"]) < 24
    expect(card).to_contain_text(f"{flow.total_sent_push_notifications:,}")
    state = card.locator(".toggle-cell")
    assert state.evaluate("td => getComputedStyle(td, '::before').content") == '"Enabled"'
    switch.click()
    expect(card.locator(".switch")).to_have_attribute("aria-checked", "false")
    assert state.evaluate("td => getComputedStyle(td, '::before').content") == '"Paused"'
    assert_fits(phone)


def test_a_phone_sorts_its_cards_from_the_sort_menu(phone, demo_flows):
    sort = phone.get_by_label("Sort by")
    expect(sort).to_be_in_viewport()
    sort.select_option(label="Click rate, highest first")
    expect(phone).to_have_url(re.compile(r"sort=-click_rate"))
    rates = [
        float(text.rstrip("%")) if text != DASH else -1
        for text in phone.locator('#flows-table tbody td[data-label="Click rate"]').all_inner_texts()
    ]
    assert len(rates) == 25 and rates == sorted(rates, reverse=True)
    expect(phone.get_by_label("Sort by")).to_have_value("-click_rate")
    phone.get_by_label("Sort by").select_option(label="Flow, A to Z")
    expect(phone).to_have_url(re.compile(r"sort=name"))
    names = phone.locator("#flows-table tbody .flow-name").all_inner_texts()
    assert names == sorted(names, key=str.casefold)
    assert_fits(phone)


def test_three_cards_or_more_fit_a_phone_screen(phone, demo_flows):
    heights = phone.locator("#flows-table tbody tr").evaluate_all(
        "rows => rows.map(row => row.getBoundingClientRect().height)"
    )
    assert len(heights) == 25
    tallest = max(heights)
    assert tallest * 3 <= PHONE["height"], f"a card is {tallest} px tall: fewer than 3 to a screen"


def test_selected_cards_bring_the_bulk_bar_which_stays_in_reach_while_scrolling(phone, demo_flows):
    bar, pause = phone.locator("#bulk-form"), phone.locator("#bulk-form").get_by_role("button", name="Pause")
    expect(bar).to_be_hidden()
    flow = demo_flows.first()
    phone.locator(f"#flow-{flow.id}").get_by_role("checkbox").check()
    expect(bar).to_contain_text("1 selected")
    expect(pause).to_be_enabled()
    # The cards have no header: the bar has its own box for the page.
    bar.get_by_label("Select this page").check()
    expect(bar).to_contain_text(f"{min(demo_flows.count(), 25)} selected")
    phone.locator("#flows-table .table-foot").scroll_into_view_if_needed()
    expect(pause).to_be_in_viewport()
    assert_fits(phone)


def test_the_conflict_and_error_pages_fit_a_phone(phone, live_server, connection, demo_flows, sandbox_key):
    flow = demo_flows.first()
    phone.goto(f"{live_server.url}/connections/{connection.pk}/flows/{flow.id}/edit/")
    phone.get_by_label("Title").fill("Mine, from the phone")
    SandboxFlow.objects.filter(pk=flow.pk).update(title="Theirs, changed meanwhile by someone else")
    phone.get_by_role("button", name="Save changes").click()
    expect(phone.locator(".compare")).to_be_visible()
    assert_fits(phone)
    Fault.objects.create(account=flow.account, kind="status", status=503)
    uncached = demo_flows.last()
    phone.goto(f"{live_server.url}/connections/{connection.pk}/flows/{uncached.id}/")
    expect(phone.locator(".error-card")).to_be_visible()
    assert_fits(phone)


def test_a_flows_figures_in_the_millions_stay_inside_their_card(phone, live_server, connection, demo_flows):
    flow = demo_flows.first()
    SandboxFlow.objects.filter(pk=flow.pk).update(
        total_sent_push_notifications=1_263_901, total_displayed_push_notifications=1_053_809
    )
    phone.goto(f"{live_server.url}/connections/{connection.pk}/flows/{flow.id}/")
    expect(phone.locator(".kpi-value").first).to_have_text("1,263,901")
    card = phone.locator("#stats-title + .kpis").bounding_box()
    for tile in phone.locator(".kpi").all():
        box = tile.bounding_box()
        assert card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"] + 0.5
