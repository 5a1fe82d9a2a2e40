"""Bulk jobs end to end: the request answers at once with a job, the worker carries it out against
the sandbox over real HTTP within the key's budget, and every item's outcome is kept."""

import collections
import re
import signal
import threading
import time

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from flows_app.api import budget
from jobs import bulk
from jobs.models import BulkItem, BulkJob, WorkerBeat
from sandbox.models import ApiAccount, Fault
from sandbox.models import Flow as SandboxFlow
from tests.bulk import start, work
from tests.helpers import HTMX, wait_for
from tests.pages import all_forms, visible_text, what_the_user_reads


def writes_per_flow(answers):
    return collections.Counter(
        flow_id for method, flow_id, status, _ in answers if method == "POST" and flow_id
    )


@pytest.fixture
def short_window(monkeypatch, settings):
    """The server's fixed window and the budget's idea of it, both 4 s instead of 60: a minute's
    budget of 30 requests, spent and renewed fifteen times faster. Headers, 429s and resets
    behave as with a minute. Background work may reach 25 of the 30, leaving a reserve of 5."""
    settings.SANDBOX_RATE_WINDOW = 4
    monkeypatch.setattr(budget, "WINDOW", 4)
    settings.SANDBOX_RATE_LIMIT = 30
    settings.BUDGET_BACKGROUND_SHARE, settings.BUDGET_WRITE_SHARE = 84, 16


def test_a_150_flow_pause_at_30_a_minute_writes_each_flow_once_and_leaves_the_reserve(
    logged_in, connection, flows, short_window, answers
):
    made = flows(150)
    job = start(logged_in, connection, "pause", [flow.id for flow in made])
    # The request answered at once: nothing was sent yet.
    assert not writes_per_flow(answers)
    # People keep using the key while the job runs: their single writes go through.
    toggles = []
    finished = threading.Event()

    def toggle_now_and_then():
        while not finished.wait(1.5) and len(toggles) < 3:
            response = logged_in.post(
                f"/connections/{connection.pk}/flows/{made[0].id}/toggle/", {"is_enabled": "0"}, **HTMX
            )
            toggles.append(response.status_code)

    person = threading.Thread(target=toggle_now_and_then)
    person.start()
    started = time.monotonic()
    try:
        work()  # the worker's loop needs the main thread (it installs signal handlers)
    finally:
        finished.set()
        person.join()
    took = time.monotonic() - started

    job.refresh_from_db()
    assert job.state == BulkJob.State.FINISHED
    assert set(job.items.values_list("state", flat=True)) == {BulkItem.State.DONE}
    assert not SandboxFlow.objects.filter(pk__in=[flow.id for flow in made], is_enabled=True).exists()
    job_writes = writes_per_flow(answers)
    job_writes[made[0].id] -= len(toggles)
    assert set(job_writes.values()) == {1} and len(job_writes) == 150
    assert toggles == [200] * len(toggles)
    assert sum(1 for *_, status, _ in answers if status == 429) <= 1
    assert job.requests == 150 + 1 + job.rate_limited  # and its one read of every flow
    # 150 items at 25 a window (30 less the reserve of 5) need six windows: five waits for a reset.
    assert took >= 5 * 4 - 4


def test_a_job_never_spends_the_reserve(logged_in, connection, flows, short_window, answers):
    made = flows(60)
    start(logged_in, connection, "enable", [flow.id for flow in made])
    work()
    job_answers = [
        remaining for method, _, status, remaining in answers if method == "POST" and status == 200
    ]
    assert len(job_answers) == 60
    # Each answer says what was left after it: the job stopped with the reserve of 5 untouched.
    assert min(job_answers) >= 5


def test_a_double_submit_starts_one_job(logged_in, connection, flows):
    made = flows(3)
    ids = [flow.id for flow in made]
    first = start(logged_in, connection, "pause", ids)
    second = start(logged_in, connection, "pause", list(reversed(ids)))
    assert first == second
    assert BulkJob.objects.count() == 1


