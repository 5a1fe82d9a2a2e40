"""What only a browser shows: htmx swaps, the dialog, the image picker and the live preview.

Driven through Debian's Chromium against live_server, which also serves the sandbox API.
"""

import re

import pytest
from playwright.sync_api import expect

from flows_app.models import Preferences
from sandbox.models import ApiAccount
from sandbox.models import Flow as SandboxFlow
from sandbox.models import Website as SandboxWebsite
from tests.helpers import png

pytestmark = pytest.mark.e2e


def test_toggle_pauses_a_flow_in_place(signed_in, demo_flows):
    flow = demo_flows.filter(is_enabled=True).first()
    switch = signed_in.locator(f"#toggle-{flow.id}")
    name = signed_in.locator(f"#flow-{flow.id}-name")
    enabled_color = name.evaluate("element => getComputedStyle(element).color")
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(switch).to_have_accessible_name(flow.name)
    switch.click()
    expect(signed_in.locator(f"#toggle-{flow.id}")).to_have_attribute("aria-checked", "false")
    flow.refresh_from_db()
    assert flow.is_enabled is False
    expect(signed_in.locator(f"#toggle-{flow.id}")).to_be_focused()
    # Only the switch was swapped; its row is muted as a paused flow's.
    assert name.evaluate("element => getComputedStyle(element).color") != enabled_color


def test_pagination_swaps_the_table_and_keeps_the_url(signed_in, live_server, connection):
    signed_in.get_by_role("link", name="Next page").click()
    expect(signed_in.get_by_text("Page 2 of 2")).to_be_visible()
    assert re.search(r"page=2&results_per_page=25$", signed_in.url)
    signed_in.get_by_label("Rows per page").select_option("10")
    expect(signed_in.get_by_text("Page 1 of 4")).to_be_visible()
    assert "results_per_page=10" in signed_in.url
    signed_in.go_back()
    expect(signed_in.get_by_text("Page 2 of 2")).to_be_visible()


def test_create_with_an_image_and_a_live_preview(signed_in, sandbox_key):
    signed_in.get_by_role("link", name="New flow").click()
    preview = signed_in.locator("[data-preview]")
    signed_in.get_by_label("Name").fill("Spring welcome")
    website = signed_in.get_by_label("Website", exact=True)
    # The notification comes from the website the subscriber is on: the preview follows the choice.
    first, second = (
        SandboxWebsite.objects.get(pk=int(value)).host
        for value in website.evaluate(
            "select => Array.from(select.options).slice(0, 2).map(option => option.value)"
        )
    )
    expect(preview.locator("[data-preview-host]")).to_have_text(first)
    website.select_option(index=1)
    expect(preview.locator("[data-preview-host]")).to_have_text(second)
    signed_in.get_by_label("Title").fill("Spring is here")
    expect(preview.locator("[data-preview-title]")).to_have_text("Spring is here")
    signed_in.get_by_label("Description").fill("Fresh picks for you")
    expect(preview.locator("[data-preview-description]")).to_have_text("Fresh picks for you")
    signed_in.get_by_label(re.compile(r"^Link")).fill("https://garden.example/spring")
    expect(preview.locator("[data-preview-host]")).to_have_text(second)
    signed_in.get_by_label("Button 1 text").fill("Browse")
    signed_in.get_by_label("Button 1 link").fill("https://garden.example/browse")
    expect(preview.locator('[data-preview-button="1"]')).to_have_text("Browse")
    signed_in.locator('input[name="image"]').set_input_files(
        {"name": "spring.png", "mimeType": "image/png", "buffer": png(64, 32)}
    )
    expect(preview.locator("[data-preview-image]")).to_have_attribute("src", re.compile("^blob:"))
    signed_in.get_by_role("button", name="Create flow").click()
    expect(signed_in.get_by_role("heading", name="Spring welcome")).to_be_visible()
    expect(signed_in.locator(".toast-success")).to_contain_text("created")
    created = SandboxFlow.objects.get(
        account__in=ApiAccount.objects.with_key(sandbox_key), name="Spring welcome"
    )
    assert created.image.endswith(".png")
    assert created.button_url_1 == "https://garden.example/browse"


