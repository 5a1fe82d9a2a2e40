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
