import json
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from activity.history import image_change, record, toggle_values
from activity.models import Kind
from flows import rows
from flows.views.deliveries import estimate_context
from flows_app import find, transfer
from flows_app.access import EDITOR, check_website, flows_api
from flows_app.api import ApiError, Flow
from flows_app.api.records import RESULTS_PER_PAGE, Website
from flows_app.copying import copy_of, links_to_replace, relinked
from flows_app.create_tokens import CreateTokens
from flows_app.drafts import keep_upload
from flows_app.export import csv_lines
from flows_app.failures import describe
from flows_app.fields import FLOW_FIELDS, SUBSTITUTABLE, fingerprint, flow_values
from flows_app.forms import FlowForm, readable, substitutions
from flows_app.images import copy_image
from flows_app.locks import Busy, flow_lock
from flows_app.models import Preferences
from flows_app.partials import template_for
from flows_app.toasts import add_toast
from trends.listing import history_mark
from trends.trend import flow_trend

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
@require_GET
def flow_segments(request, connection_id):
    """The form's segment choice for the website just picked (htmx narrows it on change)."""
    connection, api = flows_api(request, connection_id)
    initial = {"website_id": request.GET.get("website_id")}
    form = FlowForm(user=request.user, directory=api.directory(), initial=initial)
    return render(request, "flows/form.html#segment_field", {"form": form, "connection": connection})


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


