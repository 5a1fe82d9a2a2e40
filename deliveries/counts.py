"""What reached people of one flow: its log entries counted by kind over the logs' window.

A flow's ``total_sent`` counts attempts, failed ones included; what arrived is only in the
subscribers' logs (API_CONTRACT.md, "How a send is logged"): ``push_notification_sent`` for a
delivery, ``push_notification_failed`` for a push the browser's push service refused, and for a
subscription found gone an ``expired_deleted`` entry that names no flow. So the flow's share of
gone subscriptions is what its attempts leave once delivered and failed are taken away, the
attempts being those Pushdeck's own snapshots counted over the same window.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from deliveries.zone import from_server_clock, on_server_clock, server_zone

# Each kind the page shows costs one call (a count is the smallest page's meta, API_CONTRACT.md).
KINDS = {
    "delivered": "push_notification_sent",
    "failed": "push_notification_failed",
    "displayed": "displayed_notification",
    "clicked": "clicked_notification",
    "closed": "closed_notification",
}


@dataclass(frozen=True)
class Deliveries:
    """One flow's deliveries from ``since`` (the server's wall clock) until now."""

    delivered: int
    failed: int
    displayed: int
    clicked: int
    closed: int
    since: dt.datetime
    # Whether ``since`` is the start of the logs' window (else the flow's creation, within it).
    whole_window: bool
    # Attempts over the same time, None when Pushdeck's record does not reach back that far.
    attempts: int | None

    @property
    def answered(self):
        return self.delivered + self.failed

    @property
    def failure_rate(self):
        """Of the pushes a browser's push service answered, the share it refused; None before any."""
        return self.failed / self.answered if self.answered else None

    @property
    def expired(self):
        """Attempts that found the subscription gone; None when the attempts are not known."""
        return None if self.attempts is None else max(0, self.attempts - self.answered)

    @property
    def expired_share(self):
        return self.expired / self.attempts if self.attempts else None

    @property
    def click_rate(self):
        """Clicked ÷ displayed, as everywhere in the product."""
        return self.clicked / self.displayed if self.displayed else None


def window_days():
    return settings.FLOWS_LOG_RETENTION_DAYS


def of_flow(api, flow, attempts_since, now=None):
    """``flow``'s Deliveries: one call per kind, sent together, each cached as the API layer caches
    reads (a second look within the cache's life costs none). ``attempts_since(moment)``: the
    flow's attempts counted by Pushdeck from that aware moment on, or None where it cannot say.
    Raises ApiError when the logs cannot be read."""
    zone = server_zone(api.names())
    now = now or timezone.now()
    window_start = on_server_clock(now - dt.timedelta(days=window_days()), zone)
    counts = api.log_counts(tuple(KINDS.values()), flow_id=flow.id)
    created_within = flow.datetime is not None and flow.datetime >= window_start
    # A flow created within the window: its running total is the window's attempts.
    attempts = flow.total_sent if created_within else attempts_since(from_server_clock(window_start, zone))
    return Deliveries(
        **{name: counts[kind] for name, kind in KINDS.items()},
        since=flow.datetime if created_within else window_start,
        whole_window=not created_within,
        attempts=attempts,
    )
