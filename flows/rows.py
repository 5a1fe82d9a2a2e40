"""The flows table, in one place: its columns, headers, rows, trend cells, totals and the htmx
contract between them, rendered in Python (the list page's hot path).

Through the template engine the same rows cost six times as much (measured 2026-12-07 with 100
and 1000 sandbox flows, each with its trend): one `{% partialdef row %}` drew 100 rows in 50 ms
against 8 ms here, and the whole 100-row list took 64 ms against 22 ms (1000 rows: 455 ms against
88 ms, the list 643 ms against 115 ms). templates/flows/list.html places the table's parts; the
toggle answers with a single switch cell from here too. A row carries only what differs from row
to row: the switch submits the page's #toggle-form (its CSRF token) and its answer replaces its
own cell (the body's hx-target), the delete link names the row and the flow for the page's one
dialog (app.js), and the selection box belongs to the page's bulk bar
(templates/flows/bulk_bar.html).

Which columns show is the viewer's choice (Preferences.hidden_columns, the list's Columns menu):
the name, the switch and the actions always do.
"""

from html import escape
from typing import NamedTuple

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from deliveries.gathering import failures_rose, midnight
from deliveries.listing import gathered_of
from flows_app import find
from flows_app.formatting import DASH, grouped_numbers, icon, list_query, percent
from trends.chart import sparkline
from trends.listing import weeks_of
from trends.series import recent


class Column(NamedTuple):
    name: str  # its sort (flows_app/find.py SORT_KEYS) and its name in Preferences.hidden_columns
    # Its header, and the value's name above it on a phone's card.
    header: Promise
    # Its name in the Columns menu.
    label: Promise
    # How its values are ordered, for the phone's sort menu (ORDERS); None: it does not sort.
    order: str | None = "number"
    head_class: str = "num"
    optional: bool = True
    hint: Promise | None = None


# The flow's own column: always shown, first after the selection box.
NAME = Column("name", _("Flow"), _("Flow"), order="text", head_class="", optional=False)
# Every column between the flow's name and its actions, in order.
COLUMNS = (
    Column("website", _("Website"), _("Website"), order="text", head_class=""),
    Column("wait", _("Wait"), _("Wait"), order="duration", head_class=""),
    Column("enabled", _("Enabled"), _("Enabled"), order=None, head_class="", optional=False),
    Column("sent", _("Sent"), _("Sent")),
    Column("displayed", _("Displayed"), _("Displayed")),
    Column("clicked", _("Clicked"), _("Clicked")),
    Column("closed", _("Closed"), _("Closed")),
    Column("click_rate", _("Click rate"), _("Click rate"), hint=_("Clicked ÷ displayed")),
    Column(
        "trend", _("14 days"), _("Last 14 days"), order=None, head_class="spark-cell", hint=_("Last 14 days")
    ),
    Column("sent_7d", _("Sent 7d"), _("Sent, last 7 days"), hint=_("Sent, last 7 days")),
    Column("clicked_7d", _("Clicked 7d"), _("Clicked, last 7 days"), hint=_("Clicked, last 7 days")),
    Column("click_rate_7d", _("Rate 7d"), _("Click rate, last 7 days"), hint=_("Click rate, last 7 days")),
    Column("last_sent", _("Last sent"), _("Last sent"), order="date", head_class=""),
    Column(
        "failed_share",
        _("Failed"),
        _("Failed share"),
        hint=_("Failed ÷ attempts over the logs' window, as the worker last gathered them"),
    ),
)
OPTIONAL = frozenset(column.name for column in COLUMNS if column.optional)
# A sort's two directions in the words of the phone's sort menu, the first being the one a
# header's first click gives (Query.sorted_by): names from A, the others from the largest.
ORDERS = {
    "text": (pgettext_lazy("sort order", "A to Z"), pgettext_lazy("sort order", "Z to A")),
    "number": (pgettext_lazy("sort order", "highest first"), pgettext_lazy("sort order", "lowest first")),
    "duration": (pgettext_lazy("sort order", "longest first"), pgettext_lazy("sort order", "shortest first")),
    "date": (pgettext_lazy("sort order", "newest first"), pgettext_lazy("sort order", "oldest first")),
}

