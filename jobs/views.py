import contextlib
import math
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, Count, Q, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from flows_app import find
from flows_app.access import (
    EDITOR,
    VIEWER,
    NotAllowed,
    cached_names,
    flows_api,
    get_connection,
    member_access,
)
from flows_app.api import ApiError
from flows_app.api.budget import KeyBudget
from flows_app.models import Connection
from flows_app.partials import template_for
from flows_app.text import sentences
from jobs import bulk, copy_views
from jobs.forms import BulkForm, too_many
from jobs.models import BulkItem, BulkJob
from jobs.worker import worker_alive

Item = BulkItem.State
Action = BulkJob.Action


@login_required
@require_POST
def bulk_start(request, connection_id):
    if request.POST.get("action") == Action.COPY:
        # Read from this connection, written to the one chosen: roles of its own (copy_views).
        return copy_views.copy_start(request, connection_id)
    connection, api = flows_api(request, connection_id, EDITOR)
    form = BulkForm(request.POST)
    # Back to the list as it was: its search and filters are in the form.
    query = find.parse(request.POST).params()
    back = reverse("flows:list", args=[connection.pk]) + (f"?{urlencode(query)}" if query else "")
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, sentences(*error))
        return redirect(back)
    action, flows = form.cleaned_data["action"], _targets(request, api, form)
    if flows is None:
        messages.error(
            request, _("You may only change flows of websites %(allowed)s.") % {"allowed": api.allowed}
        )
        return redirect(back)
    if not flows:
        messages.error(request, _("No flow matches the search and filters: nothing was changed."))
        return redirect(back)
    if refusal := too_many(len(flows)):
        messages.error(request, refusal)
        return redirect(back)
    if (action == Action.DELETE or form.cleaned_data["match"]) and not form.cleaned_data["confirmed"]:
        context = {
            "connection": connection,
            "action": action,
            "flows": flows,
            "changes": form.changes(),
            "back": back,
            "directory": cached_names(request, connection),
        }
        return render(request, "jobs/confirm.html", context)
    job, created = bulk.start(
        connection,
        request.user,
        action,
        [flow_id for flow_id, _, _ in flows],
        form.changes(),
        names={flow_id: name for flow_id, name, _ in flows},
        websites={flow_id: website for flow_id, _, website in flows},
    )
    if not created:
        messages.info(request, _("This job was already started: here it is."))
    return redirect("jobs:detail", job.pk)


def _targets(request, api, form):
    """``(id, name, website id)`` of each flow the job is for; a name is blank and a website None
    where the list's cache no longer knows them.

    The worker writes with the connection's key: a member limited to some websites (``api`` is
    scoped to them) gets a job of their websites' flows only: None when they asked for others."""
    if form.cleaned_data["match"]:
        return [(flow.id, flow.name, flow.website_id) for flow in find.find_flows(api, request.POST).flows]
    ids, limited = form.cleaned_data["ids"], request.access.limited
    known = api.cached_every_flow()
    if known is None and limited:
        # Which flows they may change: an ApiError reaches the error page, and nothing starts.
        known = api.every_flow()
    elif known is None and form.cleaned_data["action"] == Action.DELETE:
        # The confirmation names what will be deleted: worth a call per 1000 flows.
        with contextlib.suppress(ApiError):
            known = api.every_flow()
    known = {flow.id: flow for flow in known or ()}
    if limited and not set(ids) <= known.keys():
        return None
    return [
        (flow_id, known[flow_id].name, known[flow_id].website_id) if flow_id in known else (flow_id, "", None)
        for flow_id in ids
    ]