def test_a_late_answer_leaves_the_focus_where_the_user_typed(signed_in):
    """Picking a website asks for its segments; the user types on in the next field meanwhile, and
    the answer must not take the focus back to the website (the rest of the text went there)."""
    held = []
    signed_in.route("**/flows/segments/**", lambda route: held.append(route))
    signed_in.get_by_role("link", name="New flow").click()
    website = signed_in.get_by_label("Website", exact=True)
    website.focus()
    with signed_in.expect_request("**/flows/segments/**"):
        website.select_option(index=1)
    title = signed_in.get_by_label("Title")
    title.click()
    title.press_sequentially("Spring")
    signed_in.evaluate(
        "() => { window.settled = new Promise(done =>"
        " document.body.addEventListener('htmx:afterSettle', done, {once: true})); }"
    )
    held[0].continue_()
    signed_in.evaluate("() => window.settled")
    title.press_sequentially(" is here")
    expect(title).to_have_value("Spring is here")
    expect(title).to_be_focused()


def on_top(element):
    """Whether a click just inside the element's left edge reaches it: nothing covers its start."""
    found = element.bounding_box()
    start = (found["x"] + 4, found["y"] + found["height"] / 2)
    return element.evaluate("(element, [x, y]) => element.contains(document.elementFromPoint(x, y))", start)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_on_a_laptop_the_columns_people_sort_by_are_in_view_without_scrolling(
    signed_in, live_server, connection, demo_flows, language
):
    signed_in.set_viewport_size({"width": 1280, "height": 800})
    if language != "en":
        signed_in.get_by_label("Account menu").click()
        with signed_in.expect_navigation():
            signed_in.locator(f"button[name=language][value={language}]").click()
    wrap = signed_in.locator("#flows-table .table-wrap")
    assert wrap.evaluate("element => element.scrollWidth <= element.clientWidth")
    box = wrap.bounding_box()
    for column in ("name", "website", "sent", "clicked", "click_rate", "click_rate_7d", "last_sent"):
        header = signed_in.locator(
            f"#flows-table thead th:has(a[href$='sort={column}'], a[href$='sort=-{column}'])"
        )
        found = header.bounding_box()
        assert found["x"] + found["width"] <= box["x"] + box["width"], column


def test_a_laptop_chooses_more_columns_and_the_list_keeps_them(signed_in, demo_flows, user):
    signed_in.set_viewport_size({"width": 1280, "height": 800})
    expect(signed_in.get_by_role("columnheader", name="Closed")).to_have_count(0)
    signed_in.get_by_text("Columns", exact=True).click()
    columns = signed_in.locator(".columns-menu")
    columns.get_by_label("Closed", exact=True).check()
    # Within the menu: the bulk bar's Copy to... names a website too.
    columns.get_by_label("Website", exact=True).uncheck()
    signed_in.get_by_role("button", name="Show these columns").click()
    expect(signed_in.get_by_role("columnheader", name="Closed")).to_be_visible()
    expect(signed_in.get_by_role("columnheader", name="Website")).to_have_count(0)
    signed_in.reload()
    expect(signed_in.get_by_role("columnheader", name="Closed")).to_be_visible()
    assert "website" in Preferences.objects.get(user=user).hidden_columns.split(",")


