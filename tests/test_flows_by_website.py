"""Two flows may share a name on two websites: wherever Pushdeck names flows before or after an
action (a job's page, the bulk confirmation, the delete dialog and page), it names each one's
website beside it, from the connection's cached names (no extra call), and the delete warnings say
what a delete takes away and what Pushdeck keeps."""

import pytest

from tests.bulk import start, work
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import visible_text, what_the_user_reads

KEPT = "trends and history keep what they recorded"


@pytest.fixture
def twins(demo_flows):
    """Two demo flows of the same name, each on a website of its own."""
    by_name = {}
    for flow in demo_flows:
        by_name.setdefault(flow.name, []).append(flow)
    first, second = next(flows for flows in by_name.values() if len(flows) > 1)[:2]
    assert first.website.name != second.website.name
    return first, second


@pytest.mark.live
def test_the_job_page_names_each_flows_website(logged_in, connection, twins, upstream):
    logged_in.get(f"/connections/{connection.pk}/flows/")  # the list the user picks them from
    job = start(logged_in, connection, "pause", [flow.id for flow in twins])
    work()
    sent = len(upstream)
    text = visible_text(logged_in.get(f"/jobs/{job.pk}/").content)
    for flow in twins:
        assert f"{flow.name} · {flow.website.name}" in text
    assert len(upstream) == sent, "the websites' names came from the cache"


def test_the_bulk_confirmation_names_each_flows_website(logged_in, connection, twins, upstream):
    logged_in.get(f"/connections/{connection.pk}/flows/")
    confirm = logged_in.post(
        f"/connections/{connection.pk}/flows/bulk/", {"action": "delete", "ids": [flow.id for flow in twins]}
    )
    text = what_the_user_reads(confirm)
    assert "Delete 2 flows?" in text
    for flow in twins:
        assert f"{flow.name} · {flow.website.name}" in text
    assert KEPT in text and "lost" not in text
    assert not [call for call in upstream if "/websites/" in call.url], (
        "the websites' names came from the cache"
    )


def test_the_delete_dialog_and_page_name_the_website_and_say_what_is_kept(logged_in, connection, twins):
    flow = twins[0]
    for url in (
        f"/connections/{connection.pk}/flows/{flow.id}/",
        f"/connections/{connection.pk}/flows/{flow.id}/delete/",
    ):
        text = visible_text(logged_in.get(url).content)
        assert f"Delete “{flow.name}”? Website: {flow.website.name}" in text, url
        assert KEPT in text and "statistics are lost" not in text and "cannot be undone" not in text, url
    # The list's one dialog has a place for the website of the row that opens it (app.js fills it).
    listed = logged_in.get(f"/connections/{connection.pk}/flows/").content.decode()
    assert "data-delete-website" in listed
    assert KEPT in visible_text(listed) and "statistics are lost" not in listed
