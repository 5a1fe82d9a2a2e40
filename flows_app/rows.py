"""The flows table's rows, rendered in Python: the list page's hot path.

Through the template engine a row cost about 1 ms (seven URL reversals and some forty variable
nodes), so a 100-row page spent twenty times its whole render budget on rows (docs/BENCHMARKS.md).
One f-string per row, with every value escaped, does the same work in about 10 microseconds.
templates/flows/list.html places the result in its table, and the toggle answers with a single
switch cell from here too. A row carries only what differs from row to row: the switch's form
and target, the delete dialog's name and row are the page's (app.js reads them from the row);
the selection box belongs to the page's bulk bar (templates/flows/bulk_bar.html).
"""

from html import escape

from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from flows_app.templatetags.pushdeck import grouped_numbers, icon, percent
from trends.listing import week_cells, weeks_of

# Each value's name, shown above it when the table becomes cards on phones (app.css).
LABELS = {
    "website": _("Website"),
    "wait": _("Wait"),
    "sent": _("Sent"),
    "displayed": _("Displayed"),
    "clicked": _("Clicked"),
    "closed": _("Closed"),
    "click_rate": _("Click rate"),
    "last_sent": _("Last sent"),
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
}
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


def _actions(name, url, label, edit, copy, trash):
    return f"""<td class="row-actions">\
<a class="icon-btn" href="{url}edit/" title="{label["edit"]}">{edit}{_named(label["edit"], name)}</a>\
<a class="icon-btn" href="{url}duplicate/" title="{label["duplicate"]}">{copy}{_named(label["duplicate"], name)}</a>\
<a class="icon-btn icon-btn-danger" href="{url}delete/" data-dialog-open="#delete-dialog" \
title="{label["delete"]}">{trash}{_named(label["delete"], name)}</a></td>"""


def _named(action, name):
    # An icon button's name for screen readers: the action, then the flow's name, kept as the
    # server has it (translate="no"), in text rather than an aria-label that cannot mark it.
    return f'<span class="visually-hidden">{action} <span translate="no">{name}</span></span>'


def _row(flow, url, website, zone, icons, label, trend, num):
    name = escape(flow.name)
    switch = (
        _switch(flow.id, url, flow.is_enabled, label) if icons else _state(flow.id, flow.is_enabled, label)
    )
    actions = _actions(name, url, label, *icons) if icons else '<td class="row-actions"></td>'
    select = (
        f'<input type="checkbox" name="ids" value="{flow.id}" form="bulk-form" aria-labelledby="flow-{flow.id}-name">'
        if icons
        else ""
    )
    return f"""<tr id="flow-{flow.id}">
<td class="select-cell">{select}</td>
<td class="flow-cell" translate="no"><a class="flow-name" id="flow-{flow.id}-name" href="{url}">{name}</a>\
<span class="flow-title">{escape(flow.title)}</span></td>
<td class="website-cell" data-label="{label["website"]}">{website}</td>
<td class="nowrap" data-label="{label["wait"]}">{escape(flow.wait_label)}</td>
{switch}
<td class="num" data-label="{label["sent"]}">{num(flow.total_sent)}</td>
<td class="num" data-label="{label["displayed"]}">{num(flow.total_displayed)}</td>
<td class="num" data-label="{label["clicked"]}">{num(flow.total_clicked)}</td>
<td class="num" data-label="{label["closed"]}">{num(flow.total_closed)}</td>
<td class="num strong" data-label="{label["click_rate"]}">{percent(flow.click_rate)}</td>
{trend(flow.id)}
<td class="nowrap muted" data-label="{label["last_sent"]}">{_last_sent(flow.last_sent_datetime, zone, label)}</td>
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


def _audience(directory, flow):
    """The website's name, and under it the segment when the flow is not for everyone."""
    website = f'<span translate="no">{escape(directory.website_label(flow.website_id))}</span>'
    if flow.segment == "all":
        return website
    segment = escape(directory.segment_label(flow.website_id, flow.segment))
    return f'{website}\n<span class="flow-title" translate="no">{segment}</span>'


def render_rows(connection, flows, directory, editable=True):
    """The <tr> of each flow, as one safe string. Rows hold nothing of the user who views them:
        their switches submit the page's one #toggle-form (its CSRF token), and htmx swaps the cell
        they are in (hx-target on the table body). A viewer (not ``editable``) gets no write control
    and no selection box.
        Each row has its trend: a sparkline and its last 7 days, from Pushdeck's own history (one
        query for the page, no upstream call)."""
    prefix = _prefix(connection)
    icons = (icon("edit"), icon("copy"), icon("trash")) if editable else ()
    label = _labels()
    # Datetimes are in the key owner's time zone, when the server says which (API_CONTRACT.md).
    zone = escape(directory.timezone or str(_("server time")))
    trend = week_cells(weeks_of(connection, flows))
    num = grouped_numbers()
    html = "".join(
        _row(flow, f"{prefix}{flow.id}/", _audience(directory, flow), zone, icons, label, trend, num)
        for flow in flows
    )
    return mark_safe(html)  # noqa: S308 -- every value in a row is escaped or generated here


def render_switch(connection, flow_id, on):
    """A flow's switch cell after a toggle: the rest of its row does not change."""
    html = _switch(int(flow_id), f"{_prefix(connection)}{int(flow_id)}/", on, _labels())
    return mark_safe(html)  # noqa: S308 -- generated from numbers only
