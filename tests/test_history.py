"""Back and Forward after every htmx navigation of the product: the address, the whole page and
the rows shown always agree, whether the browser restores a page from its cache or asks again.

htmx navigations that push an address: the pager's links, the rows-per-page select, Refresh.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def expect_list(page, label, rows):
    """The whole list page (header, styles, table), showing `label` and `rows` rows."""
    expect(page.locator("header.topbar")).to_be_visible()
    expect(page.get_by_text(label)).to_be_visible()
    expect(page.locator("#flows-table tbody tr")).to_have_count(rows)
    # Styled: the stylesheet applies to the restored document (a bare fragment has none).
    assert page.locator(".brand img").evaluate("img => img.getBoundingClientRect().width") == 28


def open_first_flow(page):
    page.locator("#flows-table .flow-name").first.click()
    expect(page.locator("#stats-title + .kpis")).to_be_visible()


def test_back_and_forward_after_paging(signed_in):
    signed_in.get_by_role("link", name="Next page").click()
    expect_list(signed_in, "Page 2 of 2", 15)
    open_first_flow(signed_in)
    signed_in.go_back()
    expect_list(signed_in, "Page 2 of 2", 15)
    assert "page=2" in signed_in.url
    signed_in.go_back()
    expect_list(signed_in, "Page 1 of 2", 25)
    assert "page=2" not in signed_in.url
    signed_in.go_forward()
    expect_list(signed_in, "Page 2 of 2", 15)
    signed_in.get_by_role("link", name="Page 1").click()
    expect_list(signed_in, "Page 1 of 2", 25)
    signed_in.go_back()
    expect_list(signed_in, "Page 2 of 2", 15)


def test_back_and_forward_after_changing_rows_per_page(signed_in):
    signed_in.get_by_label("Rows per page").select_option("10")
    expect_list(signed_in, "Page 1 of 4", 10)
    open_first_flow(signed_in)
    signed_in.go_back()
    expect_list(signed_in, "Page 1 of 4", 10)
    assert "results_per_page=10" in signed_in.url
    expect(signed_in.get_by_label("Rows per page")).to_have_value("10")
    signed_in.go_forward()
    expect(signed_in.locator("#stats-title + .kpis")).to_be_visible()
    signed_in.go_back()
    expect_list(signed_in, "Page 1 of 4", 10)


def test_back_after_refresh_shows_the_whole_page(signed_in):
    signed_in.get_by_role("link", name="Refresh").click()
    expect(signed_in).to_have_url(re.compile(r"page=1&results_per_page=25$"))
    open_first_flow(signed_in)
    signed_in.go_back()
    expect_list(signed_in, "Page 1 of 2", 25)


def test_a_fragment_and_its_page_are_never_cached_as_one(logged_in, connection, demo_flows):
    url = reverse("flows:list", args=[connection.pk]) + "?page=2&results_per_page=25"
    page = logged_in.get(url)
    fragment = logged_in.get(url, headers={"HX-Request": "true"})
    for response in (page, fragment):
        assert "HX-Request" in response["Vary"]
        assert "no-store" in response["Cache-Control"]
    assert b"<html" in page.content
    assert b"<html" not in fragment.content
