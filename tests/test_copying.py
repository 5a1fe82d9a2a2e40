"""New flows and copies start paused, and a copy for another website is not sent with links to the
old one unasked (flows_app/copying.py: the rule the duplicate form uses, and copying flows will)."""

import pytest
from django.urls import reverse

from activity.models import Activity, Kind
from flows_app.api.records import Website
from flows_app.copying import LinkChange, copy_of, links_to_replace
from sandbox.models import ApiAccount
from sandbox.models import Flow as SandboxFlow
from tests.i18n import english_left
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_posting_to, form_with, visible_text

STARTS_PAUSED = "A new flow starts paused: saving it sends nothing."


def new_url(connection):
    return reverse("flows:new", args=[connection.pk])


def duplicate_page(client, connection, flow):
    return client.get(reverse("flows:duplicate", args=[connection.pk, flow.id])).content.decode()


def sandbox_flows(sandbox_key):
    return SandboxFlow.objects.filter(account__in=ApiAccount.objects.with_key(sandbox_key))


@pytest.mark.parametrize(("ticked", "enabled"), [(False, False), (True, True)])
def test_a_new_flow_starts_paused_unless_the_user_ticks_enabled(
    logged_in, connection, sandbox_key, ticked, enabled
):
    page = logged_in.get(new_url(connection)).content.decode()
    assert STARTS_PAUSED in visible_text(page)
    fields = form_with(page, "form_token")
    assert "is_enabled" not in fields, "the box is not ticked"
    fields.update(name="Welcome", title="Hello", description="Thanks for subscribing.")
    if ticked:
        fields["is_enabled"] = "on"
    response = logged_in.post(new_url(connection), fields)
    assert response.status_code == 302
    assert sandbox_flows(sandbox_key).get(name="Welcome").is_enabled is enabled


def test_a_duplicate_of_an_enabled_flow_starts_paused_and_the_form_says_so(
    logged_in, connection, demo_flows, sandbox_key
):
    source = demo_flows.filter(is_enabled=True).first()
    page = duplicate_page(logged_in, connection, source)
    assert STARTS_PAUSED in visible_text(page)
    fields = form_with(page, "form_token")
    assert "is_enabled" not in fields
    assert logged_in.post(new_url(connection), fields).status_code == 302
    assert sandbox_flows(sandbox_key).get(name=f"Copy of {source.name}").is_enabled is False


def flow_with_links(demo_flows):
    """A demo flow whose link and first button both lead to its own website."""
    flow = demo_flows.exclude(button_url_1="").first()
    assert flow.url.startswith(f"https://{flow.website.host}/")
    assert flow.button_url_1.startswith(f"https://{flow.website.host}/")
    return flow


def other_website(flow):
    return flow.account.websites.exclude(pk=flow.website_id).order_by("id").first()


def copy_for(client, connection, source, website):
    fields = form_with(duplicate_page(client, connection, source), "form_token")
    return {**fields, "website_id": str(website.id), "segment": "all"}


def test_a_copy_for_another_website_asks_about_its_links_to_the_old_one_before_sending(
    logged_in, connection, demo_flows, upstream
):
    source = flow_with_links(demo_flows)
    target = other_website(source)
    fields = copy_for(logged_in, connection, source, target)
    upstream.clear()

    response = logged_in.post(new_url(connection), fields)

    assert response.status_code == 200
    assert [call.method for call in upstream if call.method == "POST"] == [], "nothing sent"
    text = visible_text(response.content.decode())
    assert (
        f"This copy is for {target.host}, but its links still point at {source.website.host}. "
        "Nothing was sent yet."
    ) in text
    moved = source.url.replace(source.website.host, target.host)
    assert f"Link: {source.url} → {moved}" in text
    offered = form_posting_to(response.content.decode(), new_url(connection))["buttons"]
    assert ("links", "replace") in offered and ("links", "keep") in offered


@pytest.mark.parametrize("choice", ["replace", "keep"])
def test_the_copy_is_created_with_the_links_replaced_or_kept_as_chosen(
    logged_in, connection, demo_flows, sandbox_key, choice
):
    source = flow_with_links(demo_flows)
    target = other_website(source)
    asked = logged_in.post(new_url(connection), copy_for(logged_in, connection, source, target))
    fields = {**form_with(asked.content.decode(), "form_token"), "links": choice}

    response = logged_in.post(new_url(connection), fields)

    assert response.status_code == 302
    copy = sandbox_flows(sandbox_key).get(name=f"Copy of {source.name}")
    host = target.host if choice == "replace" else source.website.host
    assert copy.website_id == target.id
    assert (copy.url, copy.button_url_1) == (
        source.url.replace(source.website.host, host),
        source.button_url_1.replace(source.website.host, host),
    )
    assert Activity.objects.get(flow_id=copy.id).kind == Kind.FLOW_DUPLICATE


def test_a_copy_on_the_same_website_is_created_without_a_question(
    logged_in, connection, demo_flows, sandbox_key
):
    source = flow_with_links(demo_flows)
    response = logged_in.post(new_url(connection), copy_for(logged_in, connection, source, source.website))
    assert response.status_code == 302
    assert sandbox_flows(sandbox_key).get(name=f"Copy of {source.name}").url == source.url


def test_a_duplicate_sent_back_for_a_fix_is_still_recorded_as_a_copy(
    logged_in, connection, demo_flows, sandbox_key
):
    source = demo_flows.first()
    fields = {**form_with(duplicate_page(logged_in, connection, source), "form_token"), "title": ""}
    refused = logged_in.post(new_url(connection), fields)
    assert refused.status_code == 400
    fixed = {**form_with(refused.content.decode(), "form_token"), "title": "Fixed"}
    assert logged_in.post(new_url(connection), fixed).status_code == 302
    copy = sandbox_flows(sandbox_key).get(name=f"Copy of {source.name}")
    assert Activity.objects.get(flow_id=copy.id).kind == Kind.FLOW_DUPLICATE


def test_links_beneath_the_source_websites_path_move_beneath_the_targets_and_others_stay():
    shop = Website(1, "Shop", "Shop.example:8443", path="/store")
    blog = Website(2, "Blog", "blog.example", scheme="http://", path="/news/")
    values = {
        "url": "https://shop.example/store/sale?utm_source=push#top",
        "button_url_1": "https://shop.example/about",
        "button_url_2": "https://partner.example/store/sale",
    }
    unreadable = {**values, "url": "https://[shop.example/sale"}
    copy = copy_of(values, shop, blog)
    assert copy.values["website_id"] == 2 and copy.values["is_enabled"] is False
    assert copy.links == (
        LinkChange("url", values["url"], "http://blog.example/news/sale?utm_source=push#top"),
        LinkChange("button_url_1", values["button_url_1"], "http://blog.example/news/about"),
    )
    assert links_to_replace(values, shop, Website(3, "Shop too", "shop.example")) == ()
    assert [change.field for change in links_to_replace(unreadable, shop, blog)] == ["button_url_1"]


def test_the_links_question_leaves_no_english_on_a_chinese_page(logged_in, connection, demo_flows):
    source = flow_with_links(demo_flows)
    fields = copy_for(logged_in, connection, source, other_website(source))
    response = logged_in.post(new_url(connection), fields, headers={"Accept-Language": "zh-hans"})
    html = response.content.decode()
    assert "data-links-question" in html
    assert english_left(html) == []
