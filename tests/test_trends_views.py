"""The trend chart, its range switch and the CSV files, against the sandbox (in-process,
tests/inprocess.py), with history made by real snapshots taken at past moments."""

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from flows_app.api import connect
from flows_app.models import SANDBOX, Connection
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_with, visible_text
from tests.trends_history import grow, history_fixture  # noqa: F401 -- the history fixture
from trends.snapshots import take_snapshot


def day(moment):
    return moment.astimezone(dt.UTC).date().isoformat()


def test_detail_page_draws_the_flow_per_day_with_a_table_behind(logged_in, connection, history):
    flow, _, now = history
    page = logged_in.get(f"/connections/{connection.pk}/flows/{flow.id}/")
    html = page.content.decode()
    assert page.status_code == 200
    # 30 days, one focusable mark each, whose title holds its values.
    assert html.count('class="mark" tabindex=') == 30
    two_days_ago = (now - dt.timedelta(days=2)).astimezone(dt.UTC)
    assert re.search(
        rf"<title>{two_days_ago:%a}, {two_days_ago:%b} {two_days_ago.day}, {two_days_ago.year}, "
        r"Sent: 100, Displayed: 80, Clicked: 8, Click rate: 10.0%</title>",
        html,
    )
    text = visible_text(html)
    # The window's totals (clicked ÷ displayed: 11 / 130), and the table's rows.
    assert "Sent 160 Displayed 130 Clicked 11 Click rate 8.5%" in text
    assert "50 40 2 1 5.0%" in text
    assert "not recorded" in text and "Recording since" in text
    assert '<polyline class="line line-sent" points="' in html


def test_range_switch_answers_the_fragment_and_pushes_the_page_url(logged_in, connection, history, upstream):
    flow = history[0]
    fragment = logged_in.get(
        f"/connections/{connection.pk}/flows/{flow.id}/trend/?range=7d", headers={"HX-Request": "true"}
    )
    html = fragment.content.decode()
    assert html.lstrip().startswith('<section id="trend"')
    assert html.count('class="mark" tabindex=') == 7
    assert fragment["HX-Push-Url"] == f"/connections/{connection.pk}/flows/{flow.id}/?range=7d"
    hourly = logged_in.get(
        f"/connections/{connection.pk}/flows/{flow.id}/trend/?range=48h", headers={"HX-Request": "true"}
    ).content.decode()
    assert hourly.count('class="mark" tabindex=') == 48
    assert "(so far)" in hourly
    # History costs no upstream request; without htmx the link leads to the whole page.
    assert upstream == []
    plain = logged_in.get(f"/connections/{connection.pk}/flows/{flow.id}/trend/?range=90d")
    assert plain.status_code == 302
    assert plain["Location"] == f"/connections/{connection.pk}/flows/{flow.id}/?range=90d"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("range=1y", "Choose 48 hours, 7, 30 or 90 days."),
        ("from=2026-13-01&to=2026-12-01", "Dates must be given as YYYY-MM-DD"),
        ("from=2026-12-01&to=2026-11-01", "The first day must not be after the last day."),
        ("from=2020-01-01&to=2026-12-01", "History is kept for 400 days"),
    ],
)
def test_a_range_that_cannot_be_used_says_why_and_shows_30_days(
    logged_in, connection, history, query, message
):
    page = logged_in.get(f"/connections/{connection.pk}/trends/?{query}")
    assert page.status_code == 200
    assert message in visible_text(page.content)
    html = page.content.decode()
    assert html.count('class="mark" tabindex=') == 30
    if "from=" in query:
        # The dates typed stay in their fields to be mended, and no preset range claims the chart.
        typed = dict(pair.split("=") for pair in query.split("&"))
        assert f'name="from" value="{typed["from"]}"' in html and f'name="to" value="{typed["to"]}"' in html
        assert not re.search(r'class="range-option"[^>]*aria-current="true"', html)


def test_a_chosen_range_shows_those_days(logged_in, connection, history):
    now = history[2]
    first, last = day(now - dt.timedelta(days=2)), day(now - dt.timedelta(days=1))
    page = logged_in.get(f"/connections/{connection.pk}/trends/?from={first}&to={last}")
    html = page.content.decode()
    assert html.count('class="mark" tabindex=') == 2
    # Both flows summed over those two days.
    assert "Sent 1,150 Displayed 1,020 Clicked 100" in visible_text(html)


