"""Every page reads for everyone: axe-core (WCAG 2 A and AA) finds nothing serious or critical on
any page, light and dark, English and Chinese; a keyboard reaches the flows in a few keys."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from teams.models import Invitation

pytestmark = pytest.mark.e2e

# Installed by `make test` (the Makefile's AXE step), a pinned version kept out of the repository.
AXE = Path(settings.BASE_DIR) / "var/node/node_modules/axe-core/axe.min.js"
RUN_AXE = """() => axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}}).then(found =>
    found.violations.filter(rule => ["serious", "critical"].includes(rule.impact)).map(rule =>
        rule.id + " (" + rule.impact + "): " + rule.nodes.slice(0, 3).map(node => node.target.join(" ")).join(", ")))"""


def serious_findings(page):
    """axe's serious and critical findings on the page as shown, one line per rule."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: `make test` installs it (the Makefile's AXE step).")
    # Evaluated rather than added as a <script>: the pages' CSP (script-src 'self') stays as it is.
    page.evaluate(AXE.read_text())
    return page.evaluate(RUN_AXE)


def check(page, url, found):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    found += [f"{url}: {finding}" for finding in serious_findings(page)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_no_page_has_a_serious_accessibility_finding(
    browser, live_server, connection, demo_flows, user, settings, scheme, locale
):
    # The login page with the identity provider's button too, and a site admin's pages.
    settings.OIDC_ISSUER = "https://id.example.com"
    user.is_staff = True
    user.save()
    invitation = Invitation(connection=connection, created_by=user)
    token = invitation.issue_token()
    invitation.save()
    flow = demo_flows.first()
    base = f"{live_server.url}/connections/{connection.pk}"
    context = browser.new_context(color_scheme=scheme, locale=locale)
    page = context.new_page()
    found = []
    check(page, f"{live_server.url}/accounts/login/", found)
    check(page, f"{live_server.url}/invitations/{token}/", found)
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill("marketer")
    page.locator("input[name=password]").fill("correct horse battery")
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    expect(page.locator("#flows-table")).to_be_visible()
    for path in (
        "/flows/",
        f"/flows/{flow.id}/",
        f"/flows/{flow.id}/edit/",
        f"/flows/{flow.id}/deliveries/",
        f"/flows/{flow.id}/pause/",
        f"/websites/{flow.website.id}/sequence/",
        "/members/",
        "/activity/",
        "/trends/",
        "/jobs/",
        "/flows/import/",
        "/subscribers/",
        f"/flows/{flow.id}/test/",
    ):
        check(page, f"{base}{path}", found)
    # A copy's confirmation, a POST's answer: reached as people reach it, confirmed unanswered.
    page.goto(f"{base}/flows/")
    page.locator('input[name="ids"][form="bulk-form"]').first.check()
    page.locator(".bulk-copy summary").click()
    page.locator('.bulk-copy button[value="copy"]').click()
    page.locator('[data-copy-confirm] button[name="confirmed"]').click()
    page.wait_for_selector("[data-copy-confirm] .alert-error")
    found += [f"copy confirmation: {finding}" for finding in serious_findings(page)]
    check(page, f"{live_server.url}/connections/", found)
    for path in ("/people/", "/accounts/2fa/", "/accounts/password/reset/"):
        check(page, f"{live_server.url}{path}", found)
    context.close()
    assert found == []


def test_the_first_tab_offers_a_way_straight_to_the_flows(signed_in, demo_flows):
    flow = demo_flows.first()
    signed_in.keyboard.press("Tab")
    skip = signed_in.get_by_role("link", name="Skip to the flows")
    expect(skip).to_be_focused()
    skip.press("Enter")
    signed_in.keyboard.press("Tab")
    expect(signed_in.locator(f"#flow-{flow.id} input[name=ids]")).to_be_focused()
    signed_in.keyboard.press("Tab")
    expect(signed_in.locator(f"#flow-{flow.id}-name")).to_be_focused()
