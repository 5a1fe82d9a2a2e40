"""The pacing of background work: it spends only what the window has left above the people's
reserve, waits for the window's reset, and waits out a 429 instead of failing."""

import pytest

from flows_app.api.client import RateBudgetStore
from flows_app.api.errors import RateLimited
from flows_app.api.records import RateBudget
from jobs.pacing import MustWait, Pacer


class Client:
    """What Pacer needs of a FlowsClient: its budget store."""

    def __init__(self):
        self.budget_store = RateBudgetStore("pacing-test")


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr("flows_app.api.client.time.time", lambda: now[0])
    monkeypatch.setattr("jobs.pacing.time.time", lambda: now[0])
    monkeypatch.setattr("jobs.pacing.time.sleep", sleep)
    return now, slept


def test_background_work_stops_at_the_reserve_until_the_window_resets(clock):
    now, _ = clock
    client = Client()
    pacer = Pacer(client, reserve=10)
    assert pacer.wait_time() == 0  # nothing known yet: the first answer will tell
    client.budget_store.record(RateBudget(60, 59))
    now[0] += 20
    client.budget_store.record(RateBudget(60, 11))
    assert pacer.wait_time() == 0
    client.budget_store.record(RateBudget(60, 10))
    # The window opened with the first answer seen in it, 20 s ago: 40 s are left of it.
    assert pacer.wait_time() == pytest.approx(40)


def test_a_reserve_as_large_as_the_limit_still_lets_one_request_a_window_through(clock):
    client = Client()
    client.budget_store.record(RateBudget(5, 5))
    assert Pacer(client, reserve=10).wait_time() == 0
    client.budget_store.record(RateBudget(5, 4))
    assert Pacer(client, reserve=10).wait_time() > 0


def test_the_estimate_counts_whole_windows_at_the_backgrounds_share(clock):
    now, _ = clock
    client = Client()
    pacer = Pacer(client, reserve=10)
    client.budget_store.record(RateBudget(60, 30))
    now[0] += 15
    # 20 requests now (30 left, 10 kept), then 50 a window: 120 more need 3 windows after this one.
    assert pacer.seconds_for(20) == 0
    assert pacer.seconds_for(140) == pytest.approx(45 + 2 * 60)


def test_a_429_is_waited_out_and_the_call_sent_again(clock):
    _, slept = clock
    client = Client()
    answers = [RateLimited("You reached the limit", retry_after=7), "flow"]

    def call():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            client.budget_store.record(RateBudget(60, 0), reset=7)
            raise answer
        return answer

    pacer = Pacer(client, reserve=10)
    assert pacer.call(call) == "flow"
    assert pacer.rate_limited == 1
    assert sum(slept) == pytest.approx(7)


def test_with_max_wait_a_long_wait_is_handed_back_instead_of_slept(clock):
    client = Client()
    client.budget_store.record(RateBudget(60, 10))
    with pytest.raises(MustWait) as waited:
        Pacer(client, reserve=10).call(lambda: pytest.fail("sent over the reserve"), max_wait=2)
    assert waited.value.seconds == pytest.approx(60)
