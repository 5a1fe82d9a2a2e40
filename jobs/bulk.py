"""Bulk jobs: one action on many flows, sent by the worker within the key's rate budget.

A job runs in slices. A slice is one task run: it takes the job's lease, sends items one by one
through the Pacer for up to SLICE_SECONDS, and ends by queuing its continuation, deferred to the
window's reset when the budget is spent. Short slices keep the worker's loop turning (heartbeat,
periodic work, other connections' jobs) and make a job resumable at any point:

- an item is marked ``sending`` before its call and ``done``/``failed`` after, so a worker that
  takes over a job never sends a finished item again. An item left ``sending`` by a killed
  worker is sent again: whether its call reached the server is unknown, and every action is
  idempotent (the same values written again; a flow already deleted answers 404, taken as done);
- only the lease holder sends, so two workers never take the same item; a lease that runs out
  (its worker died) is picked up by ``resume_stalled`` (jobs/tasks.py runs it periodically);
- a job writes with the rights its ``run_as`` member has at the time of each slice: who started
  it, or who last retried it (jobs/views.py lets only those who may change every flow of a job
  cancel or retry it).
"""

import hashlib
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.tasks import task
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_noop

from activity.history import record, toggle_values
from activity.models import Kind
from flows_app.access import EDITOR, OtherWebsite, WebsiteScoped, member_access, scoped
from flows_app.api import ApiError, NotFound, Unauthorized, Unavailable, connect
from flows_app.api.budget import MustWait
from flows_app.crypto import DecryptionError
from flows_app.fields import flow_values
from flows_app.models import Connection
from jobs.models import BulkItem, BulkJob, note, server_words

logger = logging.getLogger(__name__)

SLICE_SECONDS = 20
# Waits up to this long are slept inside a slice; a longer one ends it (the continuation is deferred).
INLINE_WAIT = 2.0
MAX_ITEMS = settings.JOBS_MAX_ITEMS
# An item the server could not answer (timeout, 5xx) is sent up to this many times, the job
# pausing UNAVAILABLE_PAUSE seconds in between, before it counts as failed.
ATTEMPTS = 3
UNAVAILABLE_PAUSE = 15

Action = BulkJob.Action
Item = BulkItem.State


def fingerprint(action, changes, flow_ids):
    text = f"{action}|{sorted(changes.items())}|{sorted(set(flow_ids))}"
    return hashlib.sha256(text.encode()).hexdigest()