def test_the_48_hours_date_boxes_run_to_today_as_the_chart_does(logged_in, connection, history, monkeypatch):
    # Past midnight the 48 hours began two days ago and end within today (at 23:00 UTC, the one
    # hour of the day when they end at a midnight, the last box was right).
    noon = timezone.now().astimezone(dt.UTC).replace(hour=12, minute=30)
    monkeypatch.setattr(timezone, "now", lambda: noon)
    html = logged_in.get(f"/connections/{connection.pk}/flows/{history[0].id}/", {"range": "48h"}).content
    assert html.decode().count('class="mark" tabindex=') == 48
    boxes = form_with(html, "from")
    assert (boxes["from"], boxes["to"]) == (day(noon - dt.timedelta(days=2)), day(noon))


def test_connection_and_website_overviews_sum_their_flows(logged_in, connection, history):
    flow = history[0]
    everything = visible_text(logged_in.get(f"/connections/{connection.pk}/trends/").content)
    assert "Sent 1,160 Displayed 1,030 Clicked 101" in everything
    website = visible_text(
        logged_in.get(f"/connections/{connection.pk}/websites/{flow.website_id}/trends/").content
    )
    assert "Sent 160 Displayed 130 Clicked 11" in website


def test_no_history_yet_says_when_recording_starts(logged_in, connection, demo_flows):
    flow = demo_flows[0]
    html = logged_in.get(f"/connections/{connection.pk}/flows/{flow.id}/").content.decode()
    assert (
        "No history yet: figures are recorded from the next snapshot on, every 15 minutes."
        in visible_text(html)
    )
    # Nothing to switch between or to download yet.
    assert "stats.csv" not in html and "range=7d" not in html


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_flow_csv_has_one_row_per_recorded_day(logged_in, connection, history):
    flow, _, now = history
    response = logged_in.get(f"/connections/{connection.pk}/flows/{flow.id}/stats.csv")
    assert f'filename="flow-{flow.id}-stats.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows == [
        ["date", "sent", "displayed", "clicked", "closed", "click_rate"],
        [day(now - dt.timedelta(days=3)), "0", "0", "0", "0", ""],
        [day(now - dt.timedelta(days=2)), "100", "80", "8", "5", "0.1000"],
        [day(now - dt.timedelta(days=1)), "50", "40", "2", "1", "0.0500"],
        [day(now), "10", "10", "1", "0", "0.1000"],
    ]
    # Nothing a spreadsheet could take for a formula.
    assert not any(cell[:1] in ("=", "+", "-", "@") for row in rows for cell in row)


def test_connection_and_website_csv_sum_the_flows(logged_in, connection, history):
    _, other, now = history
    rows = read_csv(logged_in.get(f"/connections/{connection.pk}/stats.csv?range=7d"))
    by_day = {row[0]: row[1:] for row in rows[1:]}
    assert by_day[day(now - dt.timedelta(days=2))] == ["1100", "980", "98", "5", "0.1000"]
    website = read_csv(logged_in.get(f"/connections/{connection.pk}/websites/{other.website_id}/stats.csv"))
    assert [row[1] for row in website[1:]] == ["0", "1000", "0", "0"]


def test_another_users_history_is_not_found(client, other_user, connection, history):
    flow = history[0]
    client.force_login(other_user)
    for path in ("trends/", "stats.csv", f"flows/{flow.id}/stats.csv", f"flows/{flow.id}/trend/"):
        assert client.get(f"/connections/{connection.pk}/{path}").status_code == 404
    # Their own connection to the same key has its own history, empty so far.
    own = Connection(owner=other_user, label="Mine", server=SANDBOX)
    own.set_api_key(connection.api_key)
    own.save()
    assert client.get(f"/connections/{own.pk}/flows/{flow.id}/stats.csv").status_code == 404
    rows = read_csv(client.get(f"/connections/{own.pk}/stats.csv"))
    assert rows == [["date", "sent", "displayed", "clicked", "closed", "click_rate"]]


