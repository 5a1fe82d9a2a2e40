"""Demo data for the sandbox: accounts with websites and segments, realistic flows, and 90 days of
history that tells one story: subscribers arrived over time, each was queued for the flows of their
website and sent to at the flow's wait, with the engine's outcomes, and every counter is the count
of the events behind it (sandbox/engine.py). The back-fill is computed in memory and written in bulk,
so `make run` starts in a few seconds; the live tick (`sandbox_tick`) then runs the real engine."""

import random
import secrets
from datetime import timedelta

from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from . import engine
from .models import (
    DEFAULT_TTL,
    TTL_CHOICES,
    WAIT_TIME_MAX,
    ApiAccount,
    Flow,
    QueuedPush,
    Segment,
    Subscriber,
    SubscriberLog,
    Website,
)

# Name, host, subscribers arrived in its life, and its segments: name, type, and a custom
# segment's share of the subscribers or a filter segment's rule.
WEBSITES = [
    (
        "Northwind Outfitters",
        "shop.northwind.example",
        300,
        [("Returning customers", "custom", 0.35), ("Newsletter subscribers", "custom", 0.5)],
    ),
    (
        "The Daily Grind",
        "blog.dailygrind.example",
        150,
        [
            ("Coffee lovers", "custom", 0.4),
            ("Weekly digest", "filter", {"device_type": ["desktop", "tablet"]}),
        ],
    ),
    (
        "Lumen Analytics",
        "app.lumen.example",
        70,
        [("Trial users", "custom", 0.35), ("Paying customers", "custom", 0.3)],
    ),
]
# How long before today the demo websites were created; their subscribers arrived since.
WEBSITE_AGE = timedelta(days=200)
# Only an account's first flows get a history: the back-fill stays quick however many flows a
# test or benchmark asks for; the flows beyond these are created now, so nobody has reached them.
HISTORY_FLOWS = 60
# Besides the subscribers kept, this share more came, were sent to, and were found expired.
GHOST_SHARE = 0.03

# Flow templates: name | title | description | path | button title (or nothing) | wait. The en
# dashes are deliberate: real names are not plain ASCII. A wait matches what the name promises.
TEMPLATES = [
    [cell.strip() for cell in line.split("|")]
    for line in """
Welcome series – day 1 | Welcome aboard! | Thanks for subscribing. Here is what to expect. | /welcome | | 1 days
Welcome series – day 3 | Getting started | Three tips to get the most out of your account. | /tips | Read tips | 3 days
Welcome series – day 7 | One week in | See what other members loved this week. | /popular | Explore | 7 days
Abandoned cart reminder | You left something behind | Your cart is waiting. Complete your order. | /cart | View cart | 30 minutes
Abandoned cart – last call | Still thinking it over? | Items in your cart are selling fast. | /cart | Checkout | 1 days
Flash sale teaser | 24-hour flash sale | Up to 40% off our best sellers, today only. | /sale | Shop now | 2 hours
Win-back – 30 days | We miss you | It has been a while. Here is 10% off your next order. | /comeback | Claim 10% | 30 days
Review request | How did we do? | Tell us about your last order in 30 seconds. | /review | Leave a review | 7 days
New post digest | Fresh from the blog | This week's most-read stories, picked for you. | /digest | | 12 hours
Trial ending soon | Your trial ends in 3 days | Keep your dashboards: pick a plan that fits. | /pricing | See plans | 11 days
Feature announcement | New: scheduled reports | Get your numbers in your inbox every Monday. | /changelog | Learn more | 2 days
Onboarding nudge | Finish setting up | Connect your first data source in two minutes. | /setup | Continue | 2 hours
Loyalty points reminder | Your points are waiting | Spend your points before they expire. | /rewards | Redeem | 14 days
Back in stock | It's back! | The item you viewed is back in stock. | /restock | Buy now | 3 days
Weekend brew guide | Brew better this weekend | A simple pour-over recipe for slow mornings. | /guides/pour-over | | 5 days
Upgrade offer | Unlock more with Pro | Team seats, alerts and exports. 20% off this week. | /upgrade | Upgrade | 21 days
""".strip().splitlines()  # noqa: RUF001
]
LOG_COLUMNS = (
    "account",
    "website",
    "subscriber_id",
    "flow_id",
    "campaign_id",
    "personal_notification_id",
    "rss_automation_id",
    "ip",
    "type",
    "datetime",
)
UTM_CAMPAIGNS = ["welcome", "cart-recovery", "flash-sale", "winback", "digest", "trial"]


