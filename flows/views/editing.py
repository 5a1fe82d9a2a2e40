"""The flow form: creating (and duplicating) a flow and editing one, with what the server kept checked after each write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from activity.history import image_change, record
from activity.models import Kind
from flows.views.deliveries import estimate_context
from flows_app.access import EDITOR, check_website, flows_api
from flows_app.api import ApiError, Flow
from flows_app.api.records import Website
from flows_app.copying import copy_of, links_to_replace, relinked
from flows_app.create_tokens import CreateTokens
from flows_app.drafts import keep_upload
from flows_app.failures import describe
from flows_app.fields import FLOW_FIELDS, SUBSTITUTABLE, fingerprint, flow_values
from flows_app.forms import FlowForm, readable, substitutions
from flows_app.images import copy_image
from flows_app.locks import Busy, flow_lock


@login_required
@require_GET
def flow_segments(request, connection_id):
    """The form's segment choice for the website just picked (htmx narrows it on change)."""
    connection, api = flows_api(request, connection_id)
    initial = {"website_id": request.GET.get("website_id")}
    form = FlowForm(user=request.user, directory=api.directory(), initial=initial)
    return render(request, "flows/form.html#segment_field", {"form": form, "connection": connection})


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
