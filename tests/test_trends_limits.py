"""Trends as a member limited to some websites sees them: their websites' flows only, in every
page, chart, CSV and list sparkline; another website's flow or website answers 404."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from flows_app.models import Membership, Role
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_with, visible_text
from tests.trends_history import history_fixture  # noqa: F401 -- the history fixture


@pytest.fixture
def limited(connection, history, django_user_model):
    """A viewer limited to the website of the history's first flow (160 sent), not the other's (1000)."""
    flow, other, _ = history
    person = django_user_model.objects.create_user("limited", password="correct horse battery")
    Membership.objects.create(
        connection=connection, user=person, role=Role.VIEWER, websites=[flow.website_id]
    )
    client = Client()
    client.force_login(person)
    return client, flow, other


def csv_sent(response):
    assert response.status_code == 200
    return sum(int(row["sent"]) for row in csv.DictReader(io.StringIO(response.content.decode())))


def test_connection_trends_sum_their_websites_only(connection, limited, logged_in):
    client, flow, other = limited
    base = f"/connections/{connection.pk}"
    html = client.get(f"{base}/trends/").content.decode()
    assert "Sent 160 " in visible_text(html)
    assert f"/flows/{flow.id}/" in html and f"/flows/{other.id}/" not in html
    assert f"/websites/{other.website_id}/" not in html
    assert csv_sent(client.get(f"{base}/stats.csv")) == 160
    # The owner sees both websites.
    assert "Sent 1,160 " in visible_text(logged_in.get(f"{base}/trends/").content)
    assert csv_sent(logged_in.get(f"{base}/stats.csv")) == 1160


def test_another_websites_flow_and_website_answer_404(connection, limited):
    client, flow, other = limited
    base = f"/connections/{connection.pk}"
    for path in (
        f"/websites/{other.website_id}/trends/",
        f"/websites/{other.website_id}/stats.csv",
        f"/flows/{other.id}/stats.csv",
        f"/flows/{other.id}/trend/",
    ):
        assert client.get(base + path, headers={"HX-Request": "true"}).status_code == 404, path
    assert client.get(f"{base}/websites/{flow.website_id}/trends/").status_code == 200
    assert csv_sent(client.get(f"{base}/websites/{flow.website_id}/stats.csv")) == 160
    assert csv_sent(client.get(f"{base}/flows/{flow.id}/stats.csv")) == 160


def test_the_flows_list_draws_sparklines_of_their_flows_only(connection, limited):
    client, flow, other = limited
    page = client.get(f"/connections/{connection.pk}/flows/", {"results_per_page": 100}).content.decode()
    assert f'id="flow-{flow.id}"' in page
    assert f'id="flow-{other.id}"' not in page


def edit(client, connection, flow, **changes):
    """The flow changed through its edit form by ``client`` (recorded in the history, and in the
    shared cache as the server answered); a move to another website goes to all its subscribers."""
    page = reverse("flows:edit", args=[connection.pk, flow.id])
    fields = form_with(client.get(page).content.decode(), "title")
    if "website_id" in changes:
        fields["segment"] = "all"
    response = client.post(page, {**fields, **{name: str(value) for name, value in changes.items()}})
    assert response.status_code == 302, visible_text(response.content)


def test_a_flow_moved_to_another_website_answers_404_in_csv_and_chart_before_the_next_snapshot(
    connection, limited, logged_in
):
    client, flow, other = limited
    base = f"/connections/{connection.pk}/flows/{flow.id}"
    assert csv_sent(client.get(f"{base}/stats.csv")) == 160
    edit(logged_in, connection, flow, website_id=other.website_id)
    # The last snapshot still has it on their website; the server says the other one now.
    for path in (f"{base}/", f"{base}/stats.csv", f"{base}/trend/?range=7d"):
        assert client.get(path, headers={"HX-Request": "true"}).status_code == 404, path
    assert csv_sent(logged_in.get(f"{base}/stats.csv")) == 160


def test_their_range_switch_and_csv_spend_no_call_once_the_flows_page_read_it(connection, limited, upstream):
    client, flow, _ = limited
    base = f"/connections/{connection.pk}/flows/{flow.id}"
    assert client.get(f"{base}/").status_code == 200
    upstream.clear()
    assert client.get(f"{base}/trend/?range=7d", headers={"HX-Request": "true"}).status_code == 200
    assert csv_sent(client.get(f"{base}/stats.csv")) == 160
    assert upstream == []


def test_a_flow_moved_onto_their_website_shows_nothing_of_its_time_on_another(connection, limited, logged_in):
    client, flow, other = limited
    edit(logged_in, connection, other, title="Changed while elsewhere")
    edit(logged_in, connection, other, website_id=flow.website_id)
    html = client.get(f"/connections/{connection.pk}/flows/{other.id}/").content.decode()
    marks = html.split('class="edit-mark"')[1:]
    # The move is theirs (it brought the flow to their website), the title changed before it is not.
    assert len(marks) == 1 and "edited Website" in marks[0], marks
    assert "edited Title" not in visible_text(html)
    # Its 1,000 sent on the other website are that website's figures, in the chart and the CSV.
    assert "Sent 0 " in visible_text(html.split('id="trend"')[1])
    assert csv_sent(client.get(f"/connections/{connection.pk}/flows/{other.id}/stats.csv")) == 0
    owners = logged_in.get(f"/connections/{connection.pk}/flows/{other.id}/").content.decode()
    assert owners.count('class="edit-mark"') == 2
    assert csv_sent(logged_in.get(f"/connections/{connection.pk}/flows/{other.id}/stats.csv")) == 1000


def test_a_flows_history_is_headed_by_the_name_it_had_on_their_website(connection, limited, logged_in):
    client, flow, other = limited
    edit(logged_in, connection, flow, title="Changed while theirs")
    edit(logged_in, connection, flow, name="Renamed elsewhere", website_id=other.website_id)
    page = client.get(reverse("teams:flow_activity", args=[connection.pk, flow.id]))
    assert page.status_code == 200
    text = visible_text(page.content)
    assert f"History of “{flow.name}”" in text
    assert "Renamed elsewhere" not in text