def test_cancel_stops_the_job_within_one_item_and_its_page_shows_how_far_it_got(
    logged_in, connection, flows, answers, settings
):
    settings.SANDBOX_RATE_LIMIT = 0
    made = flows(20)
    job = start(logged_in, connection, "pause", [flow.id for flow in made])
    sent_before_cancel = []
    real_send = bulk._send

    def send_then_cancel(api, job_, item):
        result = real_send(api, job_, item)
        sent_before_cancel.append(item.flow_id)
        if len(sent_before_cancel) == 3:
            # The user presses Cancel while the worker is sending the 4th item.
            assert logged_in.post(f"/jobs/{job.pk}/cancel/").status_code == 302
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bulk, "_send", send_then_cancel)
        work()
    job.refresh_from_db()
    assert job.state == BulkJob.State.CANCELLED
    assert len(writes_per_flow(answers)) == 3
    states = collections.Counter(job.items.values_list("state", flat=True))
    assert states == {BulkItem.State.DONE: 3, BulkItem.State.SKIPPED: 17}
    page = logged_in.get(f"/jobs/{job.pk}/").content.decode()
    assert "Cancelled" in page and "hx-trigger" not in page
    # 3 of its 20 flows were changed: not "100%" as if all of them were.
    assert "15%" in page and "100%" not in page


@pytest.mark.parametrize("deleted", ["before the 4th write", "during the 3rd write"])
def test_a_job_whose_connection_is_deleted_stops_before_its_next_write_and_logs_why(
    logged_in, connection, flows, answers, settings, caplog, deleted
):
    settings.SANDBOX_RATE_LIMIT = 0
    made = flows(10)
    job = start(logged_in, connection, "pause", [flow.id for flow in made])
    real_send = bulk._send
    sent = []

    def delete_the_connection():
        assert logged_in.post(f"/connections/{connection.pk}/delete/").status_code == 302

    def send_then_delete(api, job_, item):
        if deleted == "before the 4th write" and len(sent) == 3:
            delete_the_connection()
        result = real_send(api, job_, item)
        sent.append(item.flow_id)
        if deleted == "during the 3rd write" and len(sent) == 3:
            delete_the_connection()
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bulk, "_send", send_then_delete)
        work()
    assert len(writes_per_flow(answers)) == 3
    assert not BulkJob.objects.filter(pk=job.pk).exists(), "the job went with its connection"
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert f"Bulk job {job.pk}: its connection ({connection.pk}) was deleted" in caplog.text


def test_the_flow_a_pause_job_is_changing_reads_in_progress_not_sending(logged_in, connection, flows):
    made = flows(3)
    job = start(logged_in, connection, "pause", [flow.id for flow in made])
    job.items.filter(flow_id=made[0].id).update(state=BulkItem.State.SENDING)
    text = visible_text(logged_in.get(f"/jobs/{job.pk}/").content)
    # A pause stops sending: the flow is being changed, nothing is being sent.
    assert "In progress" in text and "Sending" not in text


def test_a_failed_item_says_why_and_a_retry_sends_it_alone(
    logged_in, connection, flows, sandbox_key, answers, monkeypatch
):
    monkeypatch.setattr(bulk, "UNAVAILABLE_PAUSE", 0.2)
    made = flows(5)
    account = ApiAccount.objects.with_key(sandbox_key).get()
    # The server fails the first item's write three times: the job pauses and sends it again
    # twice, then counts it as failed and goes on with the others.
    Fault.objects.create(account=account, kind="status", status=503, methods="POST", remaining=bulk.ATTEMPTS)
    job = start(
        logged_in, connection, "set", [flow.id for flow in made], utm_campaign="winter", urgency="high"
    )
    work()
    failed = job.items.get(state=BulkItem.State.FAILED)
    assert failed.flow_id == made[0].id
    assert failed.attempts == bulk.ATTEMPTS
    page = logged_in.get(f"/jobs/{job.pk}/").content.decode()
    assert "had a problem (HTTP 503)" in page
    assert "Retry the failed flow" in page
    assert job.items.filter(state=BulkItem.State.DONE).count() == 4

    before = len(answers)
    assert logged_in.post(f"/jobs/{job.pk}/items/{failed.pk}/retry/").status_code == 302
    work()
    job.refresh_from_db()
    assert job.state == BulkJob.State.FINISHED
    assert set(job.items.values_list("state", flat=True)) == {BulkItem.State.DONE}
    assert [flow_id for method, flow_id, *_ in answers[before:] if method == "POST"] == [made[0].id]
    flow = SandboxFlow.objects.get(pk=made[0].id)
    assert (flow.utm_campaign, flow.urgency) == ("winter", "high")


