"""Bulk jobs act as the member who started them: the worker does only what that member may do
now (their role, their websites), and every flow it changes shows in that flow's history under
their name, as a change made on the flow's own page does."""

import pytest
from django.test import Client
from django.urls import reverse

from activity.models import Activity, Kind
from flows_app.models import Membership, Role
from jobs.models import BulkItem, BulkJob
from sandbox.models import Flow as SandboxFlow
from tests.bulk import start, work
from tests.pages import visible_text


@pytest.fixture
def member(connection, django_user_model):
    """A second person on the connection, signed in, with the role and websites asked for."""

    def make(role=Role.EDITOR, websites=()):
        person = django_user_model.objects.create_user(f"member-{role}", password="correct horse battery")
        membership = Membership.objects.create(
            connection=connection, user=person, role=role, websites=list(websites)
        )
        client = Client()
        client.force_login(person)
        return client, membership

    return make


def test_a_bulk_pause_shows_in_each_flows_history_with_who_paused_it(logged_in, connection, demo_flows, user):
    flows = demo_flows[:4]
    job = start(logged_in, connection, "pause", [flow.id for flow in flows])
    work()
    job.refresh_from_db()
    assert job.state == BulkJob.State.FINISHED
    for flow in flows:
        [entry] = Activity.objects.filter(flow_id=flow.id)
        assert (entry.kind, entry.user, entry.connection) == (Kind.FLOW_TOGGLE, user, connection)
        # The job read every flow at its start: the entry holds the state each had before.
        assert entry.before["is_enabled"] is flow.is_enabled and entry.after["is_enabled"] is False
    history = visible_text(
        logged_in.get(reverse("teams:flow_activity", args=[connection.pk, flows[0].id])).content
    )
    assert user.username in history


def test_a_bulk_edit_and_delete_keep_what_each_flow_held(logged_in, connection, demo_flows):
    edited, deleted = demo_flows[0], demo_flows[1]
    start(logged_in, connection, "set", [edited.id], utm_campaign="spring", urgency="high")
    start(logged_in, connection, "delete", [deleted.id], confirmed="1")
    work()
    [edit] = Activity.objects.filter(flow_id=edited.id)
    assert edit.kind == Kind.FLOW_EDIT
    assert edit.before["title"] == edited.title and edit.after["title"] == edited.title
    assert (edit.after["utm_campaign"], edit.after["urgency"]) == ("spring", "high")
    assert (edit.before["utm_campaign"], edit.before["urgency"]) == (edited.utm_campaign, edited.urgency)
    [removal] = Activity.objects.filter(flow_id=deleted.id)
    assert removal.kind == Kind.FLOW_DELETE and removal.after is None
    assert (removal.before["name"], removal.before["url"]) == (deleted.name, deleted.url)
    assert not SandboxFlow.objects.filter(pk=deleted.pk).exists()


def test_a_limited_members_job_never_writes_another_websites_flow(connection, demo_flows, member, answers):
    websites = sorted({flow.website.id for flow in demo_flows})
    # Limited after the jobs started (the start refuses other websites' flows itself): the worker
    # does what the member may do now.
    client, membership = member(Role.EDITOR)
    mine = [flow for flow in demo_flows if flow.website.id == websites[0]][:2]
    theirs = [flow for flow in demo_flows if flow.website.id != websites[0]][:2]
    for action, extra in (("pause", {}), ("delete", {"confirmed": "1"})):
        membership.websites = []
        membership.save()
        job = start(client, connection, action, [flow.id for flow in mine + theirs], **extra)
        membership.websites = websites[:1]
        membership.save()
        sent_before = len(answers)
        work()
        # Their own flows' websites are checked against the job's one read of every flow (no read
        # of each); another website's flow, not in what they may see, is read to say why it stays.
        sent = [(method, flow_id) for method, flow_id, *_ in answers[sent_before:]]
        assert sent.count(("GET", None)) <= 1
        assert sorted(call for call in sent if call[1] is not None) == sorted(
            [("DELETE" if action == "delete" else "POST", flow.id) for flow in mine]
            + [("GET", flow.id) for flow in theirs]
        )
        job.refresh_from_db()
        assert job.state == BulkJob.State.FINISHED, job.message
        states = dict(job.items.values_list("flow_id", "state"))
        assert {states[flow.id] for flow in mine} == {BulkItem.State.DONE}
        assert {states[flow.id] for flow in theirs} == {BulkItem.State.FAILED}
        failed = job.items.get(flow_id=theirs[0].id)
        assert f"#{websites[0]}" in failed.shown_message and "deleted" not in failed.shown_message.lower()
    for flow in theirs:
        before = flow.is_enabled
        flow.refresh_from_db()
        assert flow.is_enabled == before
    assert not Activity.objects.filter(flow_id__in=[flow.id for flow in theirs]).exists()


