"""The flows list's one delete dialog, filled by app.js from the row that opens it, names the
flow's website beside its name: two flows may share a name on two websites."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_the_lists_delete_dialog_names_the_flows_website(signed_in, demo_flows):
    dialog = signed_in.locator("#delete-dialog")
    for flow in demo_flows[:2]:
        signed_in.locator(f"#flow-{flow.id}").get_by_role("link", name=f"Delete {flow.name}").click()
        expect(dialog.get_by_role("heading")).to_have_text(f"Delete “{flow.name}”?")
        expect(dialog.locator("[data-delete-website]")).to_have_text(flow.website.name)
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
