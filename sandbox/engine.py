"""The server's engine, as API_CONTRACT.md reads it from the server's code ("What the server does
with a flow", "Subscribers, their logs and personal notifications"): subscribers arrive and are
queued for the website's enabled flows, a sender sends what is due, browsers display, click and
close, and every step is a log entry that the flow's, the website's and the subscriber's counters
follow.

Every function takes `now` (so tests drive it with a fake clock) and a `random.Random` (seeded by
the caller: the demo and the tests are deterministic). The demo's back-fill (sandbox/demo.py) draws
its outcomes with the same functions, in bulk.
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.db import transaction
from django.db.models import F

from .models import Flow, PersonalNotification, QueuedPush, Segment, Subscriber, SubscriberLog, Website

# A push service refuses 2-6 % of pushes (a 4xx/5xx other than 410) ...
FAILED_SHARE = (0.02, 0.06)
# ... and answers 410 for a few: the browser dropped the subscription.
EXPIRED_SHARE = 0.01
# Of the pushes delivered, browsers display most; people click some and close some of the rest.
DISPLAYED_SHARE = (0.75, 0.95)
CLICKED_SHARE = (0.02, 0.15)
CLOSED_SHARE = (0.1, 0.5)
# The admin's log retention (the server's default), purged by its cron.
LOG_RETENTION = timedelta(days=90)
# The server's cron sends at most this many scheduled personal notifications a minute.
SCHEDULED_PER_MINUTE = 100
# A live tick brings a new subscriber to a website this often.
ARRIVAL_CHANCE = 0.3
# Where subscribers come from: city, country, continent, browser language.
PLACES = [
    ("Berlin", "DE", "EU", "de-DE"),
    ("Paris", "FR", "EU", "fr-FR"),
    ("London", "GB", "EU", "en-GB"),
    ("New York", "US", "NA", "en-US"),
    ("Austin", "US", "NA", "en-US"),
    ("Toronto", "CA", "NA", "en-CA"),
    ("São Paulo", "BR", "SA", "pt-BR"),
    ("Shanghai", "CN", "AS", "zh-CN"),
    ("Tokyo", "JP", "AS", "ja-JP"),
    ("Sydney", "AU", "OC", "en-AU"),
]
# Device, operating system, browser.
DEVICES = [
    ("desktop", "Windows", "Chrome"),
    ("desktop", "Windows", "Edge"),
    ("desktop", "OS X", "Safari"),
    ("desktop", "Linux", "Firefox"),
    ("mobile", "Android", "Chrome"),
    ("mobile", "iOS", "Safari"),
    ("tablet", "iOS", "Safari"),
    ("tablet", "Android", "Chrome"),
]
PAGES = ["/", "/", "/blog", "/pricing", "/products", "/about"]
COUNTERS = ("sent", "displayed", "clicked", "closed")
# Log types the counters follow, by counter.
COUNTED = {
    "push_notification_sent": "sent",
    "push_notification_failed": "sent",
    "expired_deleted": "sent",
    "displayed_notification": "displayed",
    "clicked_notification": "clicked",
    "closed_notification": "closed",
}


def wait_of(flow):
    return timedelta(**{flow.wait_time_type: flow.wait_time})


def visitor(website, rng):
    """The fields of a new subscriber of website: where they are, their browser, their page."""
    city, country, continent, language = rng.choice(PLACES)
    device, os_name, browser = rng.choice(DEVICES)
    token = rng.getrandbits(128).to_bytes(16, "big").hex()
    return {
        "account_id": website.account_id,
        "website_id": website.id,
        "unique_endpoint_id": token,
        "endpoint_url": f"https://fcm.googleapis.com/fcm/send/{token}",
        "endpoint_p256dh": rng.getrandbits(512).to_bytes(64, "big").hex()[:87],
        "endpoint_auth": rng.getrandbits(128).to_bytes(16, "big").hex()[:22],
        "ip": f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "city_name": city,
        "country_code": country,
        "continent_code": continent,
        "browser_language": language,
        "device_type": device,
        "os_name": os_name,
        "browser_name": browser,
        "subscribed_on_url": f"{website.scheme}{website.host}{website.path}{rng.choice(PAGES)}",
    }


def reaches(flow, subscriber, segments):
    """Whether flow's audience includes subscriber; segments: the website's, by id as a string."""
    if flow.segment == "all":
        return True
    segment = segments.get(flow.segment)
    return segment is not None and segment.includes(subscriber)


def outcome(subscriber, rng, failed_share, can_expire=True):
    """What the browser's push service answers a push: "sent" (2xx), "failed", or "expired" (410).
    can_expire=False: the answer for a subscription known to last (the demo's kept subscribers)."""
    if subscriber.is_expired:
        return "expired"
    roll = rng.random()
    if can_expire:
        if roll < EXPIRED_SHARE:
            return "expired"
        roll = (roll - EXPIRED_SHARE) / (1 - EXPIRED_SHARE)
    return "failed" if roll < failed_share else "sent"


@dataclass(frozen=True)
class Shares:
    """How one flow's (or one account's) pushes fare; drawn once, so that each has its own rates."""

    failed: float
    displayed: float
    clicked: float
    closed: float

    @classmethod
    def draw(cls, rng):
        return cls(
            *(rng.uniform(*bounds) for bounds in (FAILED_SHARE, DISPLAYED_SHARE, CLICKED_SHARE, CLOSED_SHARE))
        )

    def reactions(self, rng):
        """The log types a delivered push leads to, in order: displayed, then clicked or closed."""
        if rng.random() >= self.displayed:
            return []
        if rng.random() < self.clicked:
            return ["displayed_notification", "clicked_notification"]
        if rng.random() < self.closed:
            return ["displayed_notification", "closed_notification"]
        return ["displayed_notification"]


def shares_of(item):
    """A flow's or personal notification's own rates: the same every time for the same record."""
    return Shares.draw(random.Random(f"{type(item).__name__}:{item.pk}"))


def with_utm(url, item):
    """The server appends the UTM fields to a link when it sends the push."""
    if not url:
        return url
    utm = {f"utm_{name}": getattr(item, f"utm_{name}") for name in ("source", "medium", "campaign")}
    utm = {name: value for name, value in utm.items() if value}
    if not utm:
        return url
    parts = urlsplit(url)
    query = "&".join(part for part in (parts.query, urlencode(utm)) if part)
    return urlunsplit(parts._replace(query=query))


def payload(item):
    """What the browser receives: the flow's (or personal notification's) message as it is now."""
    return {
        "title": item.title,
        "description": item.description,
        "url": with_utm(item.url, item),
        "image": item.image,
        "buttons": [
            (item.button_title_1, with_utm(item.button_url_1, item)),
            (item.button_title_2, with_utm(item.button_url_2, item)),
        ],
        "ttl": item.ttl,
        "urgency": item.urgency,
    }


@dataclass
class Delivery:
    """One push the sender sent: to whom, for what, with which message and how it fared."""

    subscriber_id: int
    flow_id: int
    personal_notification_id: int
    payload: dict
    outcome: str
    logs: list = field(default_factory=list)


def masked_ip(ip):
    """An IP as the server keeps it when it must not: every digit (hexadecimal too) a star."""
    return "".join("*" if char.isalnum() else char for char in ip)


@transaction.atomic
def subscribe(website, now, rng, segments=(), **fields):
    """A browser subscribes to website at now: the subscriber, its log, and its queue for every
    enabled flow of the website whose audience includes them. segments: the custom segments it
    joins. fields override the drawn ones (e.g. country_code)."""
    subscriber = Subscriber.objects.create(**{**visitor(website, rng), **fields, "datetime": now})
    subscriber.custom_segments.set(segments)
    _log(subscriber, "subscribed", now)
    website_segments = {str(segment.pk): segment for segment in website.segments.all()}
    Website.objects.filter(pk=website.pk).update(total_subscribers=F("total_subscribers") + 1)
    for segment in website_segments.values():
        if segment.includes(subscriber):
            Segment.objects.filter(pk=segment.pk).update(total_subscribers=F("total_subscribers") + 1)
    QueuedPush.objects.bulk_create(
        QueuedPush(flow=flow, subscriber=subscriber, due=now + wait_of(flow))
        for flow in website.flows.filter(is_enabled=True)
        if reaches(flow, subscriber, website_segments)
    )
    return subscriber


@transaction.atomic
def remove(subscriber, now):
    """DELETE /api/subscribers/{id}: the subscriber goes (with its queue), a manually_deleted
    entry stays."""
    _log(subscriber, "manually_deleted", now)
    _forget(subscriber)


def send_due(now, rng, accounts=None):
    """The sender: every queued push due by now, whatever its flow's is_enabled, with the flow's
    message read now. Returns the Deliveries."""
    due = (
        QueuedPush.objects.filter(due__lte=now)
        .select_related("flow", "subscriber__account")
        .order_by("due", "id")
    )
    if accounts is not None:
        due = due.filter(flow__account__in=accounts)
    deliveries, gone = [], set()
    for push in due:
        with transaction.atomic():
            # Taking the row off the queue is the claim: a second sender running finds it gone.
            if not QueuedPush.objects.filter(pk=push.pk).delete()[0] or push.subscriber_id in gone:
                continue
            delivery = _send(push.flow, push.subscriber, now, rng, flow=push.flow)
            if delivery.outcome == "expired":
                gone.add(push.subscriber_id)
            deliveries.append(delivery)
    return deliveries


def send_personal(notification, now, rng):
    """Send a personal notification now (inside the request, or from the cron when scheduled)."""
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_related("account").filter(pk=notification.subscriber_id).first()
        )
        notification.is_sent = True
        notification.status = "sent"
        notification.sent_datetime = now
        delivery = None
        if subscriber is not None:
            delivery = _send(notification, subscriber, now, rng, personal=notification)
            types = set(delivery.logs)
            notification.is_displayed = "displayed_notification" in types
            notification.is_clicked = "clicked_notification" in types
            notification.is_closed = "closed_notification" in types
        notification.save()
    return delivery


