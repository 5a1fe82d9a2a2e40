"""A member limited to some websites of a connection: every list, read and write covers those
websites only, enforced on the server (another website's flow answers 404, a write naming another
website is refused and changes nothing)."""

import pytest
from django.urls import reverse

from activity.history import record
from activity.models import Activity, Kind
from flows_app.access import Access, member_access, scoped
from flows_app.api import NotFound, Rejected, connect
from flows_app.models import Membership, Role
from jobs.models import BulkJob
from sandbox.models import Flow as SandboxFlow
from tests.helpers import HTMX, form_token, url, valid_form
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_with, visible_text


def test_the_list_holds_only_their_websites_flows_and_counts_them(connection, limited):
    client, _, mine, theirs = limited
    text = visible_text(client.get(url("list", connection), {"results_per_page": 10}).content)
    assert f"{len(mine)} flows" in text
    shown = [flow for flow in mine if flow.name in text]
    assert shown, "none of their flows is listed"
    page = client.get(url("list", connection), {"results_per_page": 100}).content.decode()
    for flow in theirs:
        assert f'id="flow-{flow.id}"' not in page
    for flow in mine:
        assert f'id="flow-{flow.id}"' in page


def test_another_websites_flow_answers_404_to_every_read_and_write(connection, limited):
    client, _, _, theirs = limited
    flow = theirs[0]
    before = (flow.name, flow.title, flow.is_enabled)
    for name in ("detail", "edit", "duplicate", "delete"):
        assert client.get(url(name, connection, flow.id)).status_code == 404, name
    assert client.post(url("toggle", connection, flow.id), {"is_enabled": "0"}, **HTMX).status_code == 404
    assert client.post(url("delete", connection, flow.id)).status_code == 404
    assert (
        client.post(url("edit", connection, flow.id), valid_form(website_id=str(flow.website.id))).status_code
        == 404
    )
    flow.refresh_from_db()
    assert (flow.name, flow.title, flow.is_enabled) == before
    assert SandboxFlow.objects.filter(pk=flow.pk).exists()
    assert not Activity.objects.exists()


def test_their_own_websites_flows_work(connection, limited):
    client, _, mine, _ = limited
    flow = mine[0]
    assert client.get(url("detail", connection, flow.id)).status_code == 200
    response = client.post(
        url("toggle", connection, flow.id), {"is_enabled": "0" if flow.is_enabled else "1"}, **HTMX
    )
    assert response.status_code == 200
    assert Activity.objects.get().website_id == flow.website.id


@pytest.mark.live
def test_a_create_or_edit_naming_another_website_is_refused(connection, limited):
    client, websites, mine, _ = limited
    count = SandboxFlow.objects.count()
    data = valid_form(website_id=str(websites[1]), form_token=form_token(client, connection))
    response = client.post(url("new", connection), data)
    assert response.status_code == 400
    # Their form offers their websites only, so another one is refused as unknown to them.
    assert "Choose one of this connection's websites" in visible_text(response.content)
    assert f'<option value="{websites[1]}"' not in client.get(url("new", connection)).content.decode()
    assert SandboxFlow.objects.count() == count

    flow = mine[0]
    page = client.get(url("edit", connection, flow.id)).content.decode()
    response = client.post(
        url("edit", connection, flow.id), {**form_with(page, "title"), "website_id": str(websites[1])}
    )
    assert response.status_code == 400
    flow.refresh_from_db()
    assert flow.website.id == websites[0]


def test_the_history_shows_only_their_websites(connection, limited, user):
    client, _, mine, theirs = limited
    for flow in (mine[0], theirs[0]):
        values = {"name": flow.name, "website_id": flow.website.id, "is_enabled": True}
        record(
            user,
            connection,
            Kind.FLOW_TOGGLE,
            flow_id=flow.id,
            before=values,
            after={**values, "is_enabled": False},
        )
    record(user, connection, Kind.CONNECTION_EDIT, before={"label": "a"}, after={"label": "Secret label"})
    text = visible_text(client.get(reverse("teams:activity", args=[connection.pk])).content)
    assert "1 change" in text and mine[0].name in text and "Secret label" not in text
    assert client.get(reverse("teams:flow_activity", args=[connection.pk, theirs[0].id])).status_code == 404
    entry = Activity.objects.get(flow_id=theirs[0].id)
    assert client.get(reverse("teams:restore", args=[connection.pk, entry.pk])).status_code == 404