def ensure_account(api_key=None, name="Sandbox user"):
    """The account for api_key (a new random key when None), with its three demo websites."""
    api_key = api_key or secrets.token_hex(16)
    account = ApiAccount.objects.with_key(api_key).first()
    if account is None:
        account = ApiAccount(name=name)
        account.set_key(api_key)
        account.save()
    if not account.websites.exists():
        for site_name, host, _subscribers, segments in WEBSITES:
            website = Website.objects.create(
                account=account,
                name=site_name,
                host=host,
                datetime=timezone.now() - WEBSITE_AGE,
                vapid_public_key=secrets.token_urlsafe(65),
                vapid_private_key=secrets.token_urlsafe(32),
            )
            Segment.objects.bulk_create(
                Segment(website=website, name=segment, type=kind, rule=rule if kind == "filter" else {})
                for segment, kind, rule in segments
            )
        ensure_people(account)
    return account


def ensure_people(account, now=None, rng=None):
    """The subscribers of the account's demo websites, arrived over the websites' life (more lately:
    a website grows), with their custom segments and the subscribed entries the retention keeps."""
    if account.subscribers.exists():
        return
    now = now or timezone.now()
    rng = rng or random.Random(25)
    websites = {website.host: website for website in account.websites.prefetch_related("segments")}
    people, joined, segments = [], [], []
    for _name, host, arrivals, specs in WEBSITES:
        website = websites.get(host)
        if website is None:
            continue
        shares = {name: spec for name, kind, spec in specs if kind == "custom"}
        site_segments = list(website.segments.all())
        for segment in site_segments:
            segment.total_subscribers = 0
        site_people = []
        for _ in range(arrivals):
            subscribed = website.datetime + (now - website.datetime) * rng.random() ** 0.7
            subscriber = Subscriber(**engine.visitor(website, rng), datetime=subscribed)
            custom = [segment for segment in site_segments if rng.random() < shares.get(segment.name, 0)]
            joined += [(subscriber, segment) for segment in custom]
            site_people.append(subscriber)
            for segment in site_segments:
                if segment in custom or (segment.type == "filter" and segment.includes(subscriber)):
                    segment.total_subscribers += 1
        website.total_subscribers = len(site_people)
        people += site_people
        segments += site_segments
    with transaction.atomic():
        Subscriber.objects.bulk_create(people)
        Membership = Segment.members.through
        Membership.objects.bulk_create(
            Membership(segment_id=segment.pk, subscriber_id=subscriber.pk) for subscriber, segment in joined
        )
        _insert_logs(
            account,
            [(person, "subscribed", person.datetime, None, False) for person in people],
            now - engine.LOG_RETENTION,
        )
        Segment.objects.bulk_update(segments, ["total_subscribers"])
        Website.objects.bulk_update(websites.values(), ["total_subscribers"])


def _insert_logs(account, entries, kept_from):
    """Write log entries (subscriber, type, datetime, flow or None, anonymous) in one executemany,
    without a model instance each; those older than kept_from are gone (the server's purge)."""
    columns = ", ".join(SubscriberLog._meta.get_field(name).column for name in LOG_COLUMNS)
    # The table's and columns' names come from the model; the values are parameters.
    insert = f"INSERT INTO {SubscriberLog._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * len(LOG_COLUMNS))})"  # noqa: S608
    rows = [
        (
            account.pk,
            subscriber.website_id,
            # expired_deleted names neither the subscriber nor the flow, and masks the IP.
            0 if anonymous else subscriber.pk,
            flow.pk if flow is not None and not anonymous else 0,
            0,
            0,
            0,
            engine.masked_ip(subscriber.ip) if anonymous else subscriber.ip,
            kind,
            db_connection.ops.adapt_datetimefield_value(when),
        )
        for subscriber, kind, when, flow, anonymous in sorted(entries, key=lambda entry: entry[2])
        if when >= kept_from
    ]
    with db_connection.cursor() as cursor:
        cursor.executemany(insert, rows)