def send_scheduled(now, rng, accounts=None):
    """The server's cron: scheduled personal notifications due by now, SCHEDULED_PER_MINUTE at most
    in any clock minute."""
    minute = now.replace(second=0, microsecond=0)
    done = PersonalNotification.objects.filter(
        is_scheduled=True, status="sent", sent_datetime__gte=minute
    ).count()
    due = PersonalNotification.objects.filter(status="scheduled", scheduled_datetime__lte=now)
    if accounts is not None:
        due = due.filter(account__in=accounts)
    due = due.order_by("scheduled_datetime", "id")[: max(SCHEDULED_PER_MINUTE - done, 0)]
    return [send_personal(notification, now, rng) for notification in due]


def purge_logs(now, accounts=None):
    """The cron's purge of the entries older than the retention; how many went."""
    old = SubscriberLog.objects.filter(datetime__lt=now - LOG_RETENTION)
    if accounts is not None:
        old = old.filter(account__in=accounts)
    return old.delete()[0]


def tick(now, rng, accounts=None):
    """One turn of the server: some visitors subscribe, the sender and the cron run, old logs go."""
    websites = Website.objects.filter(is_enabled=True).order_by("id")
    if accounts is not None:
        websites = websites.filter(account__in=accounts)
    arrived = 0
    for website in websites:
        if rng.random() < ARRIVAL_CHANCE:
            custom = [segment for segment in website.segments.filter(type="custom") if rng.random() < 0.4]
            subscribe(website, now, rng, segments=custom)
            arrived += 1
    sent = send_due(now, rng, accounts) + send_scheduled(now, rng, accounts)
    return {"subscribed": arrived, "sent": len(sent), "purged": purge_logs(now, accounts)}