def test_a_server_that_fails_once_costs_a_pause_not_a_failure(
    logged_in, connection, flows, sandbox_key, answers, monkeypatch
):
    monkeypatch.setattr(bulk, "UNAVAILABLE_PAUSE", 0.2)
    made = flows(3)
    Fault.objects.create(
        account=ApiAccount.objects.with_key(sandbox_key).get(),
        kind="status",
        status=502,
        methods="POST",
        remaining=1,
    )
    job = start(logged_in, connection, "enable", [flow.id for flow in made])
    work()
    assert set(job.items.values_list("state", flat=True)) == {BulkItem.State.DONE}
    assert writes_per_flow(answers) == {made[0].id: 2, made[1].id: 1, made[2].id: 1}


def test_delete_takes_an_already_deleted_flow_as_done(logged_in, connection, flows):
    made = flows(3)
    job = start(logged_in, connection, "delete", [flow.id for flow in made], confirmed="1")
    SandboxFlow.objects.filter(pk=made[1].id).delete()
    work()
    items = {item.flow_id: item for item in job.items.all()}
    assert {item.state for item in items.values()} == {BulkItem.State.DONE}
    assert items[made[1].id].message == "Already deleted."
    assert not SandboxFlow.objects.filter(pk__in=[flow.id for flow in made]).exists()


def test_a_refused_key_stops_the_job_instead_of_failing_every_flow(logged_in, connection, flows, sandbox_key):
    made = flows(10)
    job = start(logged_in, connection, "pause", [flow.id for flow in made])
    ApiAccount.objects.with_key(sandbox_key).update(api_enabled=False)
    work()
    job.refresh_from_db()
    assert job.state == BulkJob.State.STOPPED
    # Refused at the job's first request, its read of every flow: no flow was tried.
    states = collections.Counter(job.items.values_list("state", flat=True))
    assert states == {BulkItem.State.PENDING: 10}
    page = logged_in.get(f"/jobs/{job.pk}/").content.decode()
    assert "The server refused the connection's API key: You do not have access to the API." in visible_text(
        page
    )
    assert "Resume the job" in page

    ApiAccount.objects.with_key(sandbox_key).update(api_enabled=True)
    assert logged_in.post(f"/jobs/{job.pk}/retry/").status_code == 302
    work()
    job.refresh_from_db()
    assert job.state == BulkJob.State.FINISHED
    assert set(job.items.values_list("state", flat=True)) == {BulkItem.State.DONE}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "pause"}, "Select at least one flow."),
        ({"action": "explode", "ids": ["1"]}, "Select a valid choice."),
        ({"action": "pause", "ids": ["1", "x"]}, "“x” is not a flow id."),
        ({"action": "set", "ids": ["1"]}, "Fill in at least one field to set."),
        ({"action": "set", "ids": ["1"], "ttl": "5"}, "Select a valid choice."),
    ],
)
def test_a_bad_request_is_refused_with_a_clear_message(logged_in, connection, fields, message):
    response = logged_in.post(f"/connections/{connection.pk}/flows/bulk/", fields, follow=True)
    assert message in response.content.decode()
    assert not BulkJob.objects.exists()


def test_another_users_job_is_not_found(client, other_user, logged_in, connection, flows):
    made = flows(2)
    job = start(logged_in, connection, "pause", [flow.id for flow in made])
    client.force_login(other_user)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 404
    assert (
        client.post(
            f"/connections/{connection.pk}/flows/bulk/", {"action": "pause", "ids": ["1"]}
        ).status_code
        == 404
    )