# Each value's name, shown above it when the table becomes cards on phones (app.css), and the
# words of the cells themselves.
LABELS = {
    "on": _("Enabled"),
    "off": _("Paused"),
    "never": _("Never"),
    "switch_on": _("Enabled: click to pause"),
    "switch_off": _("Paused: click to enable"),
    "edit": _("Edit"),
    "duplicate": _("Duplicate"),
    "delete": _("Delete"),
    # A row's "last sent" moment, without the year: the month's short name (MONTHS), the day and
    # the time (HH:MM), in the order and words of each language.
    "moment": pgettext_lazy("last sent in the flows list", "{month} {day}, {time}"),
} | {column.name: column.header for column in COLUMNS}
# Written out: makemessages finds only literal texts.
MONTHS = (
    pgettext_lazy("abbreviated month", "Jan"),
    pgettext_lazy("abbreviated month", "Feb"),
    pgettext_lazy("abbreviated month", "Mar"),
    pgettext_lazy("abbreviated month", "Apr"),
    pgettext_lazy("abbreviated month", "May"),
    pgettext_lazy("abbreviated month", "Jun"),
    pgettext_lazy("abbreviated month", "Jul"),
    pgettext_lazy("abbreviated month", "Aug"),
    pgettext_lazy("abbreviated month", "Sep"),
    pgettext_lazy("abbreviated month", "Oct"),
    pgettext_lazy("abbreviated month", "Nov"),
    pgettext_lazy("abbreviated month", "Dec"),
)


class ListFigures(NamedTuple):
    """A flow's figures from Pushdeck's own records, for the list's sorts and filter by them
    (flows_app/find.py's ``weeks``): its last 7 days (trends) and its gathered deliveries."""

    recent: object
    gathered: object
    failures_rose: bool

    @property
    def sent(self):
        return None if self.recent is None else self.recent.sent

    @property
    def clicked(self):
        return None if self.recent is None else self.recent.clicked

    @property
    def click_rate(self):
        return None if self.recent is None else self.recent.click_rate

    @property
    def failed_share(self):
        return None if self.gathered is None else self.gathered.failed_share


def list_figures(connection, flow_ids=None, websites=None, now=None):
    """{flow id: ListFigures} of every flow with history or gathered deliveries (of these flows,
    of some websites): two queries, no upstream call."""
    weeks = recent(connection, flow_ids, websites, now)
    gathered = gathered_of(connection, flow_ids, websites)
    today = midnight(now or timezone.now())
    figures = {}
    for flow_id in weeks.keys() | gathered.keys():
        week, row = weeks.get(flow_id), gathered.get(flow_id)
        # The attempts of each week: the history's 14 days, the earlier 7 first.
        rose = week is not None and failures_rose(row, sum(week.days[:7]), sum(week.days[7:]), today)
        figures[flow_id] = ListFigures(week, row, rose)
    return figures


def shown_columns(preferences, query):
    """The columns the viewer shows, in the table's order, and the one the list is sorted by
    (a shared link's, the phone's sort menu): an order is read in its values."""
    hidden = _hidden(preferences) - {query.sort.removeprefix("-")}
    return tuple(column for column in COLUMNS if column.name not in hidden)


def column_choices(preferences):
    """The Columns menu: each optional column, and whether the viewer chose it."""
    hidden = _hidden(preferences)
    return [(column, column.name not in hidden) for column in COLUMNS if column.optional]


def _hidden(preferences):
    return set(preferences.hidden_columns.split(","))


def sort_choices(query):
    """The sort menu phones have instead of the headers: (value, words, chosen), the server's
    order first; a sort no column offers (a shared link's) stays chosen under its own name."""
    choices = {"": str(_("Server's order"))}
    for column in (NAME, *COLUMNS):
        if column.order is None:
            continue
        first, second = ORDERS[column.order]
        # The header's first click first, then the other way round.
        natural = find.parse({}).sorted_by(column.name)
        other = find.parse({"sort": natural}).sorted_by(column.name)
        choices[natural] = _sort_words(column.label, first)
        choices[other] = _sort_words(column.label, second)
    if query.sort and query.sort not in choices:
        choices[query.sort] = str(query.sort_label)
    return [(value, words, value == query.sort) for value, words in choices.items()]


def _sort_words(column, order):
    return pgettext("a sort: the column, then its order", "%(column)s, %(order)s") % {
        "column": column,
        "order": order,
    }


