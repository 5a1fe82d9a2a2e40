"""Websites and segments by name, and search, filters, sort, totals and export over every flow:
the client's records, then the list end to end against the sandbox (in-process:
tests/inprocess.py)."""

import csv
import io
import logging
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from flows_app.api import connect
from flows_app.api.client import FlowsClient
from flows_app.api.records import Directory, Flow, Website
from flows_app.find import Query, find_flows, parse, select
from sandbox.models import ApiAccount, Segment, hash_key
from sandbox.models import Flow as SandboxFlow
from sandbox.models import Website as SandboxWebsite
from tests.helpers import (
    HTMX,
    edit_form,
    editable,
    flow_calls,
    form_token,
    make_connection,
    make_flows,
    shown_ids,
    url,
    valid_form,
)
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import visible_text

CANARY = "vapid-private-CANARY-7f3a91"


# The client: records, and the secrets in answers dropped where they are parsed


def test_websites_segments_and_user_become_records_without_their_secrets(sandbox_url, sandbox_key, caplog):
    caplog.set_level(logging.DEBUG)
    SandboxWebsite.objects.filter(account__key_hash=hash_key(sandbox_key)).update(vapid_private_key=CANARY)
    client = FlowsClient(sandbox_url, sandbox_key, timeout=2)
    websites, segments, user = client.list_websites(), client.list_segments(), client.get_user()
    assert [site.name for site in websites] == [
        "Northwind Outfitters",
        "The Daily Grind",
        "Lumen Analytics",
    ]
    assert websites[0].host == "shop.northwind.example" and websites[0].total_subscribers == 300
    assert {segment.website_id for segment in segments} == {site.id for site in websites}
    assert segments[0].name == "Returning customers" and segments[0].total_subscribers == 104
    assert user.timezone == "UTC" and user.flows_limit == 1000
    kept = repr((websites, segments, user))
    assert CANARY not in kept and sandbox_key not in kept
    assert CANARY not in caplog.text and sandbox_key not in caplog.text


def test_the_secrets_reach_no_page_and_no_cache_entry(logged_in, connection, demo_flows, sandbox_key):
    SandboxWebsite.objects.filter(account__key_hash=hash_key(sandbox_key)).update(vapid_private_key=CANARY)
    pages = [
        logged_in.get(url("list", connection), {"fresh": "1"}),
        logged_in.get(url("list", connection), {"sort": "name"}),
        logged_in.get(url("detail", connection, demo_flows.first().id)),
        logged_in.get(url("new", connection)),
        logged_in.get(url("export", connection)),
    ]
    for page in pages:
        body = b"".join(page.streaming_content) if page.streaming else page.content
        assert CANARY.encode() not in body and sandbox_key.encode() not in body
    # The local-memory cache holds every value pickled: the bytes are what a shared cache would hold.
    stored = b"".join(value for value in cache._cache.values() if isinstance(value, bytes))
    assert stored, "the directory and the flows were cached"
    assert CANARY.encode() not in stored and sandbox_key.encode() not in stored


def test_the_directory_is_read_once_for_minutes_and_refresh_reads_it_again(connection, upstream):
    connect(connection).forget_directory()
    first = connect(connection).directory()
    again = connect(connection).directory()
    assert first == again
    assert sorted(call.url.rsplit("/api/", 1)[1] for call in upstream) == ["segments/", "user", "websites/"]
    connect(connection).directory(fresh=True)
    assert len(upstream) == 6


def test_a_server_without_the_user_and_segments_endpoints_still_names_websites(
    logged_in, connection, sandbox_url, monkeypatch
):
    from flows_app.api import NotFound

    def missing(self):
        raise NotFound("The resource was not found.", 404)

    monkeypatch.setattr(FlowsClient, "get_user", missing)
    monkeypatch.setattr(FlowsClient, "list_segments", missing)
    directory = connect(connection).directory(fresh=True)
    assert directory.user is None and directory.timezone == "" and directory.segments == ()
    assert directory.website_label(directory.websites[0].id) == "Northwind Outfitters"
    form = logged_in.get(url("new", connection))
    assert form.status_code == 200 and "All subscribers" in form.content.decode()


@pytest.mark.parametrize(
    "body",
    [
        {"data": []},
        {"data": {"id": "x", "keys": {"private_key": CANARY}, "name": None}},
        {"data": [1, "a", None]},
    ],
)
def test_odd_answers_of_the_names_endpoints_become_empty_records_not_errors(
    sandbox_url, sandbox_key, monkeypatch, body
):
    monkeypatch.setattr(FlowsClient, "_attempts", lambda self, *args: body)
    client = FlowsClient(sandbox_url, sandbox_key, timeout=2)
    assert client.list_segments() == () and client.list_websites() == ()
    assert client.get_user().timezone == ""


