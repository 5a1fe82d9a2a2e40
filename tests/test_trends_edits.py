"""The flow's chart marks the changes made through Pushdeck on its time axis: each a focusable
mark whose title says who changed what, and the same in the table behind the chart."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from activity.history import record
from activity.models import Activity, Kind
from tests.bulk import start, work
from tests.helpers import HTMX, url
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import visible_text
from tests.trends_history import history_fixture  # noqa: F401 -- the history fixture
from trends import chart


def edit_marks(html):
    return re.findall(
        r'<g class="edit-mark" tabindex="0" role="img" aria-label="([^"]*)"><title>([^<]*)</title>', html
    )


@pytest.mark.live
def test_a_switch_and_a_bulk_edit_are_marked_on_the_flows_chart_and_in_its_table(
    logged_in, connection, history, user
):
    flow = history[0]
    assert logged_in.post(url("toggle", connection, flow.id), {"is_enabled": "0"}, **HTMX).status_code == 200
    start(logged_in, connection, "set", [flow.id], utm_campaign="spring")
    work()
    # Older than the window: not drawn.
    old = record(
        user, connection, Kind.FLOW_EDIT, flow_id=flow.id, before={"title": "a"}, after={"title": "b"}
    )
    Activity.objects.filter(pk=old.pk).update(created=timezone.now() - dt.timedelta(days=40))

    html = logged_in.get(url("detail", connection, flow.id)).content.decode()
    marks = edit_marks(html)
    assert [label for label, _ in marks] == [title for _, title in marks]
    assert len(marks) == 2, marks
    assert marks[0][0].endswith(f"UTC: {user.username} paused the flow")
    assert marks[1][0].endswith(f"UTC: {user.username} edited UTM campaign")
    # The mark of today stands in today's column, at the right end of the time axis (the 30 days'
    # last thirtieth of the plot: an edit just after midnight stands at that column's left edge).
    x = float(re.search(r'<g class="edit-mark".*?<line x1="([\d.]+)"', html, re.S)[1])
    end = chart.LEFT + chart.PLOT_W
    assert end - chart.PLOT_W / 30 <= x <= end
    table = visible_text(html.split('class="trend-table"')[1])
    assert "Changes through Pushdeck" in table
    assert f"{user.username} paused the flow" in table and f"{user.username} edited UTM campaign" in table

    hourly = logged_in.get(url("detail", connection, flow.id), {"range": "48h"}).content.decode()
    assert len(edit_marks(hourly)) == 2


def test_a_flow_never_changed_through_pushdeck_has_no_marks(logged_in, connection, history):
    html = logged_in.get(url("detail", connection, history[0].id)).content.decode()
    assert 'class="mark" tabindex=' in html
    assert not edit_marks(html)
    assert "Changes through Pushdeck" not in html
