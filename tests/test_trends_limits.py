"""Trends as a member limited to some websites sees them: their websites' flows only, in every
page, chart, CSV and list sparkline; another website's flow or website answers 404."""

import csv
import io

import pytest
from django.test import Client

from teams.models import Membership, Role
from tests.pages import visible_text
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
