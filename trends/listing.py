"""What the flows list shows of each flow's trend: a 14-day sparkline and its last 7 days (sent,
clicked, click rate), read for a whole page in one query; flows/rows.py draws their cells."""

import hashlib

from django.core.cache import cache
from django.utils import timezone

from flows_app.after_response import after_response
from trends.models import Snapshot
from trends.series import recent

# A page's figures stay in the cache this long at most (they change with a snapshot, a day).
WEEKS_SECONDS = 3600


def history_mark(connection):
    """The connection's last snapshot taken (its id), None before the first: the figures of the
    list change only when one is taken. One small query, which the list makes while the API answers."""
    taken = Snapshot.objects.filter(connection=connection, taken_at__isnull=False)
    return taken.order_by("-taken_at").values_list("pk", flat=True).first()


def weeks_of(connection, flows, mark):
    """{flow id: Recent} of a page of flows (``mark``: history_mark, read before).

    From the cache while the connection's history is as it was when the same page was last drawn
    (a Refresh, a page seen again once its flows' cache ran out): the two queries otherwise cost
    about 4 ms of the page's answer, after the flows arrive. No history yet: nothing to read."""
    if mark is None:
        return {}
    ids = [flow.id for flow in flows]
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()
    # Whole days before today: the figures move on at midnight too.
    key = f"trends:weeks:{connection.pk}:{mark}:{timezone.now().date()}:{digest}"
    weeks = cache.get(key)
    if weeks is None:
        weeks = recent(connection, ids)
        after_response(cache.set, key, weeks, WEEKS_SECONDS)
    return weeks
