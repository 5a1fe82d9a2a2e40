"""History made by real snapshots of the sandbox taken at past moments, for the trends tests."""

import datetime as dt

import pytest
from django.utils import timezone

from trends.snapshots import take_snapshot


def grow(flow, sent, displayed, clicked, closed=0):
    flow.total_sent_push_notifications += sent
    flow.total_displayed_push_notifications += displayed
    flow.total_clicked_push_notifications += clicked
    flow.total_closed_push_notifications += closed
    flow.save()


@pytest.fixture(name="history")
def history_fixture(connection, demo_flows):
    """Three days of one flow's history: 100/80/8 two days ago, 50/40/2 yesterday, 10/10/1 now."""
    now = timezone.now()
    flow, other = demo_flows[0], demo_flows[1]
    # The demo spreads consecutive flows over its websites: these two are on different ones.
    assert flow.website_id != other.website_id
    take_snapshot(connection, now - dt.timedelta(days=3))
    grow(flow, 100, 80, 8, 5)
    grow(other, 1000, 900, 90)
    take_snapshot(connection, now - dt.timedelta(days=2))
    grow(flow, 50, 40, 2, 1)
    take_snapshot(connection, now - dt.timedelta(days=1))
    grow(flow, 10, 10, 1)
    take_snapshot(connection, now)
    return flow, other, now
