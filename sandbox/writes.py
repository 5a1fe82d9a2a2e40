"""How the server takes a create or update form (a flow's, a personal notification's). It clamps and substitutes silently (API_CONTRACT.md,
"Write fields"); the sandbox does exactly the same, so only the dashboard's own validation stands
between a user and a quietly changed value."""

import re
import zoneinfo
from datetime import datetime

from . import images
from .models import DEFAULT_TTL, TTL_CHOICES, URGENCIES, WAIT_TIME_MAX
from .responses import MISSING_FIELDS, PERSONAL_LIMIT, WRONG_SUBSCRIBER, error, image_error

REQUIRED = ("website_id", "name", "title", "description")
PERSONAL_REQUIRED = ("website_id", "subscriber_id", "name", "title", "description")
TEXT_LIMITS = {
    "name": 256,
    "title": 64,
    "description": 128,
    "url": 512,
    "button_title_1": 16,
    "button_url_1": 512,
    "button_title_2": 16,
    "button_url_2": 512,
    "utm_source": 128,
    "utm_medium": 128,
    "utm_campaign": 128,
}


def integer(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def php_bool(value):
    """PHP's cast: only "" and "0" are false, so "false" and "off" are true (API_CONTRACT.md)."""
    return value not in ("", "0")


def missing_field(data):
    """The 401 a create answers when a required field is empty (API_CONTRACT.md, "Errors")."""
    for field in REQUIRED:
        if not data.get(field, "").strip():
            return error(f"The {field} field is required.", 401)
    return None


def apply(flow, data, files, creating):
    """Set the fields sent onto flow (not saved). Returns the server's answer when it refuses."""
    upload = files.get("image")
    refusal = upload and images.problem(upload)
    if refusal:
        return image_error(refusal)

    for field, limit in TEXT_LIMITS.items():
        value = data.get(field, "").strip()[:limit]
        # An update with an empty required field keeps the current value: a flow never loses it.
        if field in data and (value or field not in REQUIRED):
            setattr(flow, field, value)

    if creating or "website_id" in data:
        websites = flow.account.websites.order_by("id")
        # An unknown website is silently replaced by the user's first one.
        website = websites.filter(pk=integer(data.get("website_id"), 0)).first() or websites.first()
        if website is None:
            return error("The website_id field is required.", 401)
        flow.website = website
    if creating or "website_id" in data or "segment" in data:
        flow.segment = _segment(flow.website, data.get("segment", flow.segment))

    if "wait_time_type" in data:
        wait_time_type = data["wait_time_type"]
        flow.wait_time_type = wait_time_type if wait_time_type in WAIT_TIME_MAX else "days"
    if "wait_time" in data:
        flow.wait_time = integer(data["wait_time"], 1)
    flow.wait_time = min(max(flow.wait_time, 1), WAIT_TIME_MAX[flow.wait_time_type])

    if "ttl" in data:
        ttl = integer(data["ttl"], DEFAULT_TTL)
        flow.ttl = ttl if ttl in TTL_CHOICES else DEFAULT_TTL
    if "urgency" in data:
        flow.urgency = data["urgency"] if data["urgency"] in URGENCIES else "normal"

    for field in ("is_silent", "is_auto_hide"):
        if field in data:
            # The create trap (API_CONTRACT.md): on create, presence alone switches these on.
            setattr(flow, field, creating or php_bool(data[field]))
    if "is_enabled" in data:
        flow.is_enabled = php_bool(data["is_enabled"])

    if "image_remove" in data:
        images.remove(flow.image)
        flow.image = ""
    if upload:
        images.remove(flow.image)
        flow.image = images.store(upload)
    return None


def personal(notification, data, files, now):
    """Take a personal notification's create form onto notification (not saved): the refusal the
    server answers, or None. Read from the server's code (API_CONTRACT.md, "POST
    /api/personal-notifications"): the booleans by presence, an unknown website replaced by the
    first one, a subscriber of another website refused."""
    account = notification.account
    if any(not data.get(field, "").strip() for field in PERSONAL_REQUIRED):
        return error(MISSING_FIELDS, 401)
    limit = account.personal_notifications_limit
    if limit != -1 and account.personal_notifications.count() >= limit:
        return error(PERSONAL_LIMIT, 401)
    websites = account.websites.order_by("id")
    website = websites.filter(pk=integer(data["website_id"], 0)).first() or websites.first()
    subscriber_id = integer(data["subscriber_id"], 0)
    # An account without websites has no subscriber to name either.
    if website is None or not website.subscribers.filter(pk=subscriber_id).exists():
        return error(WRONG_SUBSCRIBER, 401)
    notification.website = website
    notification.subscriber_id = subscriber_id
    upload = files.get("image")
    refusal = upload and images.problem(upload)
    if refusal:
        return image_error(refusal)
    for field, limit in TEXT_LIMITS.items():
        setattr(notification, field, data.get(field, "").strip()[:limit])
    for field in ("is_silent", "is_auto_hide", "is_scheduled"):
        # Presence alone switches these on, "0" included.
        setattr(notification, field, field in data)
    ttl = integer(data.get("ttl"), DEFAULT_TTL)
    notification.ttl = ttl if ttl in TTL_CHOICES else DEFAULT_TTL
    notification.urgency = data.get("urgency") if data.get("urgency") in URGENCIES else "normal"
    if "save" in data:
        notification.status = "draft"
    elif notification.is_scheduled:
        notification.status = "scheduled"
        # The contract says nothing of an unreadable date: the sandbox takes it as due at once.
        notification.scheduled_datetime = (
            _owner_time(data.get("scheduled_datetime", ""), account.timezone) or now
        )
    else:
        # An immediate send ignores ttl and urgency: four weeks, normal.
        notification.ttl, notification.urgency = DEFAULT_TTL, "normal"
    if upload:
        notification.image = images.store(upload)
    return None


def _owner_time(value, zone):
    """A `YYYY-MM-DD HH:MM:SS` in the key owner's zone, or None when it is not one."""
    try:
        naive = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S")
        return naive.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None


def _segment(website, value):
    """ "all", or the id of one of the website's segments; anything else becomes "all"."""
    value = value.strip()
    # integer() and not int(): a number of thousands of digits is an error of int(), not a segment.
    number = integer(value, 0) if re.fullmatch(r"[0-9]+", value) else 0
    if number and website.segments.filter(pk=number).exists():
        return str(number)
    return "all"