def test_names_repeat_with_their_host_and_unknown_ids_say_so():
    directory = Directory(
        websites=(Website(1, "Shop", "a.example"), Website(2, "Shop", "b.example", path="/de"), Website(3, "Blog", "c.example")),
    )  # fmt: skip
    assert directory.website_label(1) == "Shop (a.example)"
    assert directory.website_label(2) == "Shop (b.example/de)"
    assert directory.website_label(3) == "Blog"
    assert directory.website_label(9) == "Website #9"
    assert directory.segment_label(1, "all") == "All subscribers"
    assert directory.segment_label(1, "44") == "Segment #44"


# Names everywhere


def test_the_list_and_the_detail_name_websites_and_segments(logged_in, connection, demo_flows):
    flow = demo_flows.exclude(segment="all").first()
    segment = Segment.objects.get(pk=int(flow.segment))
    html = logged_in.get(url("list", connection), {"results_per_page": "100"}).content.decode()
    row = re.search(rf'<tr id="flow-{flow.id}".*?</tr>', html, re.S).group(0)
    assert flow.website.name in row and segment.name in row
    assert f"#{flow.website_id}" not in row
    detail = visible_text(logged_in.get(url("detail", connection, flow.id)).content.decode())
    assert f"{segment.name} of {flow.website.name}" in detail
    assert "UTC (the account" in detail


# The form: choices of what the connection has, and the server's answer checked


def test_the_form_offers_the_connections_websites_and_narrows_segments(logged_in, connection, sandbox_key):
    sites = list(SandboxWebsite.objects.filter(account__key_hash=hash_key(sandbox_key)).order_by("id"))
    html = logged_in.get(url("new", connection)).content.decode()
    assert "Northwind Outfitters · shop.northwind.example · 300 subscribers" in html
    assert "Returning customers · 104 subscribers" in html and "Coffee lovers" not in html
    narrowed = logged_in.get(url("segments", connection), {"website_id": sites[1].id}, **HTMX)
    fragment = narrowed.content.decode()
    assert fragment.lstrip().startswith('<div id="segment-field">')
    assert "Coffee lovers" in fragment and "Returning customers" not in fragment