def _progress(job):
    """The job's counts, what share is over, and about how long the rest will take."""
    counts = job.items.aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(state=Item.DONE)),
        failed=Count("pk", filter=Q(state=Item.FAILED)),
        skipped=Count("pk", filter=Q(state=Item.SKIPPED)),
    )
    handled = counts["done"] + counts["failed"]
    counts["left"] = counts["total"] - handled - counts["skipped"]
    # Of the flows the job went through: a cancelled job's unsent flows are not part of it.
    counts["percent"] = round(100 * handled / counts["total"]) if counts["total"] else 100
    counts["minutes_left"] = 0
    key_budget = KeyBudget(job.connection.budget_key)
    counts["reserve"] = key_budget.kept_for_people()
    counts["worker_alive"] = worker_alive()
    if job.running and counts["left"]:
        # Read without the key: the page polls every 2 s.
        seconds = key_budget.seconds_for(counts["left"])
        # Under a minute reads as "less than a minute".
        counts["minutes_left"] = math.ceil(seconds / 60) if seconds >= 60 else 0
    return counts


def _get_job(request, job_id, role=VIEWER):
    """A job the user may see, if their role is at least ``role``: on one of their connections,
    and each of its flows on one of their websites (a job tells its flows' names and outcomes).
    Anyone else's answers 404 like a missing one. A member's websites are the same for seeing and
    changing, so an editor who sees a job may change every flow of it: cancel it, retry it."""
    job = get_object_or_404(BulkJob.objects.select_related("created_by", "cancelled_by", "source"), pk=job_id)
    job.connection = get_connection(request, job.connection_id)
    if not BulkJob.objects.seen_with(request.access).filter(pk=job.pk).exists():
        raise Http404("No such job.")
    if not _sees_source(request.user, job):
        raise Http404("No such job.")
    if not request.access.can(role):
        raise NotAllowed(job.connection, role)
    return job


def _sees_source(user, job):
    """A copy from another connection is seen only by those who may see its flows there too: a
    member of it, limited to websites that hold every flow of the job (its names are theirs)."""
    if job.action != Action.COPY or job.source_id == job.connection_id:
        return True
    access = job.source and member_access(job.source, user)
    if not access:
        return False
    return not access.limited or all(
        access.sees(copy["from_website"]) for copy in job.items.values_list("copy", flat=True)
    )


@login_required
@require_GET
def job_detail(request, job_id):
    job = _get_job(request, job_id)
    context = {
        "job": job,
        "connection": job.connection,
        "directory": cached_names(request, job.connection),
        "progress": _progress(job),
        # Failures first: they are what the user has to act on.
        "items": job.items.order_by(Case(When(state=Item.FAILED, then=0), default=1), "pk"),
    }
    return render(request, template_for(request, "jobs/job.html", "status"), context)


@login_required
@require_POST
def job_cancel(request, job_id):
    job = _get_job(request, job_id, EDITOR)
    if bulk.cancel(job, request.user):
        messages.success(request, _("Cancelled: the flow being changed right now is the last one."))
    return redirect("jobs:detail", job.pk)


@login_required
@require_POST
def job_retry(request, job_id, item_id=None):
    job = _get_job(request, job_id, EDITOR)
    try:
        count = bulk.retry(job, request.user, item_id)
    except bulk.IdenticalJobRunning:
        messages.error(request, _("An identical job is running now; retry when it is over."))
        return redirect("jobs:detail", job.pk)
    if count:
        messages.success(
            request,
            ngettext("%(count)d flow will be tried again.", "%(count)d flows will be tried again.", count)
            % {"count": count},
        )
    return redirect("jobs:detail", job.pk)


@login_required
@require_GET
def connection_jobs(request, connection_id):
    connection = get_connection(request, connection_id)
    # Copies from a connection the person is no member of are not theirs to see (_sees_source).
    theirs = Connection.objects.filter(memberships__user=request.user)
    seen = connection.jobs.seen_with(request.access).exclude(Q(source__isnull=False) & ~Q(source__in=theirs))
    jobs = seen.annotate(
        total=Count("items"),
        done=Count("items", filter=Q(items__state=Item.DONE)),
        failed=Count("items", filter=Q(items__state=Item.FAILED)),
    )[:100]
    return render(request, "jobs/list.html", {"connection": connection, "jobs": jobs})
