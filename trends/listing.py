"""What the flows list shows of each flow's trend: a 14-day sparkline and its last 7 days (sent,
clicked, click rate), as table cells built like the list's rows (flows_app/rows.py): f-strings,
every value a number or escaped, one query for the whole page."""

from django.utils.translation import gettext_lazy

from flows_app.templatetags.pushdeck import DASH, percent
from trends.chart import sparkline
from trends.series import recent

# The list's columns of the last 7 days: (find's sort key, header). Sorting by them is find's.
COLUMNS = (
    ("sent_7d", gettext_lazy("Sent, 7 days")),
    ("clicked_7d", gettext_lazy("Clicked, 7 days")),
    ("click_rate_7d", gettext_lazy("Click rate, 7 days")),
)


def week_cells(figures):
    """The sparkline cell and the three "last 7 days" cells of one flow (None: no history yet)."""
    if figures is None:
        return f'<td class="spark-cell"></td><td class="num muted">{DASH}</td><td class="num muted">{DASH}</td><td class="num muted">{DASH}</td>'
    return (
        f'<td class="spark-cell">{sparkline(figures.days)}</td>'
        f'<td class="num">{figures.sent:,}</td><td class="num">{figures.clicked:,}</td>'
        f'<td class="num strong">{percent(figures.click_rate)}</td>'
    )


def weeks_of(connection, flows):
    """{flow id: Recent} for a page of flows, in one query."""
    return recent(connection, [flow.id for flow in flows])
