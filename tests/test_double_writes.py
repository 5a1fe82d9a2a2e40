"""No double writes: a create is never retried automatically, and a create form sent twice (a
double click, a resubmit, two tabs at once) makes one flow, thanks to its one-time token."""

import re
import threading
import time

import pytest
import requests
from django.urls import reverse

from sandbox.models import ApiAccount, Fault
from sandbox.models import Flow as SandboxFlow
from tests.faults import hang_seconds, inject
from tests.helpers import make_flows
from tests.pages import form_with, what_the_user_reads


@pytest.fixture
def account(connection, sandbox_key, sandbox_media):
    return ApiAccount.objects.with_key(sandbox_key).get()


def create_form(client, connection, account, name):
    fields = form_with(client.get(reverse("flows:new", args=[connection.pk])).content, "form_token")
    website = account.websites.order_by("id").first()
    return {**fields, "website_id": str(website.id), "name": name, "title": "Hello", "description": "Hi"}


def requests_seen(fault):
    """How many requests met the fault: each takes one of its uses."""
    start = fault.remaining
    fault.refresh_from_db()
    return start - fault.remaining


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "status", "status": 502},
        {"kind": "status", "status": 503},
        {"kind": "status", "status": 504},
        {"kind": "status", "status": 429},
        {"kind": "drop"},
        {"kind": "hang", "seconds": 0.6},
    ],
    ids=["502", "503", "504", "429", "drop", "hang"],
)
def test_a_create_is_sent_once_whatever_the_failure(logged_in, connection, account, settings, fields):
    settings.FLOWS_API_TIMEOUT = 0.3
    data = create_form(logged_in, connection, account, "Once")
    fault = Fault.objects.create(account=account, methods="POST", remaining=10, **fields)
    response = logged_in.post(reverse("flows:new", args=[connection.pk]), data)
    time.sleep(fields.get("seconds", 0))
    assert response.status_code >= 400
    assert requests_seen(fault) == 1


def test_a_read_is_retried_so_the_count_above_can_tell(logged_in, connection, account):
    make_flows(connection.api_key, 1)
    fault = Fault.objects.create(account=account, kind="status", status=503, methods="GET", remaining=10)
    logged_in.get(reverse("flows:list", args=[connection.pk]))
    assert requests_seen(fault) > 1


@pytest.mark.parametrize(
    ("fault", "maybe"),
    [
        *[(fault, True) for fault in ("hang", "drop", "not-json", "502", "500")],
        *[(fault, False) for fault in ("401", "429", "200-status-error")],
    ],
)
def test_a_create_without_a_clear_answer_says_the_flow_may_exist_before_the_user_saves_again(
    logged_in, connection, account, settings, fault, maybe
):
    """The server may have made the flow before the answer was lost: the user is told to look
    before saving again. A clear refusal says nothing of the kind."""
    data = create_form(logged_in, connection, account, "Maybe made")
    inject(connection.api_key, fault, settings, methods="POST", remaining=1)
    response = logged_in.post(reverse("flows:new", args=[connection.pk]), data)
    time.sleep(hang_seconds(fault))
    assert bool(re.search(r"may have been made anyway|probably made", what_the_user_reads(response))) is maybe
    # The sandbox's hang answers normally once the dashboard gave up: the flow exists after all.
    made = SandboxFlow.objects.filter(account=account, name="Maybe made").count()
    assert made == (1 if fault == "hang" else 0)


def test_the_same_form_sent_twice_makes_one_flow_and_both_land_on_it(logged_in, connection, account):
    data = create_form(logged_in, connection, account, "Double click")
    first = logged_in.post(reverse("flows:new", args=[connection.pk]), data)
    second = logged_in.post(reverse("flows:new", args=[connection.pk]), data)
    made = SandboxFlow.objects.filter(account=account, name="Double click")
    assert made.count() == 1
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("flows:detail", args=[connection.pk, made.get().id])


def test_two_forms_are_two_flows(logged_in, connection, account):
    for _ in range(2):
        logged_in.post(
            reverse("flows:new", args=[connection.pk]), create_form(logged_in, connection, account, "Two")
        )
    assert SandboxFlow.objects.filter(account=account, name="Two").count() == 2


def test_a_form_sent_again_while_the_first_is_still_creating_makes_one_flow(
    logged_in, connection, account, live_server
):
    """Two submits at the same moment, over real HTTP: the second must not create while the first
    is waiting on a slow server."""
    data = create_form(logged_in, connection, account, "Concurrent")
    Fault.objects.create(account=account, kind="hang", seconds=0.8, methods="POST", remaining=1)
    # The browser's cookies: the session, and the CSRF cookie the form's token goes with.
    cookies = {name: morsel.value for name, morsel in logged_in.cookies.items()}
    url = live_server.url + reverse("flows:new", args=[connection.pk])
    answers = []

    def submit():
        with requests.Session() as session:
            session.cookies.update(cookies)
            answers.append(session.post(url, data=data, allow_redirects=False, timeout=10))

    first = threading.Thread(target=submit)
    first.start()
    time.sleep(0.2)
    submit()
    first.join()
    assert sorted(answer.status_code for answer in answers) == [302, 302]
    assert SandboxFlow.objects.filter(account=account, name="Concurrent").count() == 1


def test_a_failed_create_can_be_sent_again_with_the_same_form(logged_in, connection, account):
    data = create_form(logged_in, connection, account, "Second try")
    Fault.objects.create(account=account, kind="status", status=500, methods="POST", remaining=1)
    failed = logged_in.post(reverse("flows:new", args=[connection.pk]), data)
    assert failed.status_code >= 400
    again = logged_in.post(reverse("flows:new", args=[connection.pk]), form_with(failed.content, "title"))
    assert again.status_code == 302
    assert SandboxFlow.objects.filter(account=account, name="Second try").count() == 1