def _last_sent(moment, zone, label):
    if moment is None:
        return label["never"]
    # Built from the fields: strftime costs about 5 µs a call, a fifth of a whole row.
    minute = f"{moment.hour:02}:{moment.minute:02}"
    day = f"{moment.year}-{moment.month:02}-{moment.day:02}"
    shown = label["moment"].format(month=label["months"][moment.month - 1], day=moment.day, time=minute)
    return f'<time translate="no" datetime="{day}T{minute}:{moment.second:02}" title="{day} {minute} ({zone})">{shown}</time>'


def _switch(flow_id, url, on, label):
    """The enable switch's cell: all a toggle changes in its row, and all its answer holds."""
    # The switch asks for the wanted state, not a flip: a double click cannot turn it back.
    return f"""<td class="toggle-cell" data-label="{label["on" if on else "off"]}"><button type="submit" form="toggle-form" formaction="{url}toggle/" \
hx-post="{url}toggle/" id="toggle-{flow_id}" class="switch" role="switch" name="is_enabled" value="{0 if on else 1}" \
aria-checked="{"true" if on else "false"}" aria-labelledby="flow-{flow_id}-name" \
title="{label["switch_on" if on else "switch_off"]}"><span class="switch-knob"></span></button>\
<span id="flow-{flow_id}-message" class="row-message" role="status"></span></td>"""


def _state(flow_id, on, label):
    """A viewer's read-only switch: the same look, no form, nothing to click."""
    return f"""<td class="toggle-cell" data-label="{label["on" if on else "off"]}"><span class="switch" \
role="switch" aria-disabled="true" aria-checked="{"true" if on else "false"}" aria-labelledby="flow-{flow_id}-name" \
title="{label["on" if on else "off"]}"><span class="switch-knob"></span></span></td>"""


def _actions(flow_id, name, website, url, label, edit, copy, trash):
    # The delete link tells the page's one dialog which flow, website and row it is about (app.js):
    # two flows may share a name, and the Website column may be hidden.
    return f"""<td class="row-actions">\
<a class="icon-btn" href="{url}edit/" title="{label["edit"]}">{edit}{_named(label["edit"], name)}</a>\
<a class="icon-btn" href="{url}duplicate/" title="{label["duplicate"]}">{copy}{_named(label["duplicate"], name)}</a>\
<a class="icon-btn icon-btn-danger" href="{url}delete/" data-dialog-open="#delete-dialog" data-delete-row="#flow-{flow_id}" \
data-delete-name="{name}" data-delete-website="{website}" title="{label["delete"]}">{trash}{_named(label["delete"], name)}</a></td>"""


def _named(action, name):
    # An icon button's name for screen readers: the action, then the flow's name, kept as the
    # server has it (translate="no"), in text rather than an aria-label that cannot mark it.
    return f'<span class="visually-hidden">{action} <span translate="no">{name}</span></span>'


def _audience(directory, flow):
    """The website's name, and under it the segment when the flow is not for everyone."""
    website = f'<span translate="no">{escape(directory.website_label(flow.website_id))}</span>'
    if flow.segment == "all":
        return website
    segment = escape(directory.segment_label(flow.website_id, flow.segment))
    return f'{website}\n<span class="flow-title" translate="no">{segment}</span>'