def test_background_work_for_a_limited_member_is_limited_too(connection, limited, upstream):
    """Bulk jobs reach the API through access.scoped: the same limits without a request."""
    _, websites, mine, theirs = limited
    access = member_access(connection, Membership.objects.get(websites=[websites[0]]).user)
    assert access == Access(Role.EDITOR, frozenset({websites[0]}))
    api = scoped(connect(connection), access)
    assert {flow.id for flow in api.all_flows()} == {flow.id for flow in mine}
    with pytest.raises(NotFound):
        api.update_flow(theirs[0].id, {"is_enabled": False})
    with pytest.raises(NotFound):
        api.delete_flow(theirs[0].id)
    with pytest.raises(Rejected):
        api.create_flow({"website_id": websites[1], "name": "x", "title": "x", "description": "x"})
    with pytest.raises(Rejected):
        api.update_flow(mine[0].id, {"website_id": websites[1]})
    assert [call.method for call in upstream if call.method != "GET"] == []
    assert SandboxFlow.objects.filter(pk=theirs[0].pk).exists()


def test_a_limited_members_toggle_reads_the_flow_once(connection, limited, upstream):
    client, _, mine, _ = limited
    flow = mine[0]
    client.post(url("toggle", connection, flow.id), {"is_enabled": "0" if flow.is_enabled else "1"}, **HTMX)
    assert [(call.method, call.url.rsplit("/api/", 1)[1]) for call in upstream] == [
        ("GET", f"flows/{flow.id}"),
        ("POST", f"flows/{flow.id}"),
    ]


@pytest.mark.live
def test_find_export_and_websites_overview_hold_only_their_websites(connection, limited):
    client, websites, mine, theirs = limited
    # A query reads every flow (find): still only theirs, whatever the filter or sort asks for.
    for params in (
        {"sort": "-sent", "results_per_page": 100},
        {"website": websites[1], "results_per_page": 100},
    ):
        page = client.get(url("list", connection), params).content.decode()
        assert not any(f'id="flow-{flow.id}"' in page for flow in theirs), params
    found = client.get(url("list", connection), {"sort": "name", "results_per_page": 100}).content.decode()
    assert all(f'id="flow-{flow.id}"' in found for flow in mine)
    export = client.get(url("export", connection), {"sort": "name"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + len(mine)
    assert not any(
        flow.name in "\n".join(lines) for flow in theirs if flow.name not in {m.name for m in mine}
    )
    overview = client.get(reverse("websites", args=[connection.pk])).content.decode()
    assert f"?website={websites[0]}" in overview
    assert all(f"?website={other}" not in overview for other in websites[1:])
    # History is the whole connection's: no summed chart for a member limited to some websites.
    assert 'id="trend"' not in overview
    # The website filter offers their websites only.
    assert f'<option value="{websites[1]}"' not in found


def test_the_home_overview_cards_hold_only_their_websites(
    connection, limited, django_user_model, sandbox_key
):
    client, websites, _mine, _theirs = limited
    # A second connection makes the home page the overview of every connection.
    person = django_user_model.objects.get(username="limited")
    other = type(connection)(owner=person, label="Own shop", server=connection.server)
    other.set_api_key(sandbox_key)
    other.save()
    home = client.get("/").content.decode()
    assert "Own shop" in home
    shared = f"/connections/{connection.pk}/flows/?website="
    assert f"{shared}{websites[0]}" in home
    assert all(f"{shared}{site}" not in home for site in websites[1:])


def test_a_limited_editors_bulk_job_holds_only_their_websites_flows(connection, limited):
    client, websites, mine, theirs = limited
    bulk_url = reverse("flows:bulk", args=[connection.pk])
    refused = client.post(bulk_url, {"action": "pause", "ids": [mine[0].id, theirs[0].id]}, follow=True)
    assert f"You may only change flows of websites #{websites[0]}." in visible_text(refused.content)
    assert not BulkJob.objects.exists()
    # Every match of their list is every flow of their websites, and those only.
    confirm = client.post(bulk_url, {"action": "pause", "match": "1"})
    assert f"Pause {len(mine)} flows?" in visible_text(confirm.content)
    client.post(bulk_url, {"action": "pause", "ids": [flow.id for flow in mine], "confirmed": "1"})
    assert set(BulkJob.objects.get().items.values_list("flow_id", flat=True)) == {flow.id for flow in mine}
