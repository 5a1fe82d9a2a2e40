"""The key's budget (issue 22, item 3): one policy for everyone who spends a key's minute, people
and background work, counted exactly across processes (flows_app/api/budget.py, docs/BUDGET.md)."""

import os
import subprocess
import sys
import time

import pytest
from django import db
from django.conf import settings
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from flows_app import crypto
from flows_app.api import connect
from flows_app.api.budget import BACKGROUND, KEY, KeyBudget, MustWait, Policy, person
from flows_app.models import Membership, RateWindow, Role
from jobs import bulk
from jobs.models import WorkerBeat
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import what_the_user_reads


@pytest.fixture
def team(connection, django_user_model):
    """A viewer and an editor of the connection, each signed in on a browser of their own."""
    members = {}
    for role in (Role.VIEWER, Role.EDITOR):
        user = django_user_model.objects.create_user(role.value, password="correct horse battery")
        Membership.objects.create(connection=connection, user=user, role=role)
        browser = Client()
        browser.force_login(user)
        members[role.value] = (user, browser)
    return members


def flows_url(connection, *parts):
    return "/".join([f"/connections/{connection.pk}/flows", *map(str, parts), ""])


def test_a_viewer_refreshing_61_times_in_3_seconds_leaves_the_editors_their_toggles_and_searches(
    connection, demo_flows, team, clock, upstream
):
    _, viewer = team["viewer"]
    _, editor = team["editor"]
    for _ in range(61):
        assert viewer.get(flows_url(connection), {"fresh": "1"}).status_code in (200, 429)
        clock[0] += 0.05
    assert len(upstream) <= Policy(60).per_person, "one person spent more than their share"
    flow = demo_flows.first()
    for enabled in ("0", "1", "0"):
        toggled = editor.post(
            flows_url(connection, flow.id, "toggle"), {"is_enabled": enabled}, HTTP_HX_REQUEST="true"
        )
        assert toggled.status_code == 200
    searched = editor.get(flows_url(connection), {"q": flow.name[:5], "fresh": "1"})
    assert searched.status_code == 200


def test_a_refresh_within_ten_seconds_is_served_from_the_last_read(
    logged_in, connection, demo_flows, clock, upstream
):
    assert logged_in.get(flows_url(connection), {"fresh": "1"}).status_code == 200
    read = len(upstream)
    assert read >= 1
    clock[0] += 5
    assert logged_in.get(flows_url(connection), {"fresh": "1"}).status_code == 200
    assert len(upstream) == read, "a Refresh 5 s after the last read asked the server again"
    clock[0] += settings.BUDGET_REFRESH_SECONDS
    assert logged_in.get(flows_url(connection), {"fresh": "1"}).status_code == 200
    assert len(upstream) > read, "a Refresh past the refresh time reads again"


def test_a_member_who_used_their_share_is_told_so_and_when_it_comes_back_while_the_others_go_on(
    connection, demo_flows, team, clock
):
    viewer_user, viewer = team["viewer"]
    _, editor = team["editor"]
    flow = demo_flows.first()
    assert viewer.get(flows_url(connection, flow.id)).status_code == 200
    # The rest of the viewer's 30 of this minute, spent on other pages.
    KeyBudget(connection.budget_key).take(person(viewer_user.pk), 29)
    # Another flow: the first one's page is in the cache, which costs nothing.
    refused = viewer.get(flows_url(connection, demo_flows[1].id))
    assert refused.status_code == 429
    told = what_the_user_reads(refused)
    assert "You have used your share of this API key's requests for this minute." in told
    assert "Each person may use 30 of the key's 60 requests a minute" in told
    assert "Ready again in 59 seconds." in told
    assert refused["Retry-After"] == "59"
    assert editor.get(flows_url(connection, flow.id), {"fresh": "1"}).status_code == 200
    clock[0] += 59
    assert viewer.get(flows_url(connection, demo_flows[1].id)).status_code == 200