def _cell_makers(connection, flows, directory, history, editable, label):
    """{column name: a function drawing that column's cell of a flow (and its URL)}: what is the
    same for every row is worked out here, once per table."""
    num = grouped_numbers()
    # Datetimes are in the key owner's time zone, when the server says which (API_CONTRACT.md).
    zone = escape(directory.timezone or str(_("server time")))
    # Each row has its trend: a sparkline and its last 7 days, from Pushdeck's own history (one
    # query for the page, no upstream call; ``history``: trends.listing.history_mark).
    weeks = weeks_of(connection, flows, history)
    # The worker's gathering of their deliveries: one query for the page, no upstream call either.
    gathered = gathered_of(connection, (flow.id for flow in flows))
    empty = '<td class="num muted" data-label="{}">' + DASH + "</td>"

    def number(name, read, strong=""):
        return lambda flow, url: f'<td class="num{strong}" data-label="{label[name]}">{read(flow)}</td>'

    def week(name, read, strong=""):
        def cell(flow, url):
            figures = weeks.get(flow.id)
            # No history yet (a flow made since the last snapshot): a dash.
            if figures is None:
                return empty.format(label[name])
            return f'<td class="num{strong}" data-label="{label[name]}">{read(figures)}</td>'

        return cell

    def failed(flow, url):
        row = gathered.get(flow.id)
        share = None if row is None else row.failed_share
        if share is None:
            return empty.format(label["failed_share"])
        return f'<td class="num" data-label="{label["failed_share"]}" data-failed-share>{percent(share)}</td>'

    def trend(flow, url):
        figures = weeks.get(flow.id)
        drawn = sparkline(figures.days) if figures is not None else ""
        return f'<td class="spark-cell" data-label="{label["trend"]}">{drawn}</td>'

    def switch(flow, url):
        return (
            _switch(flow.id, url, flow.is_enabled, label)
            if editable
            else _state(flow.id, flow.is_enabled, label)
        )

    return {
        "website": lambda flow, url: (
            f'<td class="website-cell" data-label="{label["website"]}">{_audience(directory, flow)}</td>'
        ),
        "wait": lambda flow, url: (
            f'<td class="nowrap" data-label="{label["wait"]}">{escape(flow.wait_label)}</td>'
        ),
        "enabled": switch,
        "sent": number("sent", lambda flow: num(flow.total_sent)),
        "displayed": number("displayed", lambda flow: num(flow.total_displayed)),
        "clicked": number("clicked", lambda flow: num(flow.total_clicked)),
        "closed": number("closed", lambda flow: num(flow.total_closed)),
        "click_rate": number("click_rate", lambda flow: percent(flow.click_rate), " strong"),
        "trend": trend,
        "sent_7d": week("sent_7d", lambda figures: num(figures.sent)),
        "clicked_7d": week("clicked_7d", lambda figures: num(figures.clicked)),
        "click_rate_7d": week("click_rate_7d", lambda figures: percent(figures.click_rate), " strong"),
        "last_sent": lambda flow, url: (
            f'<td class="nowrap muted last-sent" data-label="{label["last_sent"]}">'
            f"{_last_sent(flow.last_sent_datetime, zone, label)}</td>"
        ),
        "failed_share": failed,
    }


def _row(flow, url, cells, icons, label, directory):
    name = escape(flow.name)
    website = escape(directory.website_label(flow.website_id))
    actions = (
        _actions(flow.id, name, website, url, label, *icons) if icons else '<td class="row-actions"></td>'
    )
    select = (
        f'<input type="checkbox" name="ids" value="{flow.id}" form="bulk-form" aria-labelledby="flow-{flow.id}-name">'
        if icons
        else ""
    )
    values = "".join(cell(flow, url) for cell in cells)
    return f"""<tr id="flow-{flow.id}">
<td class="select-cell">{select}</td>
<td class="flow-cell" translate="no"><a class="flow-name" id="flow-{flow.id}-name" href="{url}">{name}</a>\
<span class="flow-title">{escape(flow.title)}</span></td>
{values}
{actions}
</tr>
"""


def _labels():
    # Translated once per table (or switch), not once per row.
    return {key: escape(str(text)) for key, text in LABELS.items()} | {
        "months": [str(name) for name in MONTHS]
    }


def _prefix(connection):
    # One reversal for the whole table: every flow URL is this prefix, the id, and its action.
    return reverse("flows:list", args=[connection.pk])


def render_rows(connection, flows, directory, history, columns, editable=True):
    """The table's body: the <tr> of each flow, with the ``columns`` shown. Rows hold nothing of
    the user who views them: their switches submit the page's one #toggle-form (its CSRF token),
    and htmx swaps the cell they are in (this body's hx-target); a switch in use marks its row
    busy and cannot be sent twice. A viewer (not ``editable``) gets no write control and no
    selection box."""
    prefix = _prefix(connection)
    icons = (icon("edit"), icon("copy"), icon("trash")) if editable else ()
    label = _labels()
    makers = _cell_makers(connection, flows, directory, history, editable, label)
    cells = [makers[column.name] for column in columns]
    rows = "".join(_row(flow, f"{prefix}{flow.id}/", cells, icons, label, directory) for flow in flows)
    return mark_safe(  # noqa: S308 -- every value in a row is escaped or generated here
        # The page's "Skip to the flows" link leads here.
        '<tbody id="flows-rows" hx-target="closest td" hx-swap="outerHTML" hx-indicator="closest tr, #loading-bar" '
        f'hx-disabled-elt="closest button">{rows}</tbody>'
    )


