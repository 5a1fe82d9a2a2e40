"""What the walkthrough of the merged round (#22, #23, #25) found broken in a browser and fixed."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1280, "height": 800}


def test_on_a_laptop_the_columns_menu_opens_inside_the_screen_beside_the_request_count(signed_in, settings):
    # A key whose server announces its limit: the toolbar then says how many requests are left,
    # the long sentence that pushed the Columns menu onto a line of its own at the left, where
    # its panel (opening leftwards from the button's right edge) fell off the screen.
    settings.SANDBOX_RATE_LIMIT = 60
    signed_in.set_viewport_size(LAPTOP)
    signed_in.goto(signed_in.url.split("?")[0] + "?fresh=1")
    expect(signed_in.locator("#flows-table .table-toolbar")).to_contain_text("more times this minute")
    signed_in.get_by_text("Columns", exact=True).click()
    panel = signed_in.locator(".columns-form").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= LAPTOP["width"], panel
    signed_in.get_by_label("Closed", exact=True).check()
    signed_in.get_by_role("button", name="Show these columns").click()
    expect(signed_in.get_by_role("columnheader", name="Closed")).to_be_visible()


def test_on_a_phone_every_figure_of_the_websites_overview_says_what_it_counts(
    signed_in, live_server, connection
):
    # Its rows become cards there, with no column headers above them: each figure, the totals'
    # too, carries its column's name (the totals were a bare column of numbers).
    signed_in.set_viewport_size({"width": 390, "height": 844})
    signed_in.goto(f"{live_server.url}/connections/{connection.pk}/websites/")
    labels = signed_in.locator("table.flows td.num").evaluate_all(
        "cells => cells.map(cell => getComputedStyle(cell, '::before').content)"
    )
    assert labels and all(label not in ("none", "normal", '""') for label in labels), labels
    totals = signed_in.locator("table.flows tfoot tr")
    assert totals.evaluate("row => getComputedStyle(row).display") == "grid"
    expect(totals.locator("td[data-label]").first).to_have_attribute("data-label", "Enabled")