def test_trends_page_ranks_flows_by_their_last_7_days(logged_in, connection, history, demo_flows):
    flow, other, now = history
    demo_flows.filter(pk=other.pk).delete()
    # The next period's snapshot sees it gone.
    take_snapshot(connection, now + dt.timedelta(minutes=15))
    html = logged_in.get(f"/connections/{connection.pk}/trends/").content.decode()
    text = visible_text(html)
    # Most sent first; the deleted flow keeps its name and its figures.
    # A row reads: name, website (named from the cached directory), the sparkline's name (its 14
    # days), then the 7 days' figures.
    days = r"Sent per day over the last 14 days: [\d, ]+?"
    website, other_website = re.escape(flow.website.name), re.escape(other.website.name)
    assert re.search(rf"{re.escape(other.name)} deleted {other_website} {days} 1,000 90 10.0%", text)
    # Today, not over yet, is left out: 100 + 50 sent, 8 + 2 clicked of 80 + 40 displayed.
    assert re.search(rf"{re.escape(flow.name)} {website} {days} 150 10 8.3%", text)
    assert text.index(other.name) < text.index(flow.name)
    assert 'aria-sort="descending"' in html
    assert "Sent per day over the last 14 days: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 50" in html
    by_rate = visible_text(logged_in.get(f"/connections/{connection.pk}/trends/?sort=-click_rate").content)
    assert by_rate.index(flow.name) > by_rate.index(other.name)
    rising = visible_text(logged_in.get(f"/connections/{connection.pk}/trends/?sort=click_rate").content)
    assert rising.index(f"{flow.name} {flow.website.name}") < rising.index(f"{other.name} deleted")


def test_flows_list_rows_carry_a_sparkline_and_the_last_7_days(
    logged_in, every_column, connection, history, upstream
):
    flow = history[0]
    html = logged_in.get(f"/connections/{connection.pk}/flows/?results_per_page=50").content.decode()
    # One upstream call for the page, as before: the trends come from Pushdeck's own history.
    assert len(upstream) == 1
    row = re.search(rf'<tr id="flow-{flow.id}">.*?</tr>', html, re.S).group(0)
    assert "Sent per day over the last 14 days: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 50" in row
    assert re.search(r'data-label="Sent 7d">150<.*data-label="Clicked 7d">10<', row, re.S)
    assert 'data-label="Rate 7d">8.3%<' in row
    assert html.count('class="sparkline"') == 40
    assert 'title="Last 14 days">14 days</th>' in html


def test_the_lists_trend_figures_move_on_with_the_next_snapshot(logged_in, every_column, connection, history):
    flow, _, now = history
    url = f"/connections/{connection.pk}/flows/?results_per_page=50&fresh=1"

    def sent_last_7_days():
        html = logged_in.get(url).content.decode()
        row = re.search(rf'<tr id="flow-{flow.id}">.*?</tr>', html, re.S).group(0)
        return re.search(r'data-label="Sent 7d">([\d,]+)<', row).group(1)

    assert sent_last_7_days() == "150"
    # Refresh: the page's figures are kept until the connection's history moves.
    assert sent_last_7_days() == "150"
    grow(flow, 7, 7, 0)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    # Late yesterday, in a period of its own (not the one a day before the fixture's last snapshot).
    moment = midnight - dt.timedelta(minutes=2 if now.hour < 23 else 23 * 60)
    assert take_snapshot(connection, moment) is not None
    assert sent_last_7_days() == "157"


def shown_flow_ids(html):
    return [int(found) for found in re.findall(r'<tr id="flow-(\d+)"', html)]


