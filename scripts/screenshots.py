#!/usr/bin/env python
"""`make screenshots`: the README's screenshots, taken in headless Chromium from a throwaway demo.

Starts the dashboard (gunicorn, DEBUG on so that static files are served, the sandbox on, a
temporary SQLite database), sets up the demo data with `manage.py demo`, logs in through the
login form and saves docs/screenshots/*.png at 1280x800: the flows list, a flow, its edit form, the websites
overview, the list searched and sorted, a flow's deliveries and the confirmation before pausing it, and the list again in dark mode;
a website's sequence light, dark, on a phone and in Chinese; then the list and a flow on a
390 px phone, light and dark; then a flow's trend chart (the demo's back-filled history) and the
Trends page's table of flows with their sparklines, light and dark; last the list, a flow and its
edit form in Simplified Chinese (a browser asking for zh-CN), at 1280 px and on the phone; then the
list's Columns menu, a duplicate for another website asking about its links, a flow edited and
the activity history offering it back as before or after the edit, a website's subscribers with
one marked as a test device and a flow's test sent to it and followed until it arrived, the members
page with an invitation, and that invitation's page as the invited person sees it.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PYTHON = sys.executable
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SIZE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(tmp, port):
    return {
        **os.environ,
        "DEBUG": "1",
        "HTTPS_ONLY": "0",
        "SANDBOX_ENABLED": "1",
        "SANDBOX_URL": f"http://127.0.0.1:{port}/sandbox",
        "DATABASE_URL": f"sqlite:///{tmp}/screenshots.sqlite3",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "GUNICORN_ACCESSLOG": os.devnull,
    }


def wait_until_up(url, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("The server stopped before it answered.")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"The server did not answer at {url} within {seconds} s.")


def log_in(page, base):
    # By the fields' names, not their labels: the page may be in any language.
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill("demo")
    page.locator("input[name=password]").fill("pushdeck-demo")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector("#flows-table")


def shoot(browser, base, scheme, shots, size=SIZE, locale="en-US", keep=None):
    context = browser.new_context(viewport=size, color_scheme=scheme, device_scale_factor=1, locale=locale)
    page = context.new_page()
    log_in(page, base)
    for name, action in shots:
        action(page)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=OUT / name)
        print(f"  {OUT.relative_to(ROOT) / name}")
    if keep is not None:
        # The invitation link the last shot made, for a context of someone signed out.
        keep["link"] = page.locator("#invitation-link").input_value()
    context.close()


def open_first_flow(page):
    page.locator(".flow-name").first.click()
    page.wait_for_selector(".funnel")


def open_edit(page):
    page.locator(".page-head a[href$='/edit/']").click()
    page.wait_for_selector("form[data-flow-form]")


def open_deliveries(page):
    """A flow's deliveries, on their own page (the flow's page loads the same card)."""
    open_first_flow(page)
    page.wait_for_selector("#deliveries .kpis")
    page.locator("#deliveries a").first.click()
    page.wait_for_selector("#deliveries .kpis")


def open_pause(page):
    """The confirmation before pausing a flow: the pushes still queued, of the first enabled flow
    of the list sent to all subscribers (a segment's cannot be estimated). A few tries at most:
    each spends the key's budget."""
    page.goto(page.url.split("/flows/")[0] + "/flows/")
    switches = page.locator("button.switch[aria-checked=true]").all()[:8]
    for toggle in [switch.get_attribute("formaction") for switch in switches]:
        page.goto(urljoin(page.url, toggle.replace("/toggle/", "/pause/")))
        if page.locator('[data-queued]:not([data-queued=unknown]):not([data-queued="0"])').count():
            return


def open_sequence(page):
    """The first website's sequence, from the websites page."""
    open_websites(page)
    page.locator("a[href$='/sequence/']").first.click()
    page.wait_for_selector("svg.sequence-chart")


def shoot_sequence(browser, base):
    """A website's sequence: light, dark, on a phone and in Chinese."""
    shoot(browser, base, "light", [("sequence.png", open_sequence)])
    shoot(browser, base, "dark", [("sequence-dark.png", open_sequence)])
    shoot(browser, base, "light", [("phone-sequence.png", open_sequence)], size=PHONE)
    shoot(browser, base, "light", [("sequence-zh.png", open_sequence)], locale="zh-CN")


def find_flows(page):
    page.goto(page.url.replace("/websites/", "/flows/"))
    page.get_by_placeholder("Search name, title, text or link").fill("cart")
    page.wait_for_url("**q=cart**")
    page.get_by_role("link", name="Click rate", exact=True).click()
    page.wait_for_selector("th[aria-sort=descending]")


def open_websites(page):
    page.goto(page.url.split("/flows/")[0] + "/websites/")
    page.wait_for_selector("tfoot")


def open_columns(page):
    page.locator(".columns-menu summary").click()
    page.wait_for_selector(".columns-form", state="visible")


def duplicate_elsewhere(page):
    """A duplicate of the first flow saved for another website: the form asks about its links."""
    open_first_flow(page)
    page.goto(page.url + "duplicate/")
    website = page.locator("select[name=website_id]")
    other = website.locator("option:not(:checked)").first.get_attribute("value")
    website.select_option(other)
    page.locator("form[data-flow-form] button[type=submit]").first.click()
    page.wait_for_selector("[data-links-question]")


def copy_elsewhere(page):
    """The first page of flows ticked and copied to another website: the confirmation, confirmed
    before its questions (a segment without a namesake, links to the old website) are answered."""
    page.goto(page.url.split("/flows/")[0] + "/flows/")
    page.get_by_label("Select every flow on this page").check()
    copy = page.locator(".bulk-copy")
    copy.locator("summary").click()
    website = copy.locator("select[name=website]")
    website.select_option(website.locator("option").nth(2).get_attribute("value"))
    copy.get_by_role("button", name="Copy the selected flows…").click()
    page.locator("[data-copy-confirm] button[name=confirmed]").click()
    page.wait_for_selector("[data-copy-confirm] .alert-error")


def edit_then_open_activity(page):
    """The first flow's title edited, then the history: the edit can be restored either side."""
    page.goto(page.url.split("/flows/")[0] + "/flows/")
    open_first_flow(page)
    open_edit(page)
    title = page.locator("input[name=title]")
    title.fill(title.input_value() + " Today only!")
    page.locator("form[data-flow-form] button[type=submit]").first.click()
    page.wait_for_selector(".funnel")
    page.goto(page.url.split("/flows/")[0] + "/activity/")
    page.wait_for_selector("a[href$='?side=before']")


def mark_a_test_device(page):
    """The first website's subscribers, its newest one marked as the demo's test device."""
    page.goto(page.url.split("/connections/")[0] + "/connections/1/subscribers/")
    page.locator("input[name=label]").first.fill("My Chrome at work")
    page.locator("form.inline-form button[type=submit]").first.click()
    page.wait_for_selector(".alert-success, [role=status]")


def send_a_test(page):
    """The first flow's test sent from its page to that device, and followed until it arrived."""
    page.goto(page.url.split("/connections/")[0] + "/connections/1/flows/")
    open_first_flow(page)
    page.locator("[data-test-open]").click()
    page.locator("[data-test-send]").click()
    page.wait_for_selector(".test-follow:not([data-test-outcome=pending])", timeout=20000)
    page.locator("#test-send").scroll_into_view_if_needed()


def open_members_with_an_invitation(page):
    page.goto(page.url.split("/activity/")[0] + "/members/")
    page.locator("input[name=note]").fill("Lee (newsletter team)")
    page.locator("select[name=role]").last.select_option("editor")
    page.get_by_role("button", name="Make an invitation link").click()
    page.wait_for_selector("#invitation-link")


def shoot_invitation(browser, link):
    """The invitation's page, opened by someone without an account (a context without the session)."""
    context = browser.new_context(viewport=SIZE, device_scale_factor=1)
    page = context.new_page()
    page.goto(link)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=OUT / "invitation.png")
    print("  docs/screenshots/invitation.png")
    context.close()