def test_on_a_laptop_the_list_scrolls_sideways_with_names_and_actions_in_view(
    signed_in, every_column, live_server, connection, demo_flows
):
    signed_in.set_viewport_size({"width": 1280, "height": 800})
    signed_in.reload()
    wrap = signed_in.locator("#flows-table .table-wrap")
    # Every column chosen: more than a laptop's width holds.
    assert wrap.evaluate("element => element.scrollWidth > element.clientWidth")
    wrap.evaluate("element => { element.scrollLeft = element.scrollWidth; }")
    flow = demo_flows.first()
    row = signed_in.locator(f"#flow-{flow.id}")
    box = wrap.bounding_box()
    for part in (row.locator(".flow-name"), row.get_by_role("link", name=f"Delete {flow.name}")):
        found = part.bounding_box()
        assert box["x"] <= found["x"] and found["x"] + found["width"] <= box["x"] + box["width"]
        # On top of the columns scrolled under it, not covered by them.
        assert on_top(part)
    # The columns in between did scroll: the website's cell is out of the visible box.
    website = row.locator(".website-cell").bounding_box()
    assert website["x"] + website["width"] <= box["x"] + 300
    # The other tables of flows keep every column in its place: nothing covers their cells.
    for page in ("websites/", "trends/"):
        signed_in.goto(f"{live_server.url}/connections/{connection.pk}/{page}")
        cells = signed_in.locator("table.flows").first.locator("thead th, tbody tr:first-child td")
        assert all(on_top(cell) for cell in cells.all()), page


def test_delete_through_the_dialog_removes_the_row(signed_in, demo_flows):
    flow = demo_flows.first()
    count = demo_flows.count()
    caption = signed_in.locator("#flows-caption")
    expect(caption).to_have_text(f"{count} flows")
    row = signed_in.locator(f"#flow-{flow.id}")
    row.get_by_role("link", name=f"Delete {flow.name}").click()
    dialog = signed_in.locator("#delete-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Delete “{flow.name}”?")
    dialog.get_by_role("button", name="Delete flow").click()
    expect(row).to_have_count(0)
    expect(signed_in.locator(".toast-success")).to_contain_text("Flow deleted")
    assert not SandboxFlow.objects.filter(pk=flow.pk).exists()
    # The list counts its flows again, without this one.
    expect(caption).to_have_text(f"{count - 1} flows")


def test_without_javascript_the_switch_posts_the_page_form_and_the_list_comes_back(
    browser, live_server, connection, demo_flows
):
    """The rows' switches have no form of their own: they submit the page's #toggle-form (and its
    CSRF token) to their own URL, so the list works where scripts do not run."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("marketer")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    flow = demo_flows.filter(is_enabled=True).first()
    page.locator(f"#toggle-{flow.id}").click()
    expect(page.locator(".toast-success")).to_contain_text(f"“{flow.name}” is now paused")
    expect(page.locator(f"#toggle-{flow.id}")).to_have_attribute("aria-checked", "false")
    flow.refresh_from_db()
    assert flow.is_enabled is False
    context.close()


# The space between each quote mark and the character next to it inside the quotes, in pixels.
QUOTE_GAPS = """element => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const glyphs = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.data.length; i++) {
      if (/\\s/.test(node.data[i])) continue;
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const box = range.getBoundingClientRect();
      glyphs.push({ text: node.data[i], left: box.left, right: box.right });
    }
  }
  const gaps = [];
  glyphs.forEach((glyph, i) => {
    if (glyph.text === "\\u201c") gaps.push(glyphs[i + 1].left - glyph.right);
    if (glyph.text === "\\u201d") gaps.push(glyph.left - glyphs[i - 1].right);
  });
  return gaps;
}"""


@pytest.mark.parametrize(("path", "quoting"), [("{id}/duplicate/", "h1"), ("?q=Flash+sale+teaser", ".chip")])
def test_quotes_hug_the_name_they_quote_in_a_heading_and_a_chip(
    signed_in, live_server, connection, demo_flows, path, quoting
):
    # Both lay their text out as flex items, which puts a gap between every piece of text.
    flow = demo_flows.filter(name="Flash sale teaser").first()
    signed_in.goto(f"{live_server.url}/connections/{connection.pk}/flows/{path.format(id=flow.id)}")
    element = signed_in.locator(quoting).first
    expect(element).to_contain_text("“Flash sale teaser”")
    gaps = element.evaluate(QUOTE_GAPS)
    assert len(gaps) == 2 and max(gaps) < 2, gaps
