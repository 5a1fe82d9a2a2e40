"""The pages of copies and imports (jobs/copies.py): the copy's confirmation, reached from the
bulk bar (``action=copy`` to flows/bulk/), and the import form with its dry run.

Both sides' roles hold: the flows are read as the person may see them on the source connection
(any role: reading is all a copy does there, their website limits apply), and created as they may
write on the target (editor, only on their websites: the target's websites offered are those).
Reading spends the source key's budget, the target's flows (what is there already) the target's.
"""

import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from flows_app import find, transfer
from flows_app.access import EDITOR, VIEWER, flows_api
from flows_app.drafts import is_token
from jobs import bulk, copies
from jobs.forms import BulkForm, ImportForm, too_many
from jobs.models import BulkJob

Action = BulkJob.Action
# A file read for its dry run waits this long for its confirmation.
KEPT_SECONDS = 30 * 60


def copy_start(request, connection_id):
    """``action=copy`` of the bulk bar: the confirmation listing what will be created, asking
    what the copy cannot decide alone; once confirmed with nothing left to ask, the job."""
    source, source_api = flows_api(request, connection_id, VIEWER)
    # The bar's form holds the list's query, whose website filter is a ``website`` too: the copy's
    # own comes last (its select follows the query's hidden fields, as the confirmation's does).
    websites = request.POST.getlist("website")
    data = request.POST.copy()
    data.setlist("website", websites[:-1])
    answers = {**request.POST.dict(), "website": websites[-1] if websites else ""}
    form = BulkForm(data)
    query = find.parse(data).params()
    back = reverse("flows:list", args=[source.pk]) + (f"?{urlencode(query)}" if query else "")
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(error))
        return redirect(back)
    if form.cleaned_data["match"]:
        flows = find.find_flows(source_api, data).flows
    else:
        wanted = set(form.cleaned_data["ids"])
        flows = [flow for flow in source_api.every_flow() if flow.id in wanted]
    if not flows:
        messages.error(request, _("None of the selected flows is there any more: nothing to copy."))
        return redirect(back)
    if refusal := too_many(len(flows)):
        messages.error(request, refusal)
        return redirect(back)
    source_directory, source_access = source_api.directory(), request.access
    target_id = request.POST.get("connection") or source.pk
    target, target_api = flows_api(request, target_id, EDITOR)
    context = {
        "action": Action.COPY,
        "connection": source,
        "target": target,
        "flows_ids": [flow.id for flow in flows],
        "match": form.cleaned_data["match"],
        "query": query,
        "back": back,
        "post_to": reverse("flows:bulk", args=[source.pk]),
    }
    response = _confirm(
        request,
        target,
        target_api,
        [copies.Source.of(flow) for flow in flows],
        source_directory,
        lambda item: copies.origin(source.label, item.source.id, item.source.values["name"]),
        context,
        answers,
        source,
    )
    # The page is the source's, under its address: its header names the source connection.
    request.connection, request.access = source, source_access
    return response


def _confirm(request, target, target_api, sources, source_directory, origin, context, answers, source=None):
    action = context["action"]
    plan, target_directory = planned(target_api, sources, source_directory, answers)
    confirmed = request.POST.get("confirmed") == "1"
    if confirmed and plan.ready:
        job, created = start(target, request.user, plan, origin, action, source, context.get("file", ""))
        if not created:
            messages.info(request, _("This job was already started: here it is."))
        return redirect("jobs:detail", job.pk)
    context.update(
        {
            "plan": plan,
            "source_directory": source_directory,
            "target_directory": target_directory,
            "confirmed": confirmed,
            "website": answers.get("website", ""),
        }
    )
    return render(request, "jobs/copy_confirm.html", context, status=400 if confirmed else 200)


def planned(target_api, sources, source_directory, answers):
    """The plan of copying ``sources`` to the target (jobs.copies.plan), and the target's
    websites and segments: two reads of the target's (its directory, its flows)."""
    target_directory = target_api.directory()
    existing = copies.existing_names(target_api.every_flow())
    return copies.plan(sources, source_directory, target_directory, answers, existing), target_directory


def start(target, user, plan, origin, action, source=None, file=""):
    """The job of a plan that is ready: ``(job, created)`` as jobs.bulk.start gives it."""
    return bulk.start(
        target,
        user,
        action,
        [item.source.id for item in plan.items],
        {"file": file} if action == Action.IMPORT else None,
        names={item.source.id: item.values["name"] for item in plan.items},
        websites={item.source.id: item.values["website_id"] for item in plan.items},
        copies={item.source.id: item.stored(origin(item)) for item in plan.items},
        source=source,
    )


def _kept_key(user):
    # One file kept per person, the last one read: files of 2 MB kept per dry run would let one
    # person fill the shared cache.
    return f"import:{user.pk}"


@login_required
@require_http_methods(["GET", "POST"])
def flow_import(request, connection_id):
    """Import a file of flows (flows_app/transfer.py) onto one of the connection's websites:
    checked flow by flow, then shown as a dry run of what will be created, then a job."""
    connection, api = flows_api(request, connection_id, EDITOR)
    if request.method == "GET":
        form = ImportForm(directory=api.directory())
        return render(request, "jobs/import.html", {"connection": connection, "form": form})
    token = request.POST.get("token", "")
    kept = caches["shared"].get(_kept_key(request.user)) if is_token(token) else None
    if kept and kept[0] == token:
        _token, name, data = kept
    else:
        form = ImportForm(request.POST, request.FILES, directory=api.directory())
        if not form.is_valid():
            return render(request, "jobs/import.html", {"connection": connection, "form": form}, status=400)
        name, data = form.cleaned_data["file"].name, form.read
        if form.found.problems:
            context = {"connection": connection, "form": form, "problems": form.found.problems}
            return render(request, "jobs/import.html", context, status=400)
        token = secrets.token_urlsafe(16)
        # Shared: the dry run and its confirmation may be served by two processes.
        caches["shared"].set(_kept_key(request.user), (token, name, data), KEPT_SECONDS)
    found = transfer.read(data)
    context = {
        "action": Action.IMPORT,
        "connection": connection,
        "target": connection,
        "token": token,
        "file": name[:200],
        "back": reverse("flows:import", args=[connection.pk]),
        "post_to": reverse("flows:import", args=[connection.pk]),
    }
    sources = [copies.Source(flow_id, values, image) for flow_id, values, image in found.flows]
    return _confirm(
        request,
        connection,
        api,
        sources,
        found.directory,
        lambda item: copies.origin(name, item.source.id, item.source.values["name"]),
        context,
        request.POST,
    )