def create_flows(account, count, rng=None, now=None):
    """Bulk-create count demo flows spread over the account's websites (fast enough for 10,000).
    An account's first demo flows come with their history: what they sent the account's
    subscribers, how it fared, and the queue still waiting."""
    rng = rng or random.Random(7)
    now = now or timezone.now()
    websites = list(account.websites.prefetch_related("segments").order_by("id"))
    start = account.flows.count()
    flows = []
    for number in range(start, start + count):
        name, title, description, path, button, wait = TEMPLATES[number % len(TEMPLATES)]
        website = websites[number % len(websites)]
        # Each template appears once on each website before a name repeats (16 templates, 3 websites:
        # coprime counts, so number -> (template, website) runs through every pair).
        round_ = number // (len(TEMPLATES) * len(websites))
        wait_time, wait_time_type = wait.split()
        # Created in the last 180 days; the engine's rule holds: only later subscribers reach it.
        created = now - timedelta(days=rng.uniform(1, 180)) if number < HISTORY_FLOWS else now
        with_utm = rng.random() < 0.5
        second_button = button and rng.random() < 0.3
        segments = [str(segment.id) for segment in website.segments.all()]
        flows.append(
            Flow(
                account=account,
                website=website,
                name=f"{name} (v{round_ + 1})" if round_ else name,
                title=title,
                description=description,
                url=f"https://{website.host}{path}",
                segment=rng.choice(["all", "all", *segments]),
                ttl=rng.choice([DEFAULT_TTL, DEFAULT_TTL, 86400, 604800, *TTL_CHOICES[1:4]]),
                urgency=rng.choice(["normal", "normal", "high", "low"]),
                is_silent=rng.random() < 0.1,
                is_auto_hide=rng.random() < 0.2,
                button_title_1=button,
                button_url_1=f"https://{website.host}{path}" if button else "",
                button_title_2="See all offers" if second_button else "",
                button_url_2=f"https://{website.host}/offers" if second_button else "",
                utm_source="push" if with_utm else "",
                utm_medium="flow" if with_utm else "",
                utm_campaign=rng.choice(UTM_CAMPAIGNS) if with_utm else "",
                wait_time=min(int(wait_time), WAIT_TIME_MAX[wait_time_type]),
                wait_time_type=wait_time_type,
                is_enabled=rng.random() > 0.15,
                datetime=created,
            )
        )
    with transaction.atomic():
        Flow.objects.bulk_create(flows, batch_size=1000)
        if start < HISTORY_FLOWS:
            _History(account, websites, flows[: HISTORY_FLOWS - start], now, rng).write()
    return len(flows)


