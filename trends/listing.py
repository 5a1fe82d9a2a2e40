"""What the flows list shows of each flow's trend: a 14-day sparkline and its last 7 days (sent,
clicked, click rate), as table cells built like the list's rows (flows_app/rows.py): f-strings of
numbers and escaped text, one query for the whole page."""

import hashlib
from html import escape

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy

from flows_app.after_response import after_response
from flows_app.templatetags.pushdeck import DASH, percent
from trends.chart import sparkline
from trends.models import Snapshot
from trends.series import recent

# A page's figures stay in the cache this long at most (they change with a snapshot, a day).
WEEKS_SECONDS = 3600

# The list's columns, in order: (name, short header, the label of the value on a phone's card).
COLUMNS = (
    ("trend", gettext_lazy("14 days"), gettext_lazy("Last 14 days")),
    ("sent_7d", gettext_lazy("Sent 7d"), gettext_lazy("Sent, last 7 days")),
    ("clicked_7d", gettext_lazy("Clicked 7d"), gettext_lazy("Clicked, last 7 days")),
    ("click_rate_7d", gettext_lazy("Rate 7d"), gettext_lazy("Click rate, last 7 days")),
)


def week_cells(weeks):
    """A function drawing one flow's four cells from ``weeks`` ({flow id: Recent})."""
    trend, sent, clicked, rate = (escape(str(label)) for _name, _header, label in COLUMNS)
    empty = f'<td class="num muted" data-label="{{}}">{DASH}</td>'

    def cells(flow_id):
        figures = weeks.get(flow_id)
        if figures is None:
            # No history yet (a flow made since the last snapshot).
            return f'<td class="spark-cell" data-label="{trend}"></td>' + "".join(
                empty.format(label) for label in (sent, clicked, rate)
            )
        return (
            f'<td class="spark-cell" data-label="{trend}">{sparkline(figures.days)}</td>'
            f'<td class="num" data-label="{sent}">{figures.sent:,}</td>'
            f'<td class="num" data-label="{clicked}">{figures.clicked:,}</td>'
            f'<td class="num strong" data-label="{rate}">{percent(figures.click_rate)}</td>'
        )

    return cells


def history_mark(connection):
    """The connection's last snapshot taken (its id), None before the first: the figures of the
    list change only when one is taken. One small query, which the list makes while the API answers."""
    taken = Snapshot.objects.filter(connection=connection, taken_at__isnull=False)
    return taken.order_by("-taken_at").values_list("pk", flat=True).first()


def weeks_of(connection, flows, mark):
    """{flow id: Recent} of a page of flows (``mark``: history_mark, read before).

    From the cache while the connection's history is as it was when the same page was last drawn
    (a Refresh, a page seen again once its flows' cache ran out): the two queries otherwise cost
    about 4 ms of the page's answer, after the flows arrive. No history yet: nothing to read."""
    if mark is None:
        return {}
    ids = [flow.id for flow in flows]
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()
    # Whole days before today: the figures move on at midnight too.
    key = f"trends:weeks:{connection.pk}:{mark}:{timezone.now().date()}:{digest}"
    weeks = cache.get(key)
    if weeks is None:
        weeks = recent(connection, ids)
        after_response(cache.set, key, weeks, WEEKS_SECONDS)
    return weeks
