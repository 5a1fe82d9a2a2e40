"""Demo data for the sandbox: accounts with websites and segments, realistic flows, and stats that
grow over time. Stats keep the vendor's invariants: displayed <= sent, clicked + closed <= displayed."""

import random
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import DEFAULT_TTL, TTL_CHOICES, WAIT_TIME_MAX, ApiAccount, Flow, Segment, Website

# Name, host, subscribers, and each segment's name and subscribers.
WEBSITES = [
    (
        "Northwind Outfitters",
        "shop.northwind.example",
        18_420,
        [("Returning customers", 6_310), ("Newsletter subscribers", 9_875)],
    ),
    (
        "The Daily Grind",
        "blog.dailygrind.example",
        7_205,
        [("Coffee lovers", 2_940), ("Weekly digest", 4_102)],
    ),
    ("Lumen Analytics", "app.lumen.example", 3_318, [("Trial users", 1_207), ("Paying customers", 986)]),
]

# Flow templates: name | title | description | path | button title (or nothing). The en dashes are
# deliberate: real names are not plain ASCII.
TEMPLATES = [
    [cell.strip() for cell in line.split("|")]
    for line in """
Welcome series – day 1 | Welcome aboard! | Thanks for subscribing. Here is what to expect. | /welcome |
Welcome series – day 3 | Getting started | Three tips to get the most out of your account. | /tips | Read tips
Welcome series – day 7 | One week in | See what other members loved this week. | /popular | Explore
Abandoned cart reminder | You left something behind | Your cart is waiting. Complete your order. | /cart | View cart
Abandoned cart – last call | Still thinking it over? | Items in your cart are selling fast. | /cart | Checkout
Flash sale teaser | 24-hour flash sale | Up to 40% off our best sellers, today only. | /sale | Shop now
Win-back – 30 days | We miss you | It has been a while. Here is 10% off your next order. | /comeback | Claim 10%
Review request | How did we do? | Tell us about your last order in 30 seconds. | /review | Leave a review
New post digest | Fresh from the blog | This week's most-read stories, picked for you. | /digest |
Trial ending soon | Your trial ends in 3 days | Keep your dashboards: pick a plan that fits. | /pricing | See plans
Feature announcement | New: scheduled reports | Get your numbers in your inbox every Monday. | /changelog | Learn more
Onboarding nudge | Finish setting up | Connect your first data source in two minutes. | /setup | Continue
Loyalty points reminder | Your points are waiting | Spend your points before they expire. | /rewards | Redeem
Back in stock | It's back! | The item you viewed is back in stock. | /restock | Buy now
Weekend brew guide | Brew better this weekend | A simple pour-over recipe for slow mornings. | /guides/pour-over |
Upgrade offer | Unlock more with Pro | Team seats, alerts and exports. 20% off this week. | /upgrade | Upgrade
""".strip().splitlines()  # noqa: RUF001
]
WAIT_TIMES = [
    (30, "minutes"),
    (2, "hours"),
    (12, "hours"),
    (1, "days"),
    (3, "days"),
    (7, "days"),
    (30, "days"),
]
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
        for site_name, host, subscribers, segments in WEBSITES:
            website = Website.objects.create(
                account=account,
                name=site_name,
                host=host,
                total_subscribers=subscribers,
                vapid_public_key=secrets.token_urlsafe(65),
                vapid_private_key=secrets.token_urlsafe(32),
            )
            Segment.objects.bulk_create(
                Segment(website=website, name=segment, total_subscribers=count) for segment, count in segments
            )
    return account


def random_stats(rng, sent):
    """Totals for sent notifications, with the vendor's invariants and a 2-15% click rate."""
    displayed = int(sent * rng.uniform(0.7, 0.95))
    clicked = int(displayed * rng.uniform(0.02, 0.15))
    closed = int((displayed - clicked) * rng.uniform(0.1, 0.5))
    return sent, displayed, clicked, closed


def create_flows(account, count, rng=None):
    """Bulk-create count demo flows spread over the account's websites (fast enough for 10,000)."""
    rng = rng or random.Random()
    now = timezone.now()
    websites = list(account.websites.prefetch_related("segments").order_by("id"))
    start = account.flows.count()
    flows = []
    for number in range(start, start + count):
        name, title, description, path, button = TEMPLATES[number % len(TEMPLATES)]
        website = websites[number % len(websites)]
        # Each template appears once on each website before a name repeats (16 templates, 3 websites:
        # coprime counts, so number -> (template, website) runs through every pair).
        round_ = number // (len(TEMPLATES) * len(websites))
        wait_time, wait_time_type = rng.choice(WAIT_TIMES)
        created = now - timedelta(days=rng.uniform(1, 180))
        is_enabled = rng.random() > 0.15
        sent, displayed, clicked, closed = random_stats(
            rng, min(int(rng.paretovariate(1.2) * 400) - 400, 250_000)
        )
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
                wait_time=min(wait_time, WAIT_TIME_MAX[wait_time_type]),
                wait_time_type=wait_time_type,
                is_enabled=is_enabled,
                total_sent_push_notifications=sent,
                total_displayed_push_notifications=displayed,
                total_clicked_push_notifications=clicked,
                total_closed_push_notifications=closed,
                last_sent_datetime=created + (now - created) * rng.uniform(0.5, 1) if sent else None,
                datetime=created,
            )
        )
    Flow.objects.bulk_create(flows, batch_size=1000)
    return len(flows)


def tick(flows, rng=None):
    """Send a little more for each enabled flow; returns how many flows changed."""
    rng = rng or random.Random()
    now = timezone.now()
    changed = []
    for row in flows.filter(is_enabled=True):
        sent, displayed, clicked, closed = random_stats(rng, rng.randint(0, 40))
        if not sent:
            continue
        row.total_sent_push_notifications += sent
        row.total_displayed_push_notifications += displayed
        row.total_clicked_push_notifications += clicked
        row.total_closed_push_notifications += closed
        row.last_sent_datetime = now
        changed.append(row)
    with transaction.atomic():
        Flow.objects.bulk_update(
            changed,
            [
                "total_sent_push_notifications",
                "total_displayed_push_notifications",
                "total_clicked_push_notifications",
                "total_closed_push_notifications",
                "last_sent_datetime",
            ],
            batch_size=500,
        )
    return len(changed)