def test_reads_stop_short_of_the_part_kept_for_changes_which_a_toggle_still_uses(
    connection, demo_flows, team, clock, people_spend
):
    _, editor = team["editor"]
    flow = demo_flows.first()
    # Teammates' reads took the key's 48 of 60 that reads may take.
    people_spend(connection, 48)
    refused = editor.get(flows_url(connection, flow.id))
    assert refused.status_code == 429
    told = what_the_user_reads(refused)
    assert "This API key's requests for reading are used up for this minute." in told
    assert "The last 12 of its 60 requests a minute are kept for changes" in told
    toggled = editor.post(
        flows_url(connection, flow.id, "toggle"), {"is_enabled": "0"}, HTTP_HX_REQUEST="true"
    )
    assert toggled.status_code == 200
    flow.refresh_from_db()
    assert not flow.is_enabled


def test_background_work_takes_only_what_people_leave_and_waits_for_the_next_window(
    connection, clock, people_spend
):
    people_spend(connection, 29)
    api = connect(connection, background=True)
    key_budget = api.client.key_budget
    assert key_budget.wait_for(BACKGROUND) == 0
    key_budget.take(BACKGROUND)
    # Everyone's count is at half the limit: background work waits for the window's end.
    assert key_budget.wait_for(BACKGROUND) == 59
    with pytest.raises(MustWait) as waited:
        api.pacer.call(lambda: pytest.fail("sent beyond the background's part"), max_wait=2)
    assert waited.value.seconds == 59
    # People still have theirs.
    key_budget.take(person("someone"), 10)
    # 45 more take this window's end, then a window of 30 and the next's first 15.
    assert key_budget.seconds_for(45) == 59 + 60


def test_without_an_announced_limit_there_is_no_ceiling(connection, clock):
    caches["rate-budget"].clear()
    key_budget = KeyBudget(connection.budget_key)
    key_budget.take(person("someone"), 59)
    key_budget.take(person("someone"), 2)
    assert key_budget.left(person("someone")).requests is None


def test_several_processes_taking_at_once_count_exactly(transactional_db, connection):
    """Four processes, as the web server and workers are, each a person trying to take 30
    requests one at a time: together they get exactly the 48 that reads may take of 60."""
    script = (
        "import sys, time\n"
        "import django\n"
        "django.setup()\n"
        "from flows_app.api import budget\n"
        # One window for the whole run: the test must not straddle two.
        "budget.WINDOW = 10**9\n"
        "key_budget = budget.KeyBudget(sys.argv[1])\n"
        "key_budget.record(60, 60)\n"
        "time.sleep(max(0, float(sys.argv[3]) - time.time()))\n"
        "taken = 0\n"
        "for _ in range(30):\n"
        "    try:\n"
        "        key_budget.take(budget.person(sys.argv[2]))\n"
        "        taken += 1\n"
        "    except budget.RateLimited:\n"
        "        pass\n"
        "print(taken)\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{db.connection.settings_dict['NAME']}",
    }
    start = str(time.time() + 6)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, connection.budget_key, str(number), start],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for number in range(4)
    ]
    taken = [int(process.communicate(timeout=120)[0].split()[-1]) for process in processes]
    assert sum(taken) == 48, taken
    assert all(count <= 30 for count in taken)
    counted = RateWindow.objects.get(key=connection.budget_key, spender=KEY, window=int(time.time()) // 10**9)
    assert counted.used == 48


def test_the_job_page_estimates_from_the_budget_without_opening_the_key(
    logged_in, connection, demo_flows, user, clock, people_spend, monkeypatch
):
    job, _ = bulk.start(connection, user, "pause", [flow.id for flow in demo_flows[:3]])
    assert job.running
    now = timezone.now()
    WorkerBeat.objects.create(worker_id="w", hostname="h", pid=1, started_at=now, beat_at=now)
    people_spend(connection, 30)
    # The page polls every 2 s: opening the key (and building a session) each time is not needed.
    monkeypatch.setattr(crypto, "decrypt", lambda token: pytest.fail("the job page opened the API key"))
    page = logged_in.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    told = what_the_user_reads(page)
    assert "leaving 30 of each minute to people using the dashboard" in told
    assert "Less than a minute left." in told