def test_a_worker_killed_mid_job_is_taken_over_without_repeating_a_finished_item(
    logged_in, connection, flows, answers, worker_process, settings
):
    settings.SANDBOX_RATE_LIMIT = 0
    settings.SANDBOX_LATENCY_MS = 60
    made = flows(40)
    job = start(logged_in, connection, "pause", [flow.id for flow in made])
    first = worker_process(lease_seconds=5)
    try:
        wait_for(lambda: job.items.filter(state=BulkItem.State.DONE).count() >= 10, first, 60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    done_at_kill = set(job.items.filter(state=BulkItem.State.DONE).values_list("flow_id", flat=True))
    in_flight = set(job.items.filter(state=BulkItem.State.SENDING).values_list("flow_id", flat=True))
    assert 10 <= len(done_at_kill) < 40 and len(in_flight) <= 1

    second = worker_process(lease_seconds=5)
    wait_for(lambda: BulkJob.objects.get(pk=job.pk).state == BulkJob.State.FINISHED, second, 90)
    assert set(job.items.values_list("state", flat=True)) == {BulkItem.State.DONE}
    written = writes_per_flow(answers)
    assert set(written) == {flow.id for flow in made}
    # No finished item was sent again; only the one under way at the kill may have been.
    assert {flow_id for flow_id, count in written.items() if count > 1} <= in_flight
    assert all(written[flow_id] == 1 for flow_id in done_at_kill)


def test_two_workers_on_one_queue_never_send_the_same_item(
    logged_in, connection, flows, answers, worker_process, settings
):
    settings.SANDBOX_RATE_LIMIT = 0
    settings.SANDBOX_LATENCY_MS = 80
    made = flows(30)
    jobs = [
        start(logged_in, connection, "pause", [flow.id for flow in made[:15]]),
        start(logged_in, connection, "set", [flow.id for flow in made[15:]], utm_source="both"),
    ]
    workers = [worker_process(), worker_process()]
    for job in jobs:
        wait_for(
            lambda job=job: BulkJob.objects.get(pk=job.pk).state == BulkJob.State.FINISHED, workers[0], 60
        )
    assert writes_per_flow(answers) == {flow.id: 1 for flow in made}
    # Both workers took part (each slice is a task, claimed by one worker).
    assert len({worker for task in DBTaskResult.objects.all() for worker in task.worker_ids}) == 2


def test_delete_is_confirmed_first_on_a_page_naming_the_count_and_a_few_flows(logged_in, connection, flows):
    made = flows(8)
    url = f"/connections/{connection.pk}/flows/bulk/"
    page = logged_in.post(url, {"action": "delete", "ids": [flow.id for flow in made]})
    assert page.status_code == 200
    text = what_the_user_reads(page)
    assert "Delete 8 flows?" in text
    assert all(flow.name in text for flow in made[:5])
    assert "and 3 more" in text
    assert not BulkJob.objects.exists()
    job = start(logged_in, connection, "delete", [flow.id for flow in made], confirmed="1")
    assert job.items.count() == 8
    assert {item.name for item in job.items.all()} == {flow.name for flow in made}


def test_the_job_page_says_when_no_worker_is_running(logged_in, connection, flows):
    made = flows(2)
    job = start(logged_in, connection, "pause", [flow.id for flow in made])
    warning = "No background worker is running"
    assert warning in logged_in.get(f"/jobs/{job.pk}/").content.decode()
    now = timezone.now()
    WorkerBeat.objects.create(worker_id="w", hostname="h", pid=1, started_at=now, beat_at=now)
    assert warning not in logged_in.get(f"/jobs/{job.pk}/").content.decode()


def bulk_bar(page):
    """The list's bulk form as the browser would send it: the fields it holds (the list's query)."""
    forms = [form for form in all_forms(page.content.decode()) if form["action"].endswith("/flows/bulk/")]
    assert len(forms) == 1, "the list has one bulk bar"
    return forms[0]["fields"]


def test_every_match_of_a_filtered_list_is_confirmed_then_becomes_a_job_of_exactly_those_flows(
    logged_in, connection, flows
):
    made = flows(24)
    marked = made[3:16]
    for number, flow in enumerate(marked):
        SandboxFlow.objects.filter(pk=flow.id).update(name=f"Zanzibar offer {number}")
    SandboxFlow.objects.filter(pk__in=[flow.id for flow in made]).update(is_enabled=True)
    SandboxFlow.objects.filter(pk__in=[marked[0].id, marked[5].id]).update(is_enabled=False)
    matching = {flow.id for flow in marked} - {marked[0].id, marked[5].id}

    listed = logged_in.get(
        f"/connections/{connection.pk}/flows/", {"q": "zanzibar", "status": "enabled", "results_per_page": 10}
    )
    assert "Select all 11 matching flows, on every page" in what_the_user_reads(listed)
    fields = bulk_bar(listed)
    assert ("q", "zanzibar") in fields and ("status", "enabled") in fields
    # The user ticked the first page's boxes, then "all 11 matching", then Pause.
    ticked = [("ids", str(flow_id)) for flow_id in sorted(matching)[:10]]
    confirm = logged_in.post(
        f"/connections/{connection.pk}/flows/bulk/",
        dict_of_lists([*fields, *ticked, ("match", "1"), ("action", "pause")]),
    )
    assert confirm.status_code == 200
    text = what_the_user_reads(confirm)
    assert "Pause 11 flows?" in text and "and 6 more" in text
    # Cancel goes back to the list as it was.
    assert (
        f'href="/connections/{connection.pk}/flows/?q=zanzibar&amp;status=enabled"'
        in confirm.content.decode()
    )
    assert text.count("Zanzibar offer ") == 5
    assert not BulkJob.objects.exists()

    (confirmed,) = [
        form for form in all_forms(confirm.content.decode()) if ("confirmed", "1") in form["fields"]
    ]
    response = logged_in.post(confirmed["action"], dict_of_lists(confirmed["fields"]))
    assert response.status_code == 302
    job = BulkJob.objects.get()
    assert set(job.items.values_list("flow_id", flat=True)) == matching
    assert all(name.startswith("Zanzibar offer ") for name in job.items.values_list("name", flat=True))
    work()
    assert set(SandboxFlow.objects.filter(is_enabled=False).values_list("id", flat=True)) == matching | {
        marked[0].id,
        marked[5].id,
    }


def test_a_whole_page_of_1000_ticked_flows_goes_through_as_one_job(logged_in, connection, flows):
    made = flows(1003)
    listed = logged_in.get(f"/connections/{connection.pk}/flows/", {"results_per_page": 1000})
    # The page's tick box ticks every row's box, each a field of the bulk form (form="bulk-form").
    ticked = [
        ("ids", flow_id) for flow_id in re.findall(r'name="ids" value="(\d+)" form="bulk-form"', listed.text)
    ]
    assert len(ticked) == 1000
    response = logged_in.post(
        f"/connections/{connection.pk}/flows/bulk/",
        dict_of_lists([*bulk_bar(listed), *ticked, ("action", "pause")]),
    )
    assert response.status_code == 302, response.content[:300]
    job = BulkJob.objects.get()
    assert job.items.count() == 1000
    assert set(job.items.values_list("flow_id", flat=True)) <= {flow.id for flow in made}


def test_the_largest_job_goes_through_in_one_request_and_a_larger_selection_is_told_why(
    logged_in, connection, settings
):
    url = f"/connections/{connection.pk}/flows/bulk/"
    largest = settings.JOBS_MAX_ITEMS

    def post(count):
        ids = [str(number) for number in range(1, count + 1)]
        return logged_in.post(url, {"action": "pause", "ids": ids, "confirmed": "1"}, follow=True)

    assert post(largest).redirect_chain[-1][0] == f"/jobs/{BulkJob.objects.get().pk}/"
    assert BulkJob.objects.get().items.count() == largest
    assert f"A job can change at most {largest} flows" in what_the_user_reads(post(largest + 1))
    refused = post(largest + 200)
    assert refused.status_code == 400
    text = what_the_user_reads(refused)
    assert "more than Pushdeck takes in one request" in text and f"at most {largest} flows" in text
    assert BulkJob.objects.count() == 1


def test_every_match_of_a_query_nothing_matches_changes_nothing_and_says_so(logged_in, connection, flows):
    made = flows(5)
    response = logged_in.post(
        f"/connections/{connection.pk}/flows/bulk/",
        {"action": "delete", "match": "1", "q": "no flow is called this", "ids": [made[0].id]},
        follow=True,
    )
    assert "No flow matches the search and filters: nothing was changed." in what_the_user_reads(response)
    assert response.redirect_chain == [(f"/connections/{connection.pk}/flows/?q=no+flow+is+called+this", 302)]
    assert not BulkJob.objects.exists()
    assert SandboxFlow.objects.filter(pk__in=[flow.id for flow in made]).count() == 5


def test_a_job_sends_one_request_per_flow_though_the_server_answers_a_write_with_the_id_alone(
    logged_in, connection, flows, answers
):
    made = flows(6)
    job = start(logged_in, connection, "set", [flow.id for flow in made], utm_campaign="winter")
    work()
    job.refresh_from_db()
    assert set(job.items.values_list("state", flat=True)) == {BulkItem.State.DONE}
    # One write per flow and no read back after it (the sandbox answers {"data": {"id": ...}} to a
    # write); the history's "before" of each field comes from one read of every flow at the start
    # (a page of 1000), not from a read of each flow.
    sent = [(method, flow_id) for method, flow_id, *_ in answers]
    assert sent == [("GET", None)] + [("POST", flow.id) for flow in made]
    assert job.requests == 7
    assert set(
        SandboxFlow.objects.filter(pk__in=[flow.id for flow in made]).values_list("utm_campaign", flat=True)
    ) == {"winter"}


def test_a_job_started_from_a_list_just_read_spends_only_its_writes(logged_in, connection, flows, answers):
    made = flows(8)
    # The search over every flow, moments before: the whole set is in the cache.
    assert logged_in.get(f"/connections/{connection.pk}/flows/", {"q": made[0].name[:4]}).status_code == 200
    before = len(answers)
    job = start(logged_in, connection, "delete", [flow.id for flow in made], confirmed="1")
    work()
    job.refresh_from_db()
    assert job.state == BulkJob.State.FINISHED
    assert [(method, flow_id) for method, flow_id, *_ in answers[before:]] == [
        ("DELETE", flow.id) for flow in made
    ]
    assert job.requests == 8


def dict_of_lists(fields):
    values = collections.defaultdict(list)
    for name, value in fields:
        values[name].append(value)
    return dict(values)


def test_the_jobs_read_of_every_flow_waits_for_the_budget_of_all_its_pages(
    short_window, logged_in, connection, flows, answers, settings, people_spend
):
    # short_window first: the connection's first calls already count in windows of 4 s.
    settings.FLOWS_CACHE_SECONDS = 1
    made = flows(1500)
    # A search reads the whole set: its count (1500 flows, two pages of 1000) is kept for a day,
    # the set itself only a second here.
    assert logged_in.get(f"/connections/{connection.pk}/flows/", {"q": made[0].name[:4]}).status_code == 200
    job = start(logged_in, connection, "set", [made[0].id], utm_campaign="winter")
    time.sleep(1.1)
    # People spend the window down to one request above the reserve (5). The worker's reads of
    # every flow (the job's, and the first snapshot's) need two each, so they wait for the next
    # window rather than take one of the reserve.
    people_spend(connection, 24, limit=30)
    before = len(answers)
    work()
    job.refresh_from_db()
    assert job.state == BulkJob.State.FINISHED
    assert job.requests == 3  # two pages of 1000, then the write
    assert min(remaining for *_, remaining in answers[before:]) >= 5