@login_required
@require_GET
def flow_detail(request, connection_id, flow_id):
    connection, api = flows_api(request, connection_id)
    # The chart, from the database, is drawn while the flow's call waits for the server; it is
    # shown only once the call has answered (a flow another member may not see raises there).
    flow, trend = api.read_while(
        lambda: api.get_flow(flow_id), lambda: flow_trend(request, connection, flow_id)
    )
    context = {"connection": connection, "flow": flow, "directory": api.names(), "trend": trend}
    return render(request, "flows/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def flow_new(request, connection_id):
    connection, api = flows_api(request, connection_id, EDITOR)
    tokens = CreateTokens(request.user)
    if request.method == "GET":
        form = FlowForm(user=request.user, directory=api.directory(), initial={"form_token": tokens.issue()})
        return _form_page(request, connection, form)
    token = request.POST.get("form_token", "")
    if done := tokens.flow_of(token):
        # The same form sent twice: the first submit made the flow, show it.
        return redirect("flows:detail", connection.pk, done)
    form = FlowForm(request.POST, request.FILES, user=request.user, directory=api.directory())
    if not (form.is_valid() and check_website(request, form)):
        return _form_page(request, connection, form, status=400)
    values, links = _copy_values(request, form)
    if links:
        # A copy moved to another website, its links still on the old one: asked before sending.
        return _form_page(request, connection, form, links=links, link_hosts=_link_hosts(form))
    if not tokens.claim(token):
        return _unclaimed(request, connection, form, tokens, token)
    try:
        flow_id, flow = api.create_flow(values, form.upload)
    except ApiError as error:
        tokens.release(token)
        return _form_failed(request, connection, form, error)
    tokens.finish(token, flow_id)
    # What the server kept when it says (it substitutes silently, API_CONTRACT.md), else what was sent.
    kept = flow_values(flow) if flow else values
    after = {**kept, "image": image_change(form.upload, False, False)}
    kind = Kind.FLOW_DUPLICATE if form.cleaned_data["duplicate_of"] else Kind.FLOW_CREATE
    record(request.user, connection, kind, flow_id=flow_id, after=after)
    _report_write(request, api, values, flow, _("Flow “%(name)s” created.") % {"name": values["name"]})
    return redirect("flows:detail", connection.pk, flow_id)


def _copy_values(request, form):
    """The values to create, and the links still to decide on: a duplicate made for another
    website has its links to the copied flow's website replaced or kept as the user chose, and
    is sent only once they have chosen (flows_app/copying.py)."""
    values = form.values()
    directory = form.directory
    source = directory.website(form.cleaned_data["copied_from"])
    links = links_to_replace(values, source, directory.website(values["website_id"]))
    choice = request.POST.get("links")
    if choice == "replace":
        return relinked(values, links), ()
    return values, () if choice == "keep" else links


def _link_hosts(form):
    """The two websites the links question names: the copied flow's and the copy's."""
    directory = form.directory
    return {
        "source": directory.website(form.cleaned_data["copied_from"]),
        "target": directory.website(form.cleaned_data["website_id"]),
    }


def _unclaimed(request, connection, form, tokens, token):
    if tokens.issued(token):
        messages.info(request, _("This form was already sent and its flow is being created."))
        return redirect("flows:list", connection.pk)
    form.data = form.data.copy()
    form.data["form_token"] = tokens.issue()
    form.add_error(None, _("This form was open for too long. Check it and save again."))
    return _form_page(request, connection, form, status=400)


@login_required
@require_GET
def flow_duplicate(request, connection_id, flow_id):
    connection, api = flows_api(request, connection_id, EDITOR)
    flow = api.get_flow(flow_id)
    directory = api.directory()
    website = directory.website(flow.website_id) or Website(flow.website_id, "", "")
    initial = {
        **copy_of(flow_values(flow), website, website).values,
        "name": (_("Copy of %(name)s") % {"name": flow.name})[:256],
        "form_token": CreateTokens(request.user).issue(),
        "duplicate_of": flow.id,
        "copied_from": flow.website_id,
    }
    form = FlowForm(user=request.user, directory=directory, initial=initial)
    image_problem = ""
    if flow.image_url:
        upload, image_problem = copy_image(api, flow)
        if upload:
            # Sent with the create, as if the user had chosen the file again.
            form.kept_token = keep_upload(request.user, upload)
    return _form_page(request, connection, form, source=flow, image_problem=image_problem)


@login_required
@require_http_methods(["GET", "POST"])
def flow_edit(request, connection_id, flow_id):
    connection, api = flows_api(request, connection_id, EDITOR)
    if request.method == "GET":
        flow = api.get_flow(flow_id)
        form = FlowForm(
            user=request.user, directory=api.directory(), editing=True, initial=FlowForm.initial_for(flow)
        )
        return _form_page(
            request, connection, form, flow=flow, **estimate_context(connection, api, flow, "wait")
        )
    return _save_edit(request, connection, api, flow_id)


def _save_edit(request, connection, api, flow_id):
    form = FlowForm(request.POST, request.FILES, user=request.user, directory=api.directory(), editing=True)
    try:
        # Check and write as one step per flow: a save racing this one checks after it wrote.
        with flow_lock(api, flow_id):
            return _check_and_write(request, connection, api, flow_id, form)
    except Busy:
        form.add_error(None, _("Someone else is saving this flow right now. Wait a moment, then save again."))
        return _form_page(request, connection, form, flow=_stand_in(form, flow_id), status=409)


def _stand_in(form, flow_id):
    """The flow as far as the form knows it, for a page that could not read it from the server."""
    return Flow(id=int(flow_id), website_id=0, name=form.data.get("name", ""), title="", description="")


def _check_and_write(request, connection, api, flow_id, form):
    valid = form.is_valid()
    try:
        # Call 1: the flow as it is now, to see whether someone changed it since the form was loaded.
        current = api.get_flow(flow_id, fresh=True)
    except ApiError as error:
        # Whatever failed, the user's values (and chosen image) come back on the form.
        return _form_failed(request, connection, form, error, flow=_stand_in(form, flow_id))
    if not (valid and check_website(request, form)):
        return _form_page(request, connection, form, flow=current, status=400)
    if form.cleaned_data["fingerprint"] != fingerprint(current):
        return _conflict(request, connection, form, current)
    changes = form.changes(current)
    if not changes and form.upload is None and not (form.remove_image and current.image_url):
        messages.info(request, _("Nothing changed, so nothing was sent."))
        return redirect("flows:detail", connection.pk, flow_id)
    try:
        # Call 2: only the fields that differ from the server's version. Its answer is what the
        # detail page after the redirect shows (from the cache). A server that answers with the id
        # alone is read back only when what was sent could have been substituted.
        _id, saved = api.update_flow(
            flow_id, changes, form.upload, form.remove_image, read_back=bool(SUBSTITUTABLE & changes.keys())
        )
    except ApiError as error:
        return _form_failed(request, connection, form, error, flow=current)
    before = flow_values(current)
    image = image_change(form.upload, form.remove_image, bool(current.image_url))
    after = {**before, **changes, **({"image": image} if image else {})}
    record(request.user, connection, Kind.FLOW_EDIT, flow_id=int(flow_id), before=before, after=after)
    _report_write(
        request, api, changes, saved, _("Flow “%(name)s” saved.") % {"name": form.cleaned_data["name"]}
    )
    return redirect("flows:detail", connection.pk, flow_id)


def _report_write(request, api, sent, flow, done):
    """Says "done" only when the server kept what was sent: it substitutes an unknown website or
    segment and clamps values silently (API_CONTRACT.md), so its answer is checked field by field."""
    if flow is None and not SUBSTITUTABLE & sent.keys():
        messages.success(request, done)
        return
    if flow is None:
        messages.warning(
            request,
            _("%(done)s The server's answer did not show the flow, so what it kept could not be checked.")
            % {"done": done},
        )
        return
    changed = substitutions(sent, flow, api.names())
    if not changed:
        messages.success(request, done)
        return
    # A website or segment the server did not know: the cached names may be out of date.
    api.forget_directory()
    details = "; ".join(
        _("%(field)s is “%(kept)s”, not “%(sent)s”") % {"field": label, "kept": kept, "sent": wanted}
        for label, wanted, kept in changed
    )
    messages.warning(
        request,
        _("%(done)s, but the server did not keep everything you sent: %(details)s.")
        % {"done": done.removesuffix("."), "details": details},
    )


def _conflict(request, connection, form, current):
    theirs, yours = flow_values(current), form.values()
    # Compared as values, shown as a person reads them.
    theirs_shown = readable(theirs, form.directory, current.website_id)
    yours_shown = readable(yours, form.directory, current.website_id)
    rows = [
        (name, theirs_shown[name], yours_shown[name], theirs[name] != yours[name]) for name in FLOW_FIELDS
    ]
    context = {
        "connection": connection,
        "flow": current,
        "form": form,
        "rows": rows,
        "fingerprint": fingerprint(current),
    }
    return render(request, "flows/conflict.html", context, status=409)


def _form_page(request, connection, form, flow=None, status=200, **more):
    context = {"connection": connection, "form": form, "flow": flow, **more}
    return render(request, "flows/form.html", context, status=status)


def _form_failed(request, connection, form, error, flow=None):
    """A refused write comes back on the form, with the server's words and the user's input."""
    # Where the outcome of a write whose answer was unreadable can be seen.
    seen_at = (
        reverse("flows:detail", args=[connection.pk, flow.id])
        if flow
        else reverse("flows:list", args=[connection.pk])
    )
    failure = describe(error, connection, reload_url=seen_at)
    # The server's own words, when it gave some, are quoted under it (templates/flows/form.html).
    form.add_error(None, failure.summary)
    context = {"connection": connection, "form": form, "flow": flow, "failure": failure}
    return render(request, "flows/form.html", context, status=failure.status)


@login_required
@require_http_methods(["GET", "POST"])
def flow_delete(request, connection_id, flow_id):
    connection, api = flows_api(request, connection_id, EDITOR)
    # The flow's last state: checked against the member's websites, and kept in the history so
    # that it can be created again.
    flow = api.get_flow(flow_id)
    if request.method == "GET":
        context = {"connection": connection, "flow": flow, "directory": api.names()}
        return render(
            request, "flows/delete.html", context | estimate_context(connection, api, flow, "delete")
        )
    api.delete_flow(flow_id)
    record(request.user, connection, Kind.FLOW_DELETE, flow_id=flow.id, before=flow_values(flow))
    if request.htmx:
        # An empty answer swaps the row away; the toast says what happened, and the list reads
        # itself again for its counts and totals (templates/flows/list.html).
        response = trigger_client_event(HttpResponse(), "flows-changed")
        return add_toast(response, "success", _("Flow deleted."))
    messages.success(request, _("Flow deleted."))
    return redirect("flows:list", connection.pk)