@pytest.mark.parametrize("change", ["removed", "viewer"])
def test_a_job_stops_with_the_reason_once_its_member_may_no_longer_edit(
    connection, demo_flows, member, change
):
    client, membership = member(Role.EDITOR)
    flows = demo_flows[:3]
    job = start(client, connection, "pause", [flow.id for flow in flows])
    if change == "removed":
        membership.delete()
    else:
        membership.role = Role.VIEWER
        membership.save()
    work()
    job.refresh_from_db()
    assert job.state == BulkJob.State.STOPPED
    assert membership.user.username in job.shown_message
    assert ("no longer a member" if change == "removed" else "can now only view") in job.shown_message
    assert set(job.items.values_list("state", flat=True)) == {BulkItem.State.SKIPPED}
    assert all(SandboxFlow.objects.get(pk=flow.pk).is_enabled == flow.is_enabled for flow in flows)
    assert not Activity.objects.filter(kind=Kind.FLOW_TOGGLE).exists()


def test_a_viewer_may_not_cancel_or_retry_a_job_and_an_editor_may(logged_in, connection, demo_flows, member):
    job = start(logged_in, connection, "pause", [flow.id for flow in demo_flows[:2]])
    viewer, _ = member(Role.VIEWER)
    for action in ("cancel", "retry"):
        response = viewer.post(f"/jobs/{job.pk}/{action}/")
        assert response.status_code == 403, action
    job.refresh_from_db()
    assert job.state == BulkJob.State.RUNNING
    editor, _ = member(Role.EDITOR)
    assert editor.post(f"/jobs/{job.pk}/cancel/").status_code == 302
    job.refresh_from_db()
    assert job.state == BulkJob.State.CANCELLED
    assert editor.post(f"/jobs/{job.pk}/retry/").status_code == 302


def test_a_viewer_sees_a_job_without_its_cancel_and_retry_buttons(logged_in, connection, demo_flows, member):
    job = start(logged_in, connection, "pause", [flow.id for flow in demo_flows[:2]])
    job.items.filter(flow_id=demo_flows[0].id).update(state=BulkItem.State.FAILED)
    viewer, _ = member(Role.VIEWER)
    page = viewer.get(f"/jobs/{job.pk}/").content.decode()
    assert "Pause: 2 flows" in visible_text(page)
    assert f"/jobs/{job.pk}/cancel/" not in page and f"/jobs/{job.pk}/retry/" not in page
    assert "/retry/" not in page, "nor an item's retry"
    editor_page = logged_in.get(f"/jobs/{job.pk}/").content.decode()
    assert f"/jobs/{job.pk}/cancel/" in editor_page and f"/jobs/{job.pk}/retry/" in editor_page


def test_a_retried_job_writes_with_the_rights_of_who_retried_it(
    logged_in, connection, demo_flows, member, user
):
    client, membership = member(Role.EDITOR)
    flows = demo_flows[:3]
    job = start(client, connection, "pause", [flow.id for flow in flows])
    membership.role = Role.VIEWER
    membership.save()
    work()
    job.refresh_from_db()
    assert job.state == BulkJob.State.STOPPED, "the starter may no longer edit"
    # The owner, who may change every flow of it, resumes it: it runs as them now.
    assert logged_in.post(f"/jobs/{job.pk}/retry/").status_code == 302
    work()
    job.refresh_from_db()
    assert job.state == BulkJob.State.FINISHED, job.shown_message
    assert (job.created_by, job.run_as) == (membership.user, user)
    assert {SandboxFlow.objects.get(pk=flow.pk).is_enabled for flow in flows} == {False}
    assert set(Activity.objects.filter(kind=Kind.FLOW_TOGGLE).values_list("user", flat=True)) == {user.pk}


def test_cancelling_is_recorded_on_the_job_and_in_the_history(logged_in, connection, demo_flows, member):
    job = start(logged_in, connection, "pause", [flow.id for flow in demo_flows[:2]])
    editor, membership = member(Role.EDITOR)
    assert editor.post(f"/jobs/{job.pk}/cancel/").status_code == 302
    job.refresh_from_db()
    assert job.cancelled_by == membership.user and job.cancelled_at is not None
    page = visible_text(editor.get(f"/jobs/{job.pk}/").content)
    assert f"Cancelled by {membership.user.username} at" in page
    [entry] = Activity.objects.filter(kind=Kind.JOB_CANCEL)
    assert (entry.user, entry.connection, entry.after["job"]) == (membership.user, connection, job.pk)
    history = visible_text(editor.get(reverse("teams:activity", args=[connection.pk])).content)
    assert "Bulk job cancelled" in history and membership.user.username in history