@pytest.mark.parametrize(
    ("sort", "first", "last"),
    [
        ("-sent_7d", "other", "flow"),
        ("sent_7d", "flow", "other"),
        ("-clicked_7d", "other", "flow"),
        ("-click_rate_7d", "other", "flow"),
    ],
)
def test_the_list_sorts_every_flow_by_its_last_7_days(
    logged_in, connection, history, demo_flows, sort, first, last
):
    flow, other, _now = history
    # Only these two flows have figures in the last 7 days: flow sent 150, clicked 10 of 120
    # displayed (8.3%); other sent 1,000, clicked 90 of 900 (10.0%). The rest show 0 sent and no
    # rate (nothing displayed), which sorts after both either way.
    by_name = {"flow": flow.id, "other": other.id}
    html = logged_in.get(
        f"/connections/{connection.pk}/flows/", {"sort": sort, "results_per_page": "50"}
    ).content.decode()
    shown = shown_flow_ids(html)
    assert len(shown) == demo_flows.count()
    if sort.startswith("-"):
        assert shown[:2] == [by_name[first], by_name[last]]
    else:
        # Largest last: the flows with no sends in those days (0) first.
        assert shown[-2:] == [by_name[first], by_name[last]]
    column = sort.lstrip("-")
    state = "descending" if sort.startswith("-") else "ascending"
    assert re.search(rf'aria-sort="{state}"[^>]*><a class="sort-link" href="[^"]*sort=-?{column}"', html)
    assert "Sorted by" in visible_text(html)


def test_the_list_sorts_the_next_page_and_the_export_by_the_last_7_days(
    logged_in, connection, history, demo_flows
):
    flow, other, _now = history
    second = logged_in.get(
        f"/connections/{connection.pk}/flows/", {"sort": "-sent_7d", "results_per_page": "10", "page": "2"}
    ).content.decode()
    # The two flows with sends lead page 1: page 2 holds neither.
    assert flow.id not in shown_flow_ids(second) and other.id not in shown_flow_ids(second)
    export = logged_in.get(f"/connections/{connection.pk}/flows/export.csv", {"sort": "-sent_7d"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    # The export is in the list's order: after its header, the two flows with sends.
    assert other.name in lines[1] and flow.name in lines[2]


def test_the_websites_overview_charts_every_website_summed_and_links_each_to_its_trends(
    logged_in, connection, history, upstream
):
    flow, other, _now = history
    page = logged_in.get(f"/connections/{connection.pk}/websites/")
    html = page.content.decode()
    assert page.status_code == 200
    # Both flows' websites summed, as on the Trends page.
    assert "Sent 1,160 Displayed 1,030 Clicked 101" in visible_text(html)
    assert html.count('class="mark" tabindex=') == 30
    for website_id in (flow.website_id, other.website_id):
        assert f'href="/connections/{connection.pk}/websites/{website_id}/trends/"' in html
    calls = len(upstream)
    fragment = logged_in.get(
        f"/connections/{connection.pk}/websites/?range=7d", headers={"HX-Request": "true"}
    )
    assert fragment.content.decode().lstrip().startswith('<section id="trend"')
    assert fragment.content.decode().count('class="mark" tabindex=') == 7
    assert fragment["HX-Push-Url"] == f"/connections/{connection.pk}/websites/?range=7d"
    # The range switch reads history only.
    assert len(upstream) == calls


def test_the_ranked_table_names_websites_from_the_cache_without_a_call(
    logged_in, connection, history, upstream
):
    flow, other, _now = history
    page = f"/connections/{connection.pk}/trends/"

    def website_cells():
        html = logged_in.get(page).content.decode()
        return re.findall(r'data-label="Website">(.*?)</td>', html)

    # The connection's websites were read when it was made, so the cache names them.
    named = website_cells()
    assert f'<span translate="no">{flow.website.name}</span>' in named
    assert f'<span translate="no">{other.website.name}</span>' in named
    assert not any(cell.startswith("#") for cell in named)
    # Once the cache has forgotten them, this page does not spend a call to read them again.
    connect(connection).forget_directory()
    numbered = website_cells()
    assert {f"#{flow.website_id}", f"#{other.website_id}"} <= set(numbered)
    assert all(re.fullmatch(r"#\d+", cell) for cell in numbered)
    assert upstream == []


def test_a_websites_trends_are_headed_by_its_name_when_the_cache_knows_it(
    logged_in, connection, history, upstream
):
    flow, _other, _now = history
    page = reverse("trends:website", args=[connection.pk, flow.website_id])

    def heading():
        return re.search(r'<h2 id="trend-title"[^>]*>(.*?)</h2>', logged_in.get(page).content.decode())[1]

    assert heading() == f'<span translate="no">{flow.website.name}</span>'
    connect(connection).forget_directory()
    assert heading() == f"Website #{flow.website_id}"
    assert upstream == []
