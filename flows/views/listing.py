"""The flows list: its page and table fragment, its exports (CSV, JSON) and the on/off switch of each row."""

import json
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from activity.history import record, toggle_values
from activity.models import Kind
from flows import rows
from flows_app import find, transfer
from flows_app.access import EDITOR, flows_api
from flows_app.api import ApiError
from flows_app.api.records import RESULTS_PER_PAGE
from flows_app.export import csv_lines
from flows_app.failures import describe
from flows_app.fields import flow_values
from flows_app.models import Preferences
from flows_app.partials import template_for
from flows_app.toasts import add_toast
from trends.listing import history_mark

DEFAULT_PER_PAGE = 25


def _paging(query, usual=DEFAULT_PER_PAGE):
    """The page and page size asked for (the user's usual size when none is asked for); a size the
    API does not allow falls back to 25, page 1."""
    raw_page, raw_size = query.get("page", "1"), query.get("results_per_page", str(usual))
    if not raw_size.isdigit() or int(raw_size) not in RESULTS_PER_PAGE:
        return 1, DEFAULT_PER_PAGE
    if not raw_page.isdigit() or int(raw_page) < 1:
        return 1, int(raw_size)
    return int(raw_page), int(raw_size)


@login_required
@require_GET
def flow_list(request, connection_id):
    connection, api = flows_api(request, connection_id)
    preferences = Preferences.of(request)
    page, per_page = _paging(request.GET, preferences.results_per_page)
    preferences.remember(results_per_page=per_page)
    fresh = request.GET.get("fresh") == "1"
    query = find.parse(request.GET)
    if query.active:
        weeks = _weeks(connection, query)
        listing = api.later(_found_page, api, request.GET, page, per_page, fresh, weeks)
    else:
        # Without a query the API's own paging serves: one call for the page shown.
        listing = api.later(_plain_page, api, page, per_page, fresh)
    # Names change rarely and are cached for minutes: a call only when they are not, made while
    # the flows are on their way (both share the page view's deadline).
    directory = api.names()
    history = history_mark(connection)
    columns = rows.shown_columns(preferences, query)
    editable = request.access.can_edit

    def table(answer):
        # Rendering reaches the table after the page's head, menus and heading: those are
        # drawn while the API answers, and only the table waits for it.
        result, match_totals = answer
        names = directory
        if fresh and not directory.names_all(result.flows):
            # Refresh reads the names again only when the flows name a website or segment they
            # do not know: three calls of the key's budget, most often for nothing.
            names = api.names(fresh=True)
        return {
            "result": result,
            "head": rows.render_head(columns, query, request.path, per_page, editable),
            "body": rows.render_rows(connection, result.flows, names, history, columns, editable),
            "foot": rows.render_foot(columns, find.Totals.of(result.flows), match_totals, query.filtered),
            "updated_ago": max(0, round(time.time() - api.fetched_at)),
            "budget": api.budget_left(),
        }

    context = {
        "connection": connection,
        "table": listing.then(table),
        "query": query,
        "query_suffix": query.encoded(),
        "directory": directory,
        "per_page": per_page,
        "per_page_choices": RESULTS_PER_PAGE,
        "column_choices": rows.column_choices(preferences),
        "sort_choices": rows.sort_choices(query),
    }
    return render(request, template_for(request, "flows/list.html", "results"), context)


def _weeks(connection, query):
    # Read here, not in the background thread: one query of history, only for a sort needing it.
    return rows.list_figures(connection) if query.by_week else None


def _found_page(api, params, page, per_page, fresh, weeks):
    found = find.find_flows(api, params, fresh, weeks)
    return found.page(page, per_page), found.totals


def _plain_page(api, page, per_page, fresh):
    # The whole set's totals only when they cost nothing: every flow already in the cache.
    every = api.cached_every_flow()
    return api.list_flows(page, per_page, fresh=fresh), every and find.Totals.of(every)


@login_required
@require_GET
def flow_export(request, connection_id):
    """The current match (the list's query parameters) as CSV, streamed row by row."""
    connection, api = flows_api(request, connection_id)
    found = find.find_flows(api, request.GET, weeks=_weeks(connection, find.parse(request.GET)))
    response = StreamingHttpResponse(
        csv_lines(found.flows, api.names()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="flows-{slugify(connection.label) or connection.pk}.csv"'
    )
    return response


@login_required
@require_GET
def flow_export_json(request, connection_id):
    """The current match as a file of flows (flows_app/transfer.py, docs/EXPORT.md), which the
    import of any connection reads. Images are referenced by their address here: embedding them
    (``manage.py export_flows --embed-images``) reads every image, too slow for a page."""
    connection, api = flows_api(request, connection_id)
    found = find.find_flows(api, request.GET, weeks=_weeks(connection, find.parse(request.GET)))
    content = json.dumps(
        transfer.document(found.flows, api.directory(), connection.label), ensure_ascii=False, indent=1
    )
    response = HttpResponse(content, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="flows-{slugify(connection.label) or connection.pk}.json"'
    )
    return response


@login_required
@require_POST
def flow_toggle(request, connection_id, flow_id):
    connection, api = flows_api(request, connection_id, EDITOR)
    wanted = request.POST.get("is_enabled")
    if wanted not in ("0", "1"):
        return HttpResponseBadRequest("is_enabled must be 1 or 0.")
    try:
        # A member limited to some websites: the flow is read first to check its website (one
        # more call, for them only), and the history gets its name and website from it. Others'
        # history gets them from what a page read lately, before the write retires it.
        known = api.get_flow(flow_id) if request.access.limited else api.cached_flow(flow_id)
        # The wanted state, not a flip: a double click cannot turn it back.
        # A 1 or a 0 cannot be substituted: no read back when the answer is the id alone.
        _id, flow = api.update_flow(flow_id, {"is_enabled": wanted == "1"}, read_back=False)
        _record_toggle(request, flow_id, known, flow, wanted == "1")
        if request.htmx:
            # One call: the switch is all that changes in the row, and the answer confirms it.
            on = flow.is_enabled if flow else wanted == "1"
            response = HttpResponse(rows.render_switch(connection, flow_id, on))
            if on != (wanted == "1"):
                add_toast(response, "warning", _("The server kept this flow as it was."))
            return response
        # Without JavaScript the list comes back with a message that names the flow.
        flow = flow or api.get_flow(flow_id)
    except ApiError as error:
        if not request.htmx:
            raise
        return _row_failed(request, flow_id, error)
    done = _("“%(name)s” is now enabled.") if flow.is_enabled else _("“%(name)s” is now paused.")
    messages.success(request, done % {"name": flow.name})
    return redirect("flows:list", connection.pk)


def _record_toggle(request, flow_id, known, answer, on):
    """``known``: the flow as read before the write, if it was; ``answer``: as the write answered."""
    if known is not None:
        seen = flow_values(known)
    else:
        # Nothing read it lately: the switch clicked showed the other state, the state before.
        named = {"name": answer.name, "website_id": answer.website_id} if answer else {}
        seen = {**named, "is_enabled": not on}
    before, after = toggle_values(seen, on)
    record(
        request.user, request.connection, Kind.FLOW_TOGGLE, flow_id=int(flow_id), before=before, after=after
    )


def _row_failed(request, flow_id, error):
    """The row stays as it was and says why, in its own message slot."""
    failure = describe(error, request.connection)
    response = render(request, "flows/list.html#row_message", {"failure": failure}, status=failure.status)
    return reswap(retarget(response, f"#flow-{int(flow_id)}-message"), "innerHTML")
