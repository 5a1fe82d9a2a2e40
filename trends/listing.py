"""What the flows list shows of each flow's trend: a 14-day sparkline and its last 7 days (sent,
clicked, click rate), as table cells built like the list's rows (flows_app/rows.py): f-strings of
numbers and escaped text, one query for the whole page."""

from html import escape

from django.utils.translation import gettext_lazy

from flows_app.templatetags.pushdeck import DASH, percent
from trends.chart import sparkline
from trends.series import recent

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


def weeks_of(connection, flows):
    """{flow id: Recent} of a page of flows, in one query."""
    return recent(connection, [flow.id for flow in flows])