def render_switch(connection, flow_id, on):
    """A flow's switch cell after a toggle: the rest of its row does not change."""
    html = _switch(int(flow_id), f"{_prefix(connection)}{int(flow_id)}/", on, _labels())
    return mark_safe(html)  # noqa: S308 -- generated from numbers only


SORT_MARKS = {"ascending": "▲", "descending": "▼"}


def _sort_state(query, column):
    """The column header's aria-sort."""
    if query.sort == column:
        return "ascending"
    return "descending" if query.sort == f"-{column}" else "none"


def _header(column, query, path, per_page):
    """A column's header; a sortable one's link sorts the list by it (again: the other way round)."""
    classes = f' class="{column.head_class}"' if column.head_class else ""
    title = f' title="{escape(str(column.hint))}"' if column.hint else ""
    header = escape(str(column.header))
    if column.order is None:
        return f'<th scope="col"{classes}{title}>{header}</th>'
    state = _sort_state(query, column.name)
    url = escape(f"{path}{list_query(per_page, query, sort=query.sorted_by(column.name))}")
    mark = SORT_MARKS.get(state)
    marked = f'<span class="sort-mark" aria-hidden="true">{mark}</span>' if mark else ""
    return (
        f'<th scope="col" aria-sort="{state}"{classes}{title}><a class="sort-link" href="{url}" hx-get="{url}">'
        f"{header}{marked}</a></th>"
    )


def render_head(columns, query, path, per_page, editable=True):
    """The table's header row (through the built-in select box and actions): a sort link
    reloads the whole results, whose find bar keeps the sort for the next search."""
    select = ""
    if editable:
        named = escape(str(_("Select every flow on this page")))
        select = f'<input type="checkbox" data-select-page hidden aria-label="{named}">'
    headers = "".join(_header(column, query, path, per_page) for column in (NAME, *columns))
    actions = escape(str(_("Actions")))
    return mark_safe(  # noqa: S308 -- every value escaped here
        '<thead hx-target="#flows-results" hx-swap="outerHTML" hx-push-url="true"><tr>'
        f'<th scope="col" class="select-cell">{select}</th>{headers}'
        f'<th scope="col"><span class="visually-hidden">{actions}</span></th></tr></thead>'
    )


# The totals' figures, by column; the other columns have none.
TOTALS = {
    "sent": lambda totals, num: num(totals.sent),
    "displayed": lambda totals, num: num(totals.displayed),
    "clicked": lambda totals, num: num(totals.clicked),
    "closed": lambda totals, num: num(totals.closed),
    "click_rate": lambda totals, num: percent(totals.click_rate),
}


def _totals_row(columns, totals, label):
    num = grouped_numbers()
    # The row's name spans the box, the flow and every column before the first with a total.
    before = next((at for at, column in enumerate(columns) if column.name in TOTALS), len(columns))
    count = ngettext("%(count)s flow", "%(count)s flows", totals.count) % {"count": totals.count}
    cells = [
        f'<th scope="row" colspan="{before + 2}">{escape(str(label))} <span class="muted">({escape(count)})</span></th>'
    ]
    for column in columns[before:]:
        if column.name in TOTALS:
            strong = " strong" if column.name == "click_rate" else ""
            cells.append(
                f'<td class="num{strong}" data-label="{escape(str(column.header))}">{TOTALS[column.name](totals, num)}</td>'
            )
        else:
            cells.append("<td></td>")
    cells.append("<td></td>")
    return f'<tr class="totals-row">{"".join(cells)}</tr>'


def render_foot(columns, page_totals, match_totals, filtered):
    """The totals of the page shown, and of the whole match when it holds more flows."""
    rows = [_totals_row(columns, page_totals, _("Shown"))]
    if match_totals and match_totals.count != page_totals.count:
        rows.append(_totals_row(columns, match_totals, _("All matching") if filtered else _("All flows")))
    return mark_safe(f"<tfoot>{''.join(rows)}</tfoot>")  # noqa: S308 -- every value escaped here