def shoot_trends(browser, base, scheme, suffix=""):
    """The busiest flow's chart alone (one day's values shown as on focus), and the top of the
    Trends page's table of flows. The page is tall enough to hold both unscrolled, so that the
    sticky top bar covers neither."""
    context = browser.new_context(viewport={"width": 1280, "height": 2400}, color_scheme=scheme)
    page = context.new_page()
    log_in(page, base)
    # The Trends page lists the flows by their last 7 days' sends, the busiest first.
    page.goto(f"{base}/connections/1/trends/")
    table = page.locator("#flows-week").bounding_box()
    page.screenshot(path=OUT / f"trends-flows{suffix}.png", clip={**table, "height": 560})
    busiest = page.locator("#flows-week .flow-name").first.get_attribute("href")
    page.goto(base + busiest)
    page.locator("#trend .mark").nth(-8).focus()
    page.locator("#trend").screenshot(path=OUT / f"trend{suffix}.png")
    print(f"  docs/screenshots/trend{suffix}.png, trends-flows{suffix}.png")
    context.close()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = server_env(tmp, port)
        manage = [PYTHON, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True, cwd=ROOT)
        subprocess.run([*manage, "demo", "--port", str(port)], env=env, check=True, cwd=ROOT)
        server = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "-c",
                "dashboard/gunicorn_conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "dashboard.wsgi:application",
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            wait_until_up(f"{base}/accounts/login/", server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM)
                shoot(
                    browser,
                    base,
                    "light",
                    [
                        ("list.png", lambda page: None),
                        ("detail.png", open_first_flow),
                        ("edit.png", open_edit),
                        ("websites.png", open_websites),
                        ("find.png", find_flows),
                        ("deliveries.png", open_deliveries),
                        ("pause.png", open_pause),
                    ],
                )
                shoot(browser, base, "dark", [("list-dark.png", lambda page: None)])
                for scheme, suffix in (("light", ""), ("dark", "-dark")):
                    phone_shots = [(f"phone-list{suffix}.png", lambda page: None)]
                    phone_shots.append((f"phone-detail{suffix}.png", open_first_flow))
                    shoot(browser, base, scheme, phone_shots, size=PHONE)
                    shoot_trends(browser, base, scheme, suffix)
                shoot_sequence(browser, base)
                chinese = [("list-zh.png", lambda page: None), ("detail-zh.png", open_first_flow)]
                shoot(browser, base, "light", [*chinese, ("edit-zh.png", open_edit)], locale="zh-CN")
                phone = [("phone-list-zh.png", lambda page: None), ("phone-detail-zh.png", open_first_flow)]
                shoot(
                    browser,
                    base,
                    "light",
                    [*phone, ("phone-edit-zh.png", open_edit)],
                    size=PHONE,
                    locale="zh-CN",
                )
                # Last, as they change the demo (an edited title, an invitation) that the others show as made.
                links = {}
                shoot(
                    browser,
                    base,
                    "light",
                    [
                        ("columns.png", open_columns),
                        ("copy-links.png", duplicate_elsewhere),
                        ("copy-confirm.png", copy_elsewhere),
                        ("activity.png", edit_then_open_activity),
                        ("subscribers.png", mark_a_test_device),
                        ("test-send.png", send_a_test),
                        ("members.png", open_members_with_an_invitation),
                    ],
                    keep=links,
                )
                shoot_invitation(browser, links["link"])
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