def start(connection, user, action, flow_ids, changes=None, names=None, websites=None):
    """The job for this request: a new one, or the identical one still running (a double submit).
    ``names`` and ``websites`` are the flows' as the list showed them ({flow id: ...}), where known.

    Returns ``(job, created)``; the new job's first slice is queued.
    """
    changes = changes or {}
    names = names or {}
    websites = websites or {}
    flow_ids = list(dict.fromkeys(int(flow_id) for flow_id in flow_ids))
    digest = fingerprint(action, changes, flow_ids)
    holder = get_random_string(32)
    try:
        with transaction.atomic():
            job = BulkJob.objects.create(
                connection=connection,
                created_by=user,
                run_as=user,
                action=action,
                changes=changes,
                fingerprint=digest,
                lease_owner=holder,
                lease_until=_lease_until(),
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
            BulkItem.objects.bulk_create(
                BulkItem(
                    job=job,
                    flow_id=flow_id,
                    name=names.get(flow_id, "")[:256],
                    website_id=websites.get(flow_id),
                )
                for flow_id in flow_ids
            )
    except IntegrityError:
        running = BulkJob.objects.filter(
            connection=connection, fingerprint=digest, state=BulkJob.State.RUNNING
        )
        if existing := running.first():
            return existing, False
        # The identical job ended in between: this one may start.
        return start(connection, user, action, flow_ids, changes, names, websites)
    _queue(job.pk, holder)
    return job, True


def _queue(job_id, holder, seconds=0):
    if seconds > 0:
        run_job.using(run_after=timezone.now() + timedelta(seconds=seconds)).enqueue(job_id, holder)
    else:
        run_job.enqueue(job_id, holder)


def _lease_until(seconds=0):
    return timezone.now() + timedelta(seconds=seconds + settings.JOBS_LEASE_SECONDS)


def _take_lease(job_id, holder):
    """True when ``holder`` may work on the job: it holds the lease, or nobody holds a live one."""
    now = timezone.now()
    free = Q(lease_owner=holder) | Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(
        BulkJob.objects.filter(free, pk=job_id, state=BulkJob.State.RUNNING).update(
            lease_owner=holder, lease_until=_lease_until()
        )
    )


def _read_every_flow(job, api, pacer):
    """Each item's flow as the job finds it at its start, kept on the item (``before``, and its
    name and website). Every job needs it: the history keeps what an edit changed, what a delete
    removed and what a switch found (the single-flow views read the flow first too); a member
    limited to some websites may write only their flows; and the job's page names each flow and
    its website, which also decides who may see the job.

    One read of the connection's whole set (from the cache when a page viewed it moments ago, else
    a page of 1000 flows a call, sent once the budget allows them all) instead of a read before
    each write: a job of N items spends N requests and this read, not 2N. A flow missing from
    the set (deleted or created since, or of a website a limited member may not see) is read
    alone before its write: the read says why it is left alone.
    """
    if job.flows_read_at is not None:
        return
    every = api.cached_every_flow()
    if every is None:
        every = pacer.whole_read(
            api.every_flow, max(api.last_count(), job.items.count()), max_wait=INLINE_WAIT
        )
    found = {flow.id: flow for flow in every}
    items = list(job.items.filter(state=Item.PENDING))
    for item in items:
        if item.flow_id in found:
            item.before = flow_values(found[item.flow_id])
            item.name = found[item.flow_id].name[:256]
            item.website_id = found[item.flow_id].website_id
    with transaction.atomic():
        BulkItem.objects.bulk_update(items, ["before", "name", "website_id"], batch_size=500)
        job.flows_read_at = timezone.now()
        BulkJob.objects.filter(pk=job.pk).update(flows_read_at=job.flows_read_at)


def _read(api, item):
    """The flow before its write when the job's read of every flow did not find it; None when it
    did, which spares the call."""
    if item.before is None:
        return api.get_flow(item.flow_id)
    return None


class ConnectionGone(Exception):
    """The job's connection was deleted while the job ran (its job and items with it)."""


def _send(api, job, item):
    """The item's one write; returns the flow as the answer carries it (None for a delete)."""
    # Checked here, after the pacer's wait: a connection deleted meanwhile gets no more writes.
    if not Connection.objects.filter(pk=job.connection_id).exists():
        raise ConnectionGone
    if job.action == Action.DELETE:
        api.delete_flow(item.flow_id)
        return None
    # No read back of an answer that holds the id alone: it would double the job's requests, and
    # what a job writes (a state, UTM fields, TTL, urgency) is never substituted by the server.
    return api.update_flow(item.flow_id, _changes(job), read_back=False)[1]


def _changes(job):
    return {
        Action.ENABLE: {"is_enabled": True},
        Action.PAUSE: {"is_enabled": False},
        Action.SET: job.changes,
    }[job.action]


def _record(job, item, before, flow):
    """The item's entry in the history, as the single-flow views write it: on the flow's page
    a bulk pause shows like a click on its switch, by the person the job runs as. ``before``
    holds the flow's fields before the write (flow_values), when the job read them."""
    if job.action == Action.DELETE:
        record(job.run_as, job.connection, Kind.FLOW_DELETE, flow_id=item.flow_id, before=before)
    elif job.action == Action.SET:
        record(
            job.run_as,
            job.connection,
            Kind.FLOW_EDIT,
            flow_id=item.flow_id,
            before=before,
            after={**before, **job.changes},
        )
    else:
        before, after = toggle_values(before or flow, job.action == Action.ENABLE)
        record(job.run_as, job.connection, Kind.FLOW_TOGGLE, flow_id=item.flow_id, before=before, after=after)


def _member_api(job):
    """The flows API as the person the job runs as may use it now, or why the job must stop:
    work queued by someone who has since left, lost the editor role or been limited to some
    websites is done with what they may do today. The reason is a note (jobs.models.note)."""
    user = job.run_as
    access = member_access(job.connection, user) if user is not None else None
    label = job.connection.label
    if user is None:
        return None, note(
            gettext_noop("The person it runs for is no longer a member of “%(label)s”: the job stopped."),
            label=label,
        )
    if access is None:
        return None, note(
            gettext_noop("%(user)s is no longer a member of “%(label)s”: the job stopped."),
            user=user.get_username(),
            label=label,
        )
    if not access.can(EDITOR):
        # Below editor there is only viewer.
        return None, note(
            gettext_noop(
                "%(user)s can now only view “%(label)s”, and a bulk job needs an editor: it stopped."
            ),
            user=user.get_username(),
            label=label,
        )
    return scoped(connect(job.connection, background=True), access), None


@task
def run_job(job_id, holder):
    """One slice of a bulk job: the task that each slice queues for the next."""
    return run_slice(job_id, holder)


def run_slice(job_id, holder, seconds=SLICE_SECONDS):
    """Work on the job for up to ``seconds``, then queue what is left. The task's body."""
    if not _take_lease(job_id, holder):
        return "not mine"
    job = BulkJob.objects.select_related("connection", "run_as").get(pk=job_id)
    # The server's troubles are described by the API client in the language active when they
    # are written: the language of the person who started the job (Pushdeck's own notes are
    # translated for each reader, see jobs.models.Noted).
    with translation.override(job.language):
        return _slice(job, holder, seconds)


def _slice(job, holder, seconds):
    job_id = job.pk
    job.items.filter(state=Item.SENDING).update(state=Item.PENDING)
    if job.started_at is None:
        BulkJob.objects.filter(pk=job_id).update(started_at=timezone.now())
    try:
        api, refusal = _member_api(job)
    except DecryptionError as error:
        return _stop(job, holder, note(str(error)))
    if api is None:
        job.items.filter(state=Item.PENDING).update(state=Item.SKIPPED, updated_at=timezone.now())
        return _stop(job, holder, refusal)
    pacer = api.pacer
    ends = time.monotonic() + seconds
    try:
        try:
            _read_every_flow(job, api, pacer)
        except MustWait as wait:
            return _later(job, holder, wait.seconds, "waits for the budget")
        except Unauthorized as error:
            return _stop(job, holder, _refused_key(error))
        except ApiError as error:
            return _stop(
                job,
                holder,
                note(gettext_noop("The flows could not be read: %(reason)s"), reason=error.message),
            )
        while time.monotonic() < ends:
            if not BulkJob.objects.filter(
                pk=job_id, state=BulkJob.State.RUNNING, lease_owner=holder
            ).exists():
                return "stopped"  # cancelled, or the lease was lost
            item = job.items.filter(state=Item.PENDING).first()
            if item is None:
                return _finish(job, holder)
            outcome = _work_on(job, item, api, pacer, holder)
            if outcome is not None:
                return outcome
        return _later(job, holder, 0, "continues")
    finally:
        BulkJob.objects.filter(pk=job_id).update(
            requests=job.requests + api.calls, rate_limited=job.rate_limited + pacer.rate_limited
        )


def _work_on(job, item, api, pacer, holder):
    """Send one item; None to go on with the next, or the slice's outcome when it must end."""
    BulkJob.objects.filter(pk=job.pk, lease_owner=holder).update(lease_until=_lease_until())
    claimed = BulkItem.objects.filter(pk=item.pk, state=Item.PENDING).update(
        state=Item.SENDING, attempts=item.attempts + 1, updated_at=timezone.now()
    )
    if not claimed:
        return None
    if item.before is not None and isinstance(api, WebsiteScoped):
        # Its website is known from the job's start: the write is checked without a read.
        api.remember_website(item.flow_id, item.before["website_id"])
    try:
        current = pacer.call(_read, api, item, max_wait=INLINE_WAIT)
        flow = pacer.call(_send, api, job, item, max_wait=INLINE_WAIT)
    except OtherWebsite:
        return _fail(
            job,
            item,
            holder,
            note(
                gettext_noop("Not one of the websites you may change (%(allowed)s): left as it was."),
                allowed=api.allowed,
            ),
        )
    except ConnectionGone:
        return _connection_gone(job)
    except NotFound as error:
        if job.action != Action.DELETE:
            return _fail(job, item, holder, server_words(error.message), error)
        return _done(job, item, gettext_noop("Already deleted."))
    except MustWait as wait:
        # Not sent: the item keeps its count of attempts.
        BulkItem.objects.filter(pk=item.pk).update(state=Item.PENDING, attempts=item.attempts)
        return _later(job, holder, wait.seconds, "waits for the budget")
    except Unavailable as error:
        if item.attempts + 1 >= ATTEMPTS:
            return _fail(job, item, holder, server_words(error.message), error)
        # The server is down or struggling: every item would fail alike, so the job waits a while
        # and sends this one again (writing the same values twice is harmless).
        BulkItem.objects.filter(pk=item.pk).update(
            state=Item.PENDING, **note(gettext_noop("Trying again: %(reason)s"), reason=error.message)
        )
        return _later(job, holder, UNAVAILABLE_PAUSE, "waits for the server")
    except ApiError as error:
        return _fail(job, item, holder, server_words(error.message), error)
    before = flow_values(current) if current is not None else item.before
    named = flow or current
    name = named.name if named else (before or {}).get("name")
    if name:
        item.name = name[:256]
    if named:
        item.website_id = named.website_id
    try:
        with transaction.atomic():
            _record(job, item, before, flow)
            return _done(job, item, gettext_noop("Deleted.") if job.action == Action.DELETE else "")
    except IntegrityError:
        # The connection was deleted during the write: its history entry has no connection left.
        if Connection.objects.filter(pk=job.connection_id).exists():
            raise
        return _connection_gone(job)


def _done(job, item, message):
    BulkItem.objects.filter(pk=item.pk).update(
        state=Item.DONE,
        **note(message),
        name=item.name,
        website_id=item.website_id,
        updated_at=timezone.now(),
    )
    return None


def _connection_gone(job):
    """The job went with its connection: nobody is left to read a note on it, the log says why."""
    logger.warning(
        "Bulk job %s: its connection (%s) was deleted; stopped before its next write",
        job.pk,
        job.connection_id,
    )
    return "stopped: its connection was deleted"


def _later(job, holder, seconds, outcome):
    """End the slice; the job's continuation runs in ``seconds``, and holds the lease until then."""
    BulkJob.objects.filter(pk=job.pk, lease_owner=holder).update(lease_until=_lease_until(seconds))
    _queue(job.pk, holder, seconds)
    return outcome


def _fail(job, item, holder, why, error=None):
    """The item failed, ``why`` being a note; ``error`` the ApiError that made it fail, if one did."""
    BulkItem.objects.filter(pk=item.pk).update(
        state=Item.FAILED, **why, name=item.name, updated_at=timezone.now()
    )
    if isinstance(error, Unauthorized):
        # Every other item would be refused too, each spending a request.
        return _stop(job, holder, _refused_key(error))
    return None


def _refused_key(error):
    return note(gettext_noop("The server refused the connection's API key: %(reason)s"), reason=error.message)


def _finish(job, holder):
    # Only when nothing is left: a retry may have put items back since the slice looked.
    left = BulkItem.objects.filter(job=OuterRef("pk"), state__in=[Item.PENDING, Item.SENDING])
    finished = (
        BulkJob.objects.filter(pk=job.pk, lease_owner=holder)
        .filter(~Exists(left))
        .update(state=BulkJob.State.FINISHED, finished_at=timezone.now(), lease_owner="", lease_until=None)
    )
    return "finished" if finished else _later(job, holder, 0, "continues")


def _stop(job, holder, why):
    """Stop the job for good, ``why`` being a note."""
    BulkJob.objects.filter(pk=job.pk, lease_owner=holder).update(
        state=BulkJob.State.STOPPED,
        **why,
        finished_at=timezone.now(),
        lease_owner="",
        lease_until=None,
    )
    return "stopped"


def cancel(job, user):
    """``user`` stops the job after the item under way: the items not sent yet are marked
    cancelled, and who cancelled it is kept on the job and in the connection's history."""
    now = timezone.now()
    with transaction.atomic():
        updated = BulkJob.objects.filter(pk=job.pk, state=BulkJob.State.RUNNING).update(
            state=BulkJob.State.CANCELLED, finished_at=now, cancelled_by=user, cancelled_at=now
        )
        if not updated:
            return False
        job.items.filter(state=Item.PENDING).update(state=Item.SKIPPED, updated_at=now)
        websites = set(job.items.values_list("website_id", flat=True))
        # A job of one website's flows is that website's entry (limited members see those only).
        website = websites.pop() if len(websites) == 1 else None
        record(user, job.connection, Kind.JOB_CANCEL, after={"job": job.pk, "website_id": website})
    return True


class IdenticalJobRunning(Exception):
    """A job cannot run again while an identical one (same action, same flows) is running."""


def retry(job, user, item_id=None):
    """``user`` sends the failed items (or one of them) again; a job that had ended runs again,
    with the items a stop left unsent. From now on the job writes with ``user``'s rights (the
    items were theirs to retry, not necessarily the starter's). Returns how many failed items
    will be sent again."""
    holder = get_random_string(32)
    items = job.items.filter(state=Item.FAILED)
    if item_id is not None:
        items = items.filter(pk=item_id)
    try:
        with transaction.atomic():
            count = items.update(
                state=Item.PENDING, **server_words(""), attempts=0, updated_at=timezone.now()
            )
            if job.state == BulkJob.State.STOPPED and item_id is None:
                # A job stopped for want of rights left its other flows unsent: resumed, they go too.
                job.items.filter(state=Item.SKIPPED).update(state=Item.PENDING, updated_at=timezone.now())
            waiting = job.items.filter(state=Item.PENDING).exists()
            restarted = waiting and BulkJob.objects.filter(pk=job.pk).exclude(
                state=BulkJob.State.RUNNING
            ).update(
                state=BulkJob.State.RUNNING,
                **server_words(""),
                finished_at=None,
                cancelled_by=None,
                cancelled_at=None,
                lease_owner=holder,
                lease_until=_lease_until(),
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
            if count or restarted:
                BulkJob.objects.filter(pk=job.pk).update(run_as=user)
    except IntegrityError:
        raise IdenticalJobRunning from None
    if restarted:
        _queue(job.pk, holder)
    return count


def resume_stalled():
    """Queue a new slice for every running job whose lease ran out (its worker died)."""
    stalled = BulkJob.objects.filter(state=BulkJob.State.RUNNING, lease_until__lt=timezone.now())
    for job_id in stalled.values_list("pk", flat=True):
        holder = get_random_string(32)
        taken = BulkJob.objects.filter(pk=job_id, lease_until__lt=timezone.now()).update(
            lease_owner=holder, lease_until=_lease_until()
        )
        if taken:
            logger.warning("Bulk job %s: its worker stopped answering; resuming it", job_id)
            _queue(job_id, holder)
