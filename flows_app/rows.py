"""The flows table's rows, rendered in Python: the list page's hot path.

Through the template engine a row cost about 1 ms (seven URL reversals and some forty variable
nodes), so a 100-row page spent twenty times its whole render budget on rows (docs/BENCHMARKS.md).
One format string per row, with every value escaped, does the same work in microseconds.
templates/flows/list.html places the result in its table, and the toggle answers with a single
row from here too.
"""

from html import escape

from django.urls import reverse
from django.utils.safestring import mark_safe

from flows_app.templatetags.pushdeck import icon, num, percent

ROW = """<tr id="flow-{id}"{paused}>
<td class="flow-cell"><a class="flow-name" href="{url}">{name}</a><span class="flow-title">{title}</span></td>
<td class="num muted">#{website_id}</td>
<td class="nowrap">{wait}</td>
<td class="toggle-cell"><form method="post" action="{url}toggle/" hx-post="{url}toggle/" hx-target="#flow-{id}" hx-swap="outerHTML">\
<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">\
<button type="submit" id="toggle-{id}" class="switch" role="switch" name="is_enabled" value="{wanted}" aria-checked="{checked}" \
aria-label="{name} enabled" title="{switch_title}"><span class="switch-knob"></span></button></form>\
<span id="flow-{id}-message" class="row-message" role="status"></span></td>
<td class="num">{sent}</td>
<td class="num">{displayed}</td>
<td class="num">{clicked}</td>
<td class="num">{closed}</td>
<td class="num strong">{click_rate}</td>
<td class="nowrap muted">{last_sent}</td>
<td class="row-actions">\
<a class="icon-btn" href="{url}edit/" aria-label="Edit {name}" title="Edit">{icon_edit}</a>\
<a class="icon-btn" href="{url}duplicate/" aria-label="Duplicate {name}" title="Duplicate">{icon_copy}</a>\
<a class="icon-btn icon-btn-danger" href="{url}delete/" data-dialog-open="#delete-dialog" data-delete-name="{name}" \
data-delete-row="#flow-{id}" aria-label="Delete {name}" title="Delete">{icon_trash}</a></td>
</tr>
"""


def _last_sent(moment):
    if moment is None:
        return "Never"
    # One strftime call: each one costs several microseconds, and this runs for every row.
    return moment.strftime(
        f'<time datetime="%Y-%m-%dT%H:%M:%S" title="%Y-%m-%d %H:%M (server time)">%b {moment.day}, %H:%M</time>'
    )


def render_rows(connection, flows, csrf_token):
    """The <tr> of each flow, as one safe string."""
    # One reversal for the whole table: every flow URL is this prefix, the id, and its action.
    prefix = reverse("flows:list", args=[connection.pk])
    icons = {f"icon_{name}": icon(name) for name in ("edit", "copy", "trash")}
    csrf = escape(csrf_token)
    rows = []
    for flow in flows:
        rows.append(
            ROW.format(
                id=flow.id,
                url=f"{prefix}{flow.id}/",
                paused="" if flow.is_enabled else ' class="is-paused"',
                name=escape(flow.name),
                title=escape(flow.title),
                website_id=flow.website_id,
                wait=escape(flow.wait_label),
                csrf=csrf,
                # The wanted state, not a flip: a double click cannot turn it back.
                wanted=0 if flow.is_enabled else 1,
                checked="true" if flow.is_enabled else "false",
                switch_title="Enabled: click to pause" if flow.is_enabled else "Paused: click to enable",
                sent=num(flow.total_sent),
                displayed=num(flow.total_displayed),
                clicked=num(flow.total_clicked),
                closed=num(flow.total_closed),
                click_rate=percent(flow.click_rate),
                last_sent=_last_sent(flow.last_sent_datetime),
                **icons,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 -- every value above is escaped or generated here