def _send(item, subscriber, now, rng, flow=None, personal=None):
    """Push item's message to subscriber: the log entries, and the counters that follow them."""
    shares = shares_of(item)
    delivery = Delivery(
        subscriber_id=subscriber.pk,
        flow_id=flow.pk if flow else 0,
        personal_notification_id=personal.pk if personal else 0,
        payload=payload(item),
        outcome=outcome(subscriber, rng, shares.failed),
    )
    ids = {"flow_id": delivery.flow_id, "personal_notification_id": delivery.personal_notification_id}
    if delivery.outcome == "expired":
        # API_CONTRACT.md: a 410 logs expired_deleted with neither subscriber nor flow id, IP masked.
        SubscriberLog.objects.create(
            account_id=subscriber.account_id,
            website_id=subscriber.website_id,
            ip=masked_ip(subscriber.ip),
            type="expired_deleted",
            datetime=now,
        )
        delivery.logs = ["expired_deleted"]
        _count(flow, subscriber, ["expired_deleted"], now, subscriber_too=False)
        _forget(subscriber)
        return delivery
    # Displays, clicks and closes are recorded only with the plan's analytics.
    seen = delivery.outcome == "sent" and subscriber.account.analytics_is_enabled
    delivery.logs = [
        "push_notification_sent" if delivery.outcome == "sent" else "push_notification_failed",
        *(shares.reactions(rng) if seen else []),
    ]
    for kind in delivery.logs:
        _log(subscriber, kind, now, **ids)
    _count(flow, subscriber, delivery.logs, now)
    return delivery


def _count(flow, subscriber, kinds, now, subscriber_too=True):
    """Add the log entries to the counters: the flow's (none for a personal notification), the
    website's, and the subscriber's unless it is gone."""
    added = {}
    for kind in kinds:
        name = f"total_{COUNTED[kind]}_push_notifications"
        added[name] = added.get(name, 0) + 1
    increments = {name: F(name) + value for name, value in added.items()}
    if flow is not None:
        Flow.objects.filter(pk=flow.pk).update(**increments, last_sent_datetime=now)
    Website.objects.filter(pk=subscriber.website_id).update(**increments)
    if subscriber_too:
        Subscriber.objects.filter(pk=subscriber.pk).update(**increments, last_sent_datetime=now)


def _log(subscriber, kind, now, **ids):
    SubscriberLog.objects.create(
        account_id=subscriber.account_id,
        website_id=subscriber.website_id,
        subscriber_id=subscriber.pk,
        ip=subscriber.ip,
        type=kind,
        datetime=now,
        **ids,
    )


def _forget(subscriber):
    """The subscriber goes, and with them their place in the website's and segments' counts."""
    website = subscriber.website
    for segment in website.segments.all():
        if segment.includes(subscriber) and segment.total_subscribers:
            Segment.objects.filter(pk=segment.pk).update(total_subscribers=F("total_subscribers") - 1)
    Website.objects.filter(pk=website.pk, total_subscribers__gt=0).update(
        total_subscribers=F("total_subscribers") - 1
    )
    subscriber.delete()
