"""Finding flows in a browser: search as you type, sort by a header, filter by website, and Back
and Forward through each of them (every step is a URL of its own)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def names(page):
    return page.locator("#flows-table tbody .flow-name").all_inner_texts()


def test_search_as_you_type_sort_filter_and_go_back_and_forward(signed_in, demo_flows):
    page = signed_in
    requests = []
    page.on("request", lambda request: requests.append(request.url) if "q=" in request.url else None)
    everything = names(page)

    page.get_by_placeholder("Search name, title, text or link").press_sequentially("cart", delay=40)
    expect(page).to_have_url(re.compile(r"q=cart"))
    expect(page.locator("#flows-table tbody tr")).to_have_count(
        demo_flows.filter(name__icontains="cart").count()
    )
    assert all("cart" in name.lower() for name in names(page))
    assert len(requests) == 1, "typing four letters quickly sends one request (debounced)"
    searched = names(page)

    page.get_by_role("link", name="Sent", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=-sent"))
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Sent")
    sent = [
        int(text.replace(",", ""))
        for text in page.locator('#flows-table tbody td[data-label="Sent"]').all_inner_texts()
    ]
    assert sent == sorted(sent, reverse=True)
    sorted_names = names(page)

    site = demo_flows.first().website
    page.locator("#find-form select[name=website]").select_option(label=site.name)
    expect(page).to_have_url(re.compile(rf"website={site.id}"))
    expect(page.locator(".chip", has_text="Website:")).to_contain_text(site.name)
    filtered = names(page)
    assert filtered and set(filtered) <= {flow.name for flow in demo_flows.filter(website=site)}

    # Each step back or forward shows that step's flows (restored, or loaded again as a page).
    shown = page.locator("#flows-table tbody .flow-name")
    page.go_back()
    expect(page).not_to_have_url(re.compile("website="))
    expect(shown).to_have_text(sorted_names)
    page.go_back()
    expect(page).not_to_have_url(re.compile("sort="))
    expect(shown).to_have_text(searched)
    page.go_back()
    expect(page).not_to_have_url(re.compile("q="))
    expect(shown).to_have_text(everything)
    expect(page.get_by_placeholder("Search name, title, text or link")).to_have_value("")
    page.go_forward()
    expect(page).to_have_url(re.compile("q=cart"))
    expect(shown).to_have_text(searched)
    expect(page.locator("link[rel=stylesheet]")).to_have_count(1)  # a whole page, not a bare fragment


def test_a_chip_clears_its_filter_in_one_click(signed_in, live_server, connection, demo_flows):
    page = signed_in
    page.goto(f"{live_server.url}/connections/{connection.pk}/flows/?status=paused&q=e")
    page.get_by_role("link", name=re.compile("Paused only")).click()
    expect(page).not_to_have_url(re.compile("status="))
    expect(page).to_have_url(re.compile("q=e"))
    expect(page.locator(".chip", has_text="Paused only")).to_have_count(0)
