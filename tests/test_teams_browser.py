"""Sharing a connection, as three people see it in a browser: the admin shares it, the viewer
sees no write control, and the editor's toggle appears in the flow's history under their name."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"


def sign_in(browser, live_server, username):
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return page


def test_an_admin_shares_a_viewer_reads_and_an_editors_toggle_is_in_the_history(
    page,
    browser,
    live_server,
    connection,
    demo_flows,
    django_user_model,
    csp_errors,
):
    for name in ("vera", "eddie"):
        django_user_model.objects.create_user(name, password=PASSWORD)
    flow = demo_flows.filter(is_enabled=True).first()

    # The admin (the connection's creator) shares it from the members page.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("marketer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/connections/")
    page.get_by_role("link", name="Members").click()
    for username, role in (("vera", "viewer"), ("eddie", "editor")):
        add = page.locator("form", has=page.get_by_role("button", name="Add member"))
        add.get_by_label("Username").fill(username)
        add.get_by_label("Role").select_option(role)
        add.get_by_role("button", name="Add member").click()
        expect(page.locator(".toast, .messages").first).to_contain_text(f"{username} can now use")
    expect(page.locator("table.members")).to_contain_text("vera")
    expect(page.locator("table.members")).to_contain_text("eddie")

    # The viewer sees the flows, and nothing that would change them.
    viewer = sign_in(browser, live_server, "vera")
    viewer.goto(f"{live_server.url}/connections/{connection.pk}/flows/")
    expect(viewer.locator(f"#flow-{flow.id}")).to_be_visible()
    expect(viewer.locator(f"#toggle-{flow.id}")).to_have_count(0)
    expect(viewer.locator('[role="switch"][aria-disabled="true"]').first).to_be_visible()
    expect(viewer.get_by_role("link", name="New flow")).to_have_count(0)
    expect(viewer.locator("a[href$='/edit/'], a[href$='/delete/'], a[href$='/duplicate/']")).to_have_count(0)
    # Nor bulk actions: no bar, no box to select a flow or the page.
    # (The Columns menu's boxes choose what is shown, not flows.)
    expect(viewer.locator("#bulk-form, #flows-table input[name=ids], [data-select-page]")).to_have_count(0)
    viewer.locator(f"#flow-{flow.id}-name").click()
    expect(viewer.get_by_role("heading", level=1)).to_contain_text(flow.name)
    expect(viewer.get_by_role("link", name="Edit")).to_have_count(0)
    expect(viewer.get_by_role("link", name="Delete")).to_have_count(0)

    # The editor pauses the flow in place; its history names them.
    editor = sign_in(browser, live_server, "eddie")
    editor.goto(f"{live_server.url}/connections/{connection.pk}/flows/")
    expect(editor.locator("#bulk-form")).to_be_visible()
    editor.locator(f"#toggle-{flow.id}").click()
    expect(editor.locator(f"#toggle-{flow.id}")).to_have_attribute("aria-checked", "false")

    viewer.get_by_role("link", name="History").click()
    entry = viewer.locator(".activity-entry").first
    expect(entry.locator(".activity-who")).to_have_text("eddie")
    expect(entry).to_contain_text("Flow paused")
    expect(entry.locator(".diff")).to_contain_text("Yes")
    expect(entry.locator(".diff")).to_contain_text("No")
    expect(viewer.get_by_text("Changes made outside Pushdeck")).to_be_visible()


def test_an_invitation_link_is_copied_with_one_click(signed_in, live_server, connection):
    signed_in.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    signed_in.goto(f"{live_server.url}/connections/{connection.pk}/members/")
    signed_in.get_by_role("button", name="Make an invitation link").click()
    link = signed_in.locator("#invitation-link")
    expect(link).to_have_value(re.compile(r"/invitations/[\w-]+/$"))
    signed_in.get_by_role("button", name="Copy link").click()
    expect(signed_in.locator(".toast-success")).to_contain_text("Link copied.")
    assert signed_in.evaluate("navigator.clipboard.readText()") == link.input_value()
    # All of the link is in view, beside its button.
    field, card = link.bounding_box(), signed_in.locator(".alert-success").bounding_box()
    assert field["width"] > card["width"] / 2
