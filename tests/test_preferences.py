"""What a user chooses once follows them: rows per page and the colour theme (light, dark or the
system's) and the flows list's columns, kept per user in flows_app.models.Preferences. And the small things every page needs."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from playwright.sync_api import expect

from flows_app.models import Preferences
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_posting_to

DARK_BACKGROUND = "rgb(11, 15, 25)"
LIGHT_BACKGROUND = "rgb(245, 246, 250)"


def background(page):
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


@pytest.mark.e2e
def test_rows_per_page_is_remembered_when_the_list_is_opened_again(signed_in, user):
    signed_in.get_by_label("Rows per page").select_option("10")
    expect(signed_in.get_by_text("Page 1 of 4")).to_be_visible()
    signed_in.locator("#flows-table .flow-name").first.click()
    signed_in.get_by_role("link", name="Flows", exact=True).first.click()
    expect(signed_in.get_by_text("Page 1 of 4")).to_be_visible()
    expect(signed_in.locator("#flows-table tbody tr")).to_have_count(10)
    assert Preferences.objects.get(user=user).results_per_page == 10


def test_rows_per_page_is_per_user(logged_in, client, connection, demo_flows, other_user):
    url = reverse("flows:list", args=[connection.pk])
    logged_in.get(url + "?results_per_page=50")
    assert logged_in.get(url).context["table"]["result"].results_per_page == 50
    assert not Preferences.objects.filter(user=other_user).exists()


@pytest.mark.e2e
def test_the_theme_switch_changes_the_page_at_once_and_is_remembered(signed_in, user):
    signed_in.emulate_media(color_scheme="light")
    assert background(signed_in) == LIGHT_BACKGROUND
    signed_in.get_by_label("Account menu").click()
    with signed_in.expect_response(lambda response: response.url.endswith("/preferences/theme/")):
        signed_in.get_by_role("button", name="Dark").click()
    assert background(signed_in) == DARK_BACKGROUND
    expect(signed_in.get_by_role("button", name="Dark")).to_have_attribute("aria-pressed", "true")
    assert Preferences.objects.get(user=user).theme == "dark"
    # Drawn dark by the server from the first byte: no flash of the light page, no script needed.
    signed_in.reload()
    assert signed_in.locator("html").get_attribute("data-theme") == "dark"
    assert background(signed_in) == DARK_BACKGROUND
    signed_in.get_by_label("Account menu").click()
    with signed_in.expect_response(lambda response: response.url.endswith("/preferences/theme/")):
        signed_in.get_by_role("button", name="Same as the system").click()
    assert background(signed_in) == LIGHT_BACKGROUND
    signed_in.emulate_media(color_scheme="dark")
    assert background(signed_in) == DARK_BACKGROUND


def test_the_theme_is_in_the_page_itself(logged_in, connection):
    url = reverse("connections")
    assert b'<html lang="en" data-theme="system">' in logged_in.get(url).content
    response = logged_in.post(reverse("theme"), {"theme": "light", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    page = logged_in.get(url).content
    assert b'data-theme="light"' in page
    assert b'<meta name="color-scheme" content="light">' in page


def test_the_theme_switch_refuses_other_values_and_foreign_redirects(logged_in, user):
    assert logged_in.post(reverse("theme"), {"theme": "purple"}).status_code == 400
    response = logged_in.post(reverse("theme"), {"theme": "dark", "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")
    assert Preferences.objects.get(user=user).theme == "dark"


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == static("img/logo.svg")
    assert finders.find("img/logo.svg")


@pytest.mark.e2e
def test_the_browser_gets_an_icon_at_the_usual_address(page, live_server):
    response = page.goto(f"{live_server.url}/favicon.ico")
    assert response.ok and response.headers["content-type"] == "image/svg+xml"


def headers_of(html):
    return re.findall(r'<th scope="col"[^>]*>(?:<a class="sort-link"[^>]*>)?([^<]+)<', html)


def test_the_columns_chosen_are_kept_for_the_user_and_shown_on_every_visit(
    logged_in, client, connection, demo_flows, user, other_user
):
    url = reverse("flows:list", args=[connection.pk])
    html = logged_in.get(url).content.decode()
    # By default the columns people sort by, and no more than a laptop's width holds.
    assert headers_of(html) == [
        "Flow",
        "Website",
        "Enabled",
        "Sent",
        "Clicked",
        "Click rate",
        "14 days",
        "Rate 7d",
        "Last sent",
    ]
    menu = form_posting_to(html, reverse("list_columns"))
    assert ("columns", "closed") in menu["offered"] and ("columns", "enabled") not in menu["offered"]
    answer = logged_in.post(reverse("list_columns"), {"columns": ["closed", "click_rate"], "next": url})
    assert answer.status_code == 302 and answer["Location"] == url
    html = logged_in.get(url).content.decode()
    assert headers_of(html) == ["Flow", "Enabled", "Closed", "Click rate"]
    # Every row and the totals have the same cells as the header, name and actions included.
    row = re.search(r'<tr id="flow-\d+">.*?</tr>', html, re.S).group(0)
    assert row.count("<td") == 6
    assert re.search(r'<th scope="row" colspan="3">Shown', html)
    assert Preferences.objects.get(user=user).hidden_columns.split(",") == [
        "website",
        "wait",
        "sent",
        "displayed",
        "clicked",
        "trend",
        "sent_7d",
        "clicked_7d",
        "click_rate_7d",
        "last_sent",
        "failed_share",
    ]
    # Sorted by a column left out: it shows, since an order is read in its values.
    assert "Sent" in headers_of(logged_in.get(url, {"sort": "-sent"}).content.decode())
    # Another user keeps the defaults.
    client.force_login(other_user)
    assert not Preferences.objects.filter(user=other_user).exists()


def test_the_columns_menu_refuses_a_column_it_does_not_offer_and_changes_nothing(logged_in, user):
    answer = logged_in.post(reverse("list_columns"), {"columns": ["sent", "api_key"], "next": "/"})
    assert answer.status_code == 400
    assert b"columns must be among" in answer.content
    assert not Preferences.objects.filter(user=user).exists()