@pytest.mark.parametrize("field", ["website_id", "segment"])
def test_a_website_or_segment_the_api_does_not_have_is_refused_before_sending(
    logged_in, connection, sandbox_key, upstream, field
):

    data = valid_form(form_token=form_token(logged_in, connection), **{field: "999999"})
    upstream.clear()
    response = logged_in.post(url("new", connection), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert upstream == [], "nothing was sent"


def test_a_segment_of_another_website_is_refused(logged_in, connection, sandbox_key):

    other = Segment.objects.filter(website__account__key_hash=hash_key(sandbox_key)).order_by("-id").first()
    data = valid_form(form_token=form_token(logged_in, connection), segment=str(other.id))
    response = logged_in.post(url("new", connection), data)
    assert response.status_code == 400
    assert "one of this website's segments" in response.context["form"].errors["segment"][0]


def test_a_create_the_server_moves_to_another_website_is_reported_not_called_created(
    logged_in, connection, sandbox_key
):
    """The sandbox substitutes as the real server does: here the website was deleted on the server
    after the dashboard read the list of websites, so the form accepted it."""

    sites = list(SandboxWebsite.objects.filter(account__key_hash=hash_key(sandbox_key)).order_by("id"))
    data = valid_form(form_token=form_token(logged_in, connection), website_id=str(sites[2].id), name="Moved")
    sites[2].delete()
    response = logged_in.post(url("new", connection), data, follow=True)
    created = SandboxFlow.objects.get(account__key_hash=hash_key(sandbox_key), name="Moved")
    assert created.website_id == sites[0].id, "the server put it on the first website"
    text = response.content.decode()
    assert "Flow “Moved” created, but the server did not keep everything you sent" in text
    assert "Website is “Northwind Outfitters”, not “Lumen Analytics”" in text
    assert "created.</" not in text


@pytest.mark.parametrize("answer", ["id", "flow"])
def test_an_edit_the_server_substitutes_is_reported_not_called_saved(
    logged_in, connection, demo_flows, sandbox_key, settings, answer
):

    settings.SANDBOX_UPDATE_ANSWER = answer
    flow = editable(demo_flows.filter(segment="all"))
    segment = Segment.objects.filter(website=flow.website).first()
    data = edit_form(logged_in, connection, flow.id)
    # Deleted on the server after the dashboard read the segments: it sends to everyone instead.
    segment_id, segment_name = segment.id, segment.name
    segment.delete()
    response = logged_in.post(
        url("edit", connection, flow.id), {**data, "segment": str(segment_id)}, follow=True
    )
    text = response.content.decode()
    assert f"Send to is “All subscribers”, not “{segment_name}”" in text
    assert f"Flow “{flow.name}” saved." not in text


def test_a_faithful_create_is_simply_created(logged_in, connection, sandbox_key):

    segment = Segment.objects.filter(website__account__key_hash=hash_key(sandbox_key)).order_by("id").first()
    data = valid_form(form_token=form_token(logged_in, connection), segment=str(segment.id), is_enabled=None)
    response = logged_in.post(url("new", connection), data, follow=True)
    text = visible_text(response.content.decode())
    assert "Flow “Welcome” created." in text and "did not keep" not in text
    assert f"{segment.name} of Northwind Outfitters" in text, "the detail names the audience"


def test_a_faithful_edit_is_simply_saved(logged_in, connection, demo_flows):

    flow = editable(demo_flows)
    data = edit_form(logged_in, connection, flow.id)
    response = logged_in.post(
        url("edit", connection, flow.id), {**data, "title": "Exactly this"}, follow=True
    )
    assert f"Flow “{flow.name}” saved." in response.content.decode()


# The engine, on records


def flows(*specs):
    return [
        Flow(id=n, website_id=site, name=name, title="", description="", total_clicked=clicked, total_displayed=shown, is_enabled=on)
        for n, (site, name, clicked, shown, on) in enumerate(specs, 1)
    ]  # fmt: skip


def test_search_needs_every_word_in_any_text_field_whatever_the_case():
    found = select(
        flows((1, "Garden sale", 0, 0, True), (1, "Garden tips", 0, 0, True)),
        parse({"q": "SALE garden"}),
        Directory(),
    )
    assert [flow.name for flow in found] == ["Garden sale"]  # fmt: skip


def test_sorting_puts_flows_without_a_value_last_in_both_directions():
    data = flows((1, "a", 5, 100, True), (1, "b", 0, 0, True), (1, "c", 9, 100, True))
    for sort, order in (("click_rate", ["a", "c", "b"]), ("-click_rate", ["c", "a", "b"])):
        assert [flow.name for flow in select(data, parse({"sort": sort}), Directory())] == order


def test_bad_values_are_left_out_with_a_note_and_the_rest_applies():
    query = parse({"website": "abc", "segment": "x", "status": "asleep", "sort": "colour", "q": "sale"})
    assert query == Query(q="sale", notes=query.notes)
    assert len(query.notes) == 4 and "“colour”" in query.notes[3]


# The list: every parameter, end to end


def test_a_filtered_view_reads_every_flow_once_then_serves_every_query_from_the_cache(
    logged_in, connection, demo_flows, upstream
):
    first = logged_in.get(url("list", connection), {"q": "welcome"})
    assert first.status_code == 200
    assert [call.params for call in flow_calls(upstream)] == [{"page": 1, "results_per_page": 1000}]
    for params in ({"q": "cart"}, {"status": "paused"}, {"sort": "-sent"}, {"website": "1"}):
        assert logged_in.get(url("list", connection), params).status_code == 200
    assert len(flow_calls(upstream)) == 1


def test_search_website_segment_and_status_filter_together(logged_in, connection, demo_flows):
    site = demo_flows.first().website
    segment = Segment.objects.filter(website=site).first()
    SandboxFlow.objects.filter(pk=demo_flows.filter(website=site).first().pk).update(
        name="Garden party invite", segment=str(segment.id), is_enabled=False
    )
    expected = demo_flows.filter(
        website=site, segment=str(segment.id), is_enabled=False, name__icontains="garden"
    )
    params = {"q": "GARDEN", "website": site.id, "segment": segment.id, "status": "paused"}
    response = logged_in.get(url("list", connection), params)
    assert shown_ids(response) == [flow.id for flow in expected] and expected.exists()
    html = response.content.decode()
    text = visible_text(html)
    assert (
        "Search: “GARDEN”" in text and f"Website: {site.name}" in text and f"Audience: {segment.name}" in text
    )
    assert "Paused only" in html


@pytest.mark.parametrize(
    ("sort", "field", "descending"),
    [
        ("-sent", "total_sent_push_notifications", True),
        ("name", "name", False),
        ("-created", "datetime", True),
    ],
)
def test_sorting_orders_every_flow_not_just_a_page(
    logged_in, connection, demo_flows, sort, field, descending
):
    response = logged_in.get(url("list", connection), {"sort": sort, "results_per_page": "10", "page": "2"})
    ordered = sorted(demo_flows, key=lambda flow: getattr(flow, field), reverse=descending)
    if field == "name":
        ordered = sorted(demo_flows, key=lambda flow: flow.name.casefold())
    assert [getattr(SandboxFlow.objects.get(pk=pk), field) for pk in shown_ids(response)] == [
        getattr(flow, field) for flow in ordered[10:20]
    ]
    if field != "datetime":  # "created" has no column: it is sorted by through the URL only
        state = "descending" if descending else "ascending"
        html = response.content.decode()
        assert re.search(
            rf'aria-sort="{state}"[^>]*><a class="sort-link" href="[^"]*sort=-?{sort.lstrip("-")}"', html
        )


def test_totals_cover_the_page_shown_and_the_whole_match(logged_in, connection, demo_flows):
    paused = demo_flows.filter(is_enabled=False)
    response = logged_in.get(url("list", connection), {"status": "paused", "results_per_page": "10"})
    html = response.content.decode()
    whole = sum(flow.total_sent_push_notifications for flow in paused)
    shown = sum(SandboxFlow.objects.get(pk=pk).total_sent_push_notifications for pk in shown_ids(response))
    assert f"{shown:,}</td>" in html
    if paused.count() > 10:
        assert "All matching" in html and f"{whole:,}</td>" in html


def test_no_flows_match_offers_a_way_out(logged_in, connection, demo_flows):
    html = logged_in.get(url("list", connection), {"q": "nothing like this anywhere"}).content.decode()
    assert "No flows match" in html and "Show every flow" in html and "No flows yet" not in html
    # No column headers over nothing.
    assert "<thead" not in html.split('id="flows-table"')[1]


@pytest.mark.parametrize(
    "params",
    [{"website": "abc"}, {"segment": "-1"}, {"status": "asleep"}, {"sort": "colour"}, {"q": "x" * 5000}, {"page": "x", "sort": "name"}],
)  # fmt: skip
def test_bad_values_answer_the_list_with_a_note_never_an_error(logged_in, connection, demo_flows, params):
    response = logged_in.get(url("list", connection), params)
    assert response.status_code == 200
    assert shown_ids(response) or "No flows match" in response.content.decode()


def test_htmx_and_links_keep_the_query_in_every_url(logged_in, connection, demo_flows):
    response = logged_in.get(
        url("list", connection), {"q": "e", "sort": "-sent", "results_per_page": "10"}, **HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="flows-results">')
    assert "page=2&amp;results_per_page=10&amp;q=e&amp;sort=-sent" in html, "the pager keeps the query"
    assert "page=1&amp;results_per_page=10&amp;q=e&amp;sort=-sent&amp;fresh=1" in html, "so does Refresh"
    assert 'name="q" value="e"' in html
    assert "export.csv?q=e&amp;sort=-sent" in html


def test_a_thousand_flows_cost_one_flows_call_for_the_first_filtered_view(
    logged_in, connection, sandbox_key, sandbox_media, upstream
):
    make_flows(sandbox_key, 1000)
    response = logged_in.get(url("list", connection), {"sort": "-click_rate"})
    assert response.status_code == 200 and "1,000 flows" in response.content.decode()
    assert len(flow_calls(upstream)) == 1
    logged_in.get(url("list", connection), {"sort": "name"})
    assert len(flow_calls(upstream)) == 1


def test_a_write_makes_the_next_filtered_view_read_again(logged_in, connection, demo_flows, upstream):
    logged_in.get(url("list", connection), {"status": "paused"})
    flow = demo_flows.filter(is_enabled=True).first()
    logged_in.post(url("toggle", connection, flow.id), {"is_enabled": "0"}, **HTMX)
    after = logged_in.get(url("list", connection), {"status": "paused", "results_per_page": "100"})
    assert flow.id in shown_ids(after)


def test_the_engine_is_one_function_of_the_query_parameters(connection, demo_flows):
    found = find_flows(connect(connection), {"status": "enabled", "sort": "name"})
    names = [flow.name for flow in found.flows]
    assert names == sorted(names, key=str.casefold)
    assert found.totals.count == demo_flows.filter(is_enabled=True).count()


# A spent budget: what is cached is still shown, only calls are refused


def test_a_spent_budget_serves_cached_pages_past_their_life_and_refuses_only_calls(
    clock, logged_in, connection, demo_flows, upstream, settings
):
    settings.FLOWS_CACHE_SECONDS = 1
    assert logged_in.get(url("list", connection)).status_code == 200
    clock[0] += 1.2
    api = connect(connection)
    api.client.key_budget.record(60, 0, reset=45)
    calls = len(upstream)
    cached = logged_in.get(url("list", connection))
    assert cached.status_code == 200 and shown_ids(cached)
    assert len(upstream) == calls, "no call was tried"
    refused = logged_in.get(url("list", connection), {"page": "2"})
    assert refused.status_code == 429


# Export


def test_export_is_the_current_match_as_csv_that_a_spreadsheet_opens_safely(
    logged_in, connection, demo_flows, sandbox_key
):
    flow = demo_flows.first()
    SandboxFlow.objects.filter(pk=flow.pk).update(
        name='=HYPERLINK("http://evil")', title="+1 cmd", description="@SUM(A1)"
    )
    response = logged_in.get(url("export", connection), {"q": "hyperlink"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    header, [row] = rows[0], rows[1:]
    values = dict(zip(header, row, strict=True))
    assert values["name"] == '\'=HYPERLINK("http://evil")'
    assert values["title"] == "'+1 cmd" and values["description"] == "'@SUM(A1)"
    assert values["website"] == flow.website.name and values["id"] == str(flow.id)
    assert values["sent"] == str(flow.total_sent_push_notifications)
    assert "last sent (UTC)" in header


def test_export_without_a_query_holds_every_flow(logged_in, connection, demo_flows):
    body = b"".join(logged_in.get(url("export", connection)).streaming_content).decode("utf-8")
    assert len(list(csv.reader(io.StringIO(body)))) == demo_flows.count() + 1


def test_export_of_another_users_connection_is_404(client, other_user, connection, demo_flows):
    client.force_login(other_user)
    assert client.get(url("export", connection)).status_code == 404


def test_sandbox_account_timezone_is_the_users(sandbox_url, sandbox_key):
    ApiAccount.objects.with_key(sandbox_key).update(timezone="Europe/Berlin")
    assert FlowsClient(sandbox_url, sandbox_key, timeout=2).get_user().timezone == "Europe/Berlin"


# Overviews


def test_the_websites_overview_totals_each_website_and_links_to_its_flows(logged_in, connection, demo_flows):
    response = logged_in.get(reverse("websites", args=[connection.pk]))
    html = response.content.decode()
    for site in SandboxWebsite.objects.filter(flows__in=demo_flows).distinct():
        flows = demo_flows.filter(website=site)
        row = re.search(rf'href="[^"]*\?website={site.id}">{site.name}</a>.*?</tr>', html, re.S).group(0)
        sent = sum(flow.total_sent_push_notifications for flow in flows)
        assert site.host in row and f"{site.total_subscribers:,}" in row and f"{sent:,}" in row
        assert f">{flows.filter(is_enabled=True).count()}</td>" in row
        assert f">{flows.filter(is_enabled=False).count()}</td>" in row


def test_the_home_page_shows_every_connection_and_a_failing_one_in_its_own_card(
    logged_in, user, connection, demo_flows, other_sandbox_key
):

    broken = make_connection(user, other_sandbox_key, label="Broken shop")
    ApiAccount.objects.with_key(other_sandbox_key).update(api_enabled=False)
    html = logged_in.get("/").content.decode()
    assert "Northwind Outfitters" in html and f"{demo_flows.count()} <span" in html
    card = re.search(rf'id="connection-{broken.pk}-title".*?</section>', html, re.S).group(0)
    assert "The server refused this connection&#x27;s API key." in card


def test_the_form_works_without_javascript(logged_in, connection, demo_flows):
    """A browser without JavaScript submits every field of the find form, empty ones included."""
    from tests.pages import form_with

    page = logged_in.get(url("list", connection), {"sort": "name"})
    data = {**form_with(page.content, "q"), "q": "cart"}
    assert data["sort"] == "name" and data["website"] == "" and data["status"] == ""
    response = logged_in.get(url("list", connection), data)
    html = response.content.decode()
    assert shown_ids(response) and "find-notes" not in html
    names = [SandboxFlow.objects.get(pk=pk).name for pk in shown_ids(response)]
    assert all("cart" in name.lower() for name in names) and names == sorted(names, key=str.casefold)


def test_the_conflict_page_names_the_website_and_segment(logged_in, connection, demo_flows):

    flow = editable(demo_flows)
    data = edit_form(logged_in, connection, flow.id)
    SandboxFlow.objects.filter(pk=flow.pk).update(title="Changed elsewhere")
    response = logged_in.post(url("edit", connection, flow.id), {**data, "title": "Mine"})
    assert response.status_code == 409
    table = re.search(r'<table class="compare.*?</table>', response.content.decode(), re.S).group(0)
    assert flow.website.name in table and f">{flow.website_id}<" not in table
