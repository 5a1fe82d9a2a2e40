"""Did a test arrive? A test send's outcome, read from the subscriber's logs (the record's
``is_sent`` says it was tried, not that it arrived: API_CONTRACT.md), and the record deleted once
the outcome is read (each record kept counts against the plan's personal-notification limit). The
page following a test and the worker, for a page closed first, both go through ``advance``."""

from datetime import timedelta

from django.utils import timezone

from flows_app.api import NotFound
from sends.models import TestSend

# How long a page follows a test: long enough for a phone to wake and show it.
FOLLOW = timedelta(minutes=3)
FIRST_POLL_SECONDS = 2
POLL_SECONDS = 10
# What each log entry says of the push, by the order in which a later one tells more.
FROM_LOGS = {
    "push_notification_sent": "sent",
    "displayed_notification": "displayed",
    "closed_notification": "closed",
    "clicked_notification": "clicked",
    "push_notification_failed": "failed",
}
# "expired": no entry names the push and the subscriber is gone, as after a 410 (the server's
# expired_deleted entry carries no ids); "pending": neither yet.
ORDER = ("", "pending", "sent", "displayed", "closed", "clicked", "failed", "expired")
FINAL = {"closed", "clicked", "failed", "expired"}


def outcome_of(logs):
    """The furthest outcome the log entries of one push tell, or ""."""
    found = [FROM_LOGS[log.type] for log in logs if log.type in FROM_LOGS]
    return max(found, key=ORDER.index, default="")


def _direct(function, *args, **kwargs):
    return function(*args, **kwargs)


def advance(api, send, call=_direct, now=None):
    """Read ``send``'s outcome (one call; one more the first time no entry names it), and delete
    the server's record once the outcome is final or the follow is over. ``call`` sends each
    request: at once for a page, paced for the worker (flows_app.api.budget.Pacer)."""
    now = now or timezone.now()
    logs = call(api.list_logs, 1, 10, fresh=True, personal_notification_id=send.notification_id)
    outcome = outcome_of(logs.items)
    if not outcome and send.outcome == "":
        try:
            call(api.get_subscriber, send.subscriber_id, fresh=True)
            outcome = "pending"
        except NotFound:
            outcome = "expired"
    send.outcome = max(outcome, send.outcome, key=ORDER.index)
    if send.outcome in FINAL or now - send.sent_at >= FOLLOW:
        call(api.delete_personal_notification, send.notification_id)
        send.cleaned_at = now
    send.save(update_fields=["outcome", "cleaned_at"])
    return send


def unfollowed(now=None):
    """Test sends whose page stopped following them before their record was deleted."""
    now = now or timezone.now()
    # A minute more than a page follows: an open page finishes its own.
    return TestSend.objects.filter(cleaned_at__isnull=True, sent_at__lt=now - FOLLOW - timedelta(minutes=1))