class _History:
    """The engine's past for new flows, played in memory: each subscriber who came after a flow
    (while it was on, and in its audience) was queued and sent to at the flow's wait, with the
    engine's outcomes; a few more people came, were sent to and found expired (deleted, as the
    sender does). Then every row and counter is written at once. Entries older than the log
    retention are counted but not kept, as the server's cron has purged them."""

    def __init__(self, account, websites, flows, now, rng):
        self.account, self.now, self.rng = account, now, rng
        self.flows = flows
        self.shares = {flow.pk: engine.shares_of(flow) for flow in flows}
        self.websites = websites
        self.subscribers = list(account.subscribers.all())
        self.ghosts, self.logs, self.queue = [], [], []
        joined = {}
        for subscriber_id, segment_id in Segment.members.through.objects.filter(
            subscriber__account=account
        ).values_list("subscriber_id", "segment_id"):
            joined.setdefault(subscriber_id, set()).add(segment_id)
        for website in websites:
            self._website(website, joined)

    def _website(self, website, joined):
        segments = list(website.segments.all())
        flows = [flow for flow in self.flows if flow.website_id == website.id]
        if not flows:
            return
        # A paused flow was paused some time after it was created: it took subscribers till then.
        open_until = {
            flow.pk: self.now
            if flow.is_enabled
            else flow.datetime + (self.now - flow.datetime) * self.rng.uniform(0.3, 0.9)
            for flow in flows
        }

        def pushes(subscriber, custom):
            audience = {
                str(segment.pk)
                for segment in segments
                if (segment.pk in custom if segment.type == "custom" else segment.includes(subscriber))
            }
            reached = [
                flow
                for flow in flows
                if flow.datetime <= subscriber.datetime <= open_until[flow.pk]
                and (flow.segment == "all" or flow.segment in audience)
            ]
            return sorted(
                ((subscriber.datetime + engine.wait_of(flow), flow) for flow in reached),
                key=lambda push: push[0],
            )

        people = [subscriber for subscriber in self.subscribers if subscriber.website_id == website.id]
        for subscriber in people:
            due = pushes(subscriber, joined.get(subscriber.pk, set()))
            self._sends(website, subscriber, [push for push in due if push[0] <= self.now])
            self.queue += [(subscriber, flow, when) for when, flow in due if when > self.now]
        for _ in range(round(len(people) * GHOST_SHARE)):
            ghost = Subscriber(
                **engine.visitor(website, self.rng),
                datetime=website.datetime + (self.now - website.datetime) * self.rng.random() ** 0.7,
            )
            sent = [push for push in pushes(ghost, set()) if push[0] <= self.now]
            if sent:
                self.ghosts.append(ghost)
                self.logs.append((ghost, "subscribed", ghost.datetime, None, False))
                self._sends(website, ghost, sent, expires_at=self.rng.randrange(len(sent)))

    def _sends(self, website, subscriber, pushes, expires_at=None):
        """The subscriber's pushes, in order, until the one that finds the subscription expired."""
        for number, (due, flow) in enumerate(pushes):
            if number == expires_at:
                self.logs.append((subscriber, "expired_deleted", due, flow, True))
                self._count(website, flow, None, ["expired_deleted"], due)
                return
            shares = self.shares[flow.pk]
            result = engine.outcome(subscriber, self.rng, shares.failed, can_expire=False)
            seen = shares.reactions(self.rng) if self.account.analytics_is_enabled else []
            kinds = ["push_notification_sent", *seen] if result == "sent" else []
            kinds = kinds or ["push_notification_failed"]
            self.logs += [(subscriber, kind, due, flow, False) for kind in kinds]
            self._count(website, flow, subscriber, kinds, due)

    def _count(self, website, flow, subscriber, kinds, when):
        for kind in kinds:
            name = f"total_{engine.COUNTED[kind]}_push_notifications"
            for item in (website, flow, subscriber):
                if item is not None:
                    setattr(item, name, getattr(item, name) + 1)
        for item in (flow, subscriber):
            if item is not None:
                item.last_sent_datetime = max(item.last_sent_datetime or when, when)

    def write(self):
        totals = [f"total_{counter}_push_notifications" for counter in engine.COUNTERS]
        Subscriber.objects.bulk_create(self.ghosts)
        _insert_logs(self.account, self.logs, self.now - engine.LOG_RETENTION)
        # Found expired: deleted; their earlier entries stay, as on the server.
        Subscriber.objects.filter(pk__in=[ghost.pk for ghost in self.ghosts]).delete()
        QueuedPush.objects.bulk_create(
            QueuedPush(flow=flow, subscriber=subscriber, due=due) for subscriber, flow, due in self.queue
        )
        _update(
            Subscriber,
            [person for person in self.subscribers if person.last_sent_datetime],
            [*totals, "last_sent_datetime"],
        )
        _update(Flow, self.flows, [*totals, "last_sent_datetime"])
        _update(Website, self.websites, totals)


def _update(model, items, fields):
    """Save fields of many rows in one executemany: bulk_update's CASE expressions take seconds
    for a few thousand rows."""
    meta = model._meta
    assignments = ", ".join(f"{meta.get_field(name).column} = %s" for name in fields)
    # The table's and columns' names come from the model; the values are parameters.
    update = f"UPDATE {meta.db_table} SET {assignments} WHERE {meta.pk.column} = %s"  # noqa: S608
    rows = [
        [meta.get_field(name).get_db_prep_save(getattr(item, name), db_connection) for name in fields]
        + [item.pk]
        for item in items
    ]
    with db_connection.cursor() as cursor:
        cursor.executemany(update, rows)
