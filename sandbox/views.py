"""The sandbox API: answers like a 66pusher-family server's /api/flows and the other endpoints of
the same key (API_CONTRACT.md), subscribers, their logs and personal notifications included.

Every call: optional latency, Bearer auth, the per-key rate limit, injected faults, then the route.
"""

import math
import random
import re
import time

from django.conf import settings
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from . import engine, faults, images, ratelimit, writes
from .models import ApiAccount, Flow, PersonalNotification, Segment, SubscriberLog, Website
from .responses import FLOW_LIMIT, NO_ACCESS, NO_BEARER, NOT_FOUND, RATE_LIMITED, error, server_error

RESULTS_PER_PAGE = (10, 25, 50, 100, 250, 500, 1000)
DEFAULT_RESULTS_PER_PAGE = 25
# The logs' exact-match filters (API_CONTRACT.md, "GET /api/subscribers-logs/").
LOG_FILTERS = (
    "website_id",
    "subscriber_id",
    "flow_id",
    "campaign_id",
    "personal_notification_id",
    "rss_automation_id",
)
LOG_ORDERS = {"subscriber_log_id": "id", "datetime": "datetime"}


@csrf_exempt
def flows(request):
    return _serve(request, lambda account: _route(request, account, None))


@csrf_exempt
def flow(request, flow_id):
    return _serve(request, lambda account: _route(request, account, flow_id))


@csrf_exempt
def websites(request, website_id=None):
    def route(account):
        rows = account.websites.select_related("account").order_by("id")
        return _read_only(request, rows, website_id, _website_data)

    return _serve(request, route)


@csrf_exempt
def segments(request, segment_id=None):
    def route(account):
        rows = Segment.objects.filter(website__account=account).order_by("id")
        return _read_only(request, rows, segment_id, _segment_data)

    return _serve(request, route)


@csrf_exempt
def user(request):
    def route(account):
        if request.method != "GET":
            return error(NOT_FOUND, 404)
        # The sandbox keeps only a hash of the key: the one presented is the one answered with.
        presented = request.headers["Authorization"].partition(" ")[2].strip()
        return JsonResponse({"data": _user_data(account, presented)})

    return _serve(request, route)


@csrf_exempt
def subscribers(request, subscriber_id=None):
    def route(account):
        # No create: subscribers come from the website's pixel. The list ignores filters and search.
        rows = account.subscribers.order_by("-id")
        if subscriber_id is None or request.method == "GET":
            return _read_only(request, rows, subscriber_id, lambda row: _subscriber_data(account, row))
        found = rows.filter(pk=subscriber_id).first()
        if found is None or request.method not in ("POST", "DELETE"):
            return error(NOT_FOUND, 404)
        if request.method == "DELETE":
            engine.remove(found, timezone.now())
            return HttpResponse(b"")
        # Only the custom parameters change, replaced as a whole by the pairs sent.
        keys = request.POST.getlist("custom_parameter_key[]")
        values = request.POST.getlist("custom_parameter_value[]")
        found.custom_parameters = {
            key: value for key, value in zip(keys, values, strict=False) if key.strip()
        }
        found.last_datetime = timezone.now()
        found.save(update_fields=["custom_parameters", "last_datetime"])
        return JsonResponse({"data": {"id": found.id}})

    return _serve(request, route)


@csrf_exempt
def subscriber_logs(request):
    def route(account):
        if request.method != "GET":
            return error(NOT_FOUND, 404)
        return _paged(request, _logs(request, account), lambda row: _log_data(account, row))

    return _serve(request, route)


@csrf_exempt
def personal_notifications(request, notification_id=None):
    def route(account):
        rows = account.personal_notifications.order_by("-id")
        if request.method == "GET":
            return _read_only(request, rows, notification_id, lambda row: _personal_data(request, row))
        if notification_id is None:
            return _send_personal(request, account) if request.method == "POST" else error(NOT_FOUND, 404)
        found = rows.filter(pk=notification_id).first()
        if found is None or request.method not in ("POST", "DELETE"):
            return error(NOT_FOUND, 404)
        if request.method == "POST":
            # API_CONTRACT.md: updating one is broken in this version of the server.
            return server_error()
        images.remove(found.image)
        found.delete()
        return HttpResponse(b"")

    return _serve(request, route)


def upload(request, name):
    """A stored flow image, as the server's image_url serves it."""
    if not images.NAME.fullmatch(name) or not (images.directory() / name).is_file():
        raise Http404
    return FileResponse((images.directory() / name).open("rb"))


# A website's pixel key (_website_data): its number inside.
PIXEL_KEY = re.compile(r"pixel(\d{8})")
# What a browser's User-Agent says, read as the server's pixel reads it (the first match wins).
BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "OS X"),
    ("Linux", "Linux"),
)


def this_browser(request, pixel_key):
    """The demo's stand-in for a website's subscribe prompt: the browser that opens it and says
    yes becomes a subscriber of the website, as a real visitor would through the pixel (the API
    has no create), so that a person can send tests to a browser of their own."""
    found = PIXEL_KEY.fullmatch(pixel_key)
    website = found and Website.objects.filter(pk=int(found.group(1)), is_enabled=True).first()
    if not website:
        raise Http404
    subscriber = None
    if request.method == "POST":
        agent = request.headers.get("User-Agent", "")
        fields = {
            "browser_name": next((name for mark, name in BROWSERS if mark in agent), "Other"),
            "os_name": next((name for mark, name in SYSTEMS if mark in agent), "Other"),
            "device_type": "mobile" if "Mobile" in agent else "desktop",
            "ip": request.META.get("REMOTE_ADDR", "127.0.0.1"),
            "subscribed_on_url": f"{website.scheme}{website.host}{website.path}/",
        }
        subscriber = engine.subscribe(website, timezone.now(), random.Random(), **fields)
    return render(request, "sandbox/this_browser.html", {"website": website, "subscriber": subscriber})


def _serve(request, route):
    if settings.SANDBOX_LATENCY_MS:
        time.sleep(settings.SANDBOX_LATENCY_MS / 1000)
    scheme, _, api_key = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not api_key.strip():
        # API_CONTRACT.md ("Errors"): this one error spells its status as the string "401".
        return error(NO_BEARER, 401, status_field="401")
    account = ApiAccount.objects.with_key(api_key).filter(api_enabled=True).first()
    if account is None:
        return error(NO_ACCESS, 401)

    budget = ratelimit.spend(account.key_hash)
    if budget and budget.exceeded:
        response = error(RATE_LIMITED, 429)
    else:
        response = faults.inject(request, account) or route(account)
    if budget:
        ratelimit.add_headers(response, budget)
    return response


def _route(request, account, flow_id):
    if flow_id is None:
        handler = {"GET": _list, "POST": _create}.get(request.method)
        return handler(request, account) if handler else error(NOT_FOUND, 404)
    handler = {"GET": _read, "POST": _update, "DELETE": _delete}.get(request.method)
    # Another key's flow is as unknown as a deleted one.
    found = account.flows.select_related("account").filter(pk=flow_id).first()
    if handler is None or found is None:
        return error(NOT_FOUND, 404)
    return handler(request, found)


def _list(request, account):
    # The order is the one the user picked in the vendor's dashboard; the API takes no order param.
    field = account.order_by.lstrip("-")
    first = F(field).desc(nulls_last=True) if account.order_by.startswith("-") else F(field).asc()
    return _paged(request, account.flows.order_by(first, "-id"), lambda row: _flow_data(request, row))


def _read_only(request, rows, item_id, shape):
    """A list or one item of an endpoint read as it is (websites, segments, subscribers...)."""
    if request.method != "GET":
        return error(NOT_FOUND, 404)
    if item_id is None:
        return _paged(request, rows, shape)
    found = rows.filter(pk=item_id).first()
    return JsonResponse({"data": shape(found)}) if found else error(NOT_FOUND, 404)


def _paged(request, rows, shape):
    """The list format every endpoint shares (API_CONTRACT.md): data, meta and links."""
    page = max(writes.integer(request.GET.get("page"), 1), 1)
    per_page = writes.integer(request.GET.get("results_per_page"), DEFAULT_RESULTS_PER_PAGE)
    if per_page not in RESULTS_PER_PAGE:
        per_page = DEFAULT_RESULTS_PER_PAGE
    total = rows.count()
    total_pages = math.ceil(total / per_page)
    offset = (page - 1) * per_page
    # A page past the last one is empty, however far: the database cannot take a huge offset.
    rows = rows[offset : offset + per_page] if offset < total else []

    base = request.build_absolute_uri(request.path.rstrip("/"))
    extra = "" if per_page == DEFAULT_RESULTS_PER_PAGE else f"&results_per_page={per_page}"

    def link(number):
        return f"{base}?page={number}{extra}"

    return JsonResponse(
        {
            "data": [shape(row) for row in rows],
            "meta": {
                "page": page,
                "results_per_page": per_page,
                # API_CONTRACT.md: the page says "total", the server's code "total_results".
                settings.SANDBOX_TOTAL_FIELD: total,
                "total_pages": total_pages,
            },
            "links": {
                "first": link(1),
                "last": link(total_pages) if total_pages else None,
                "next": link(page + 1) if page < total_pages else None,
                "prev": link(page - 1) if page > 1 else None,
                "self": link(page),
            },
        }
    )


def _logs(request, account):
    """The account's log entries, filtered, searched and ordered as the query asks."""
    rows = SubscriberLog.objects.filter(account=account)
    for name in LOG_FILTERS:
        if name in request.GET:
            # Compared as numbers, as the server's SQL does: a value that is not one is 0.
            rows = rows.filter(**{name: writes.integer(request.GET[name], 0)})
    if "type" in request.GET:
        rows = rows.filter(type=request.GET["type"])
    search = request.GET.get("search", "").strip()
    if search and request.GET.get("search_by") == "ip":
        # The search reads the stored IPs: masked ones when IP storage is off.
        rows = rows.filter(ip__contains=search) if account.ip_storage_is_enabled else rows.none()
    field = LOG_ORDERS.get(request.GET.get("order_by"), "id")
    descending = request.GET.get("order_type", "DESC").upper() != "ASC"
    return rows.order_by(f"-{field}" if descending else field, "-id" if descending else "id")


def _send_personal(request, account):
    now = timezone.now()
    notification = PersonalNotification(account=account, datetime=now)
    refusal = writes.personal(notification, request.POST, request.FILES, now)
    if refusal:
        return refusal
    notification.save()
    if notification.status == "sent":
        # Sent inside the request; is_sent becomes 1 whatever the push service answered.
        engine.send_personal(notification, now, random.Random())
    return JsonResponse({"data": _personal_data(request, notification)}, status=201)


def _read(request, found):
    return JsonResponse({"data": _flow_data(request, found)})


def _create(request, account):
    refusal = writes.missing_field(request.POST)
    if refusal:
        return refusal
    if account.flows_limit != -1 and account.flows.count() >= account.flows_limit:
        # Also a 401 (API_CONTRACT.md, "Errors"), not a bad key.
        return error(FLOW_LIMIT, 401)
    new = Flow(account=account)
    refusal = writes.apply(new, request.POST, request.FILES, creating=True)
    if refusal:
        return refusal
    new.save()
    # API_CONTRACT.md: older servers answer 200 with the id, newer ones 201 with the whole flow.
    if getattr(settings, "SANDBOX_CREATE_ANSWER", "id") == "flow":
        return JsonResponse({"data": _flow_data(request, new)}, status=201)
    return JsonResponse({"data": {"id": new.id}})


def _update(request, found):
    refusal = writes.apply(found, request.POST, request.FILES, creating=False)
    if refusal:
        return refusal
    found.last_datetime = timezone.now()
    found.save()
    if getattr(settings, "SANDBOX_UPDATE_ANSWER", "id") == "flow":
        return JsonResponse({"data": _flow_data(request, found)})
    return JsonResponse({"data": {"id": found.id}})


def _delete(request, found):
    images.remove(found.image)
    found.delete()
    # API_CONTRACT.md: a delete answers 200 with an empty body.
    return HttpResponse(b"")


def _flow_data(request, row):
    """The read shape of API_CONTRACT.md, key for key."""
    return {
        "id": row.id,
        "user_id": row.account_id,
        "website_id": row.website_id,
        "name": row.name,
        "title": row.title,
        "description": row.description,
        "url": row.url,
        "image_url": _image_url(request, row),
        "segment": row.segment,
        "settings": _message_settings(row),
        "wait_time": row.wait_time,
        "wait_time_type": row.wait_time_type,
        "is_enabled": row.is_enabled,
        **_totals(row),
        "last_sent_datetime": _server_time(row.last_sent_datetime),
        "last_datetime": _server_time(row.last_datetime),
        "datetime": _server_time(row.datetime),
    }


def _totals(row):
    """The four running totals of a flow, a website or a subscriber."""
    return {
        f"total_{counter}_push_notifications": getattr(row, f"total_{counter}_push_notifications")
        for counter in engine.COUNTERS
    }


def _image_url(request, row):
    return request.build_absolute_uri(reverse("sandbox:upload", args=[row.image])) if row.image else None


def _message_settings(row):
    """A flow's or a personal notification's settings, as the server nests them."""
    return {
        "ttl": row.ttl,
        "urgency": row.urgency,
        "is_silent": int(row.is_silent),
        "is_auto_hide": int(row.is_auto_hide),
        "button_title_1": row.button_title_1,
        "button_url_1": row.button_url_1,
        "button_title_2": row.button_title_2,
        "button_url_2": row.button_url_2,
        "utm": {"source": row.utm_source, "medium": row.utm_medium, "campaign": row.utm_campaign},
    }


def _subscriber_data(account, row):
    return {
        "id": row.id,
        "user_id": row.account_id,
        "website_id": row.website_id,
        "unique_endpoint_id": row.unique_endpoint_id,
        # The real server sends the browser's push subscription, keys included (API_CONTRACT.md).
        "endpoint": {
            "endpoint": row.endpoint_url,
            "keys": {"p256dh": row.endpoint_p256dh, "auth": row.endpoint_auth},
        },
        "ip": _ip(account, row.ip),
        "custom_parameters": row.custom_parameters,
        "city_name": row.city_name,
        "country_code": row.country_code,
        "continent_code": row.continent_code,
        "os_name": row.os_name,
        "browser_name": row.browser_name,
        "browser_language": row.browser_language,
        "device_type": row.device_type,
        "subscribed_on_url": row.subscribed_on_url,
        **_totals(row),
        "last_sent_datetime": _server_time(row.last_sent_datetime),
        "last_datetime": _server_time(row.last_datetime),
        "datetime": _server_time(row.datetime),
    }


def _log_data(account, row):
    return {
        "id": row.id,
        "subscriber_id": row.subscriber_id,
        "campaign_id": row.campaign_id,
        "flow_id": row.flow_id,
        "personal_notification_id": row.personal_notification_id,
        "rss_automation_id": row.rss_automation_id,
        "website_id": row.website_id,
        "user_id": row.account_id,
        "ip": _ip(account, row.ip),
        "type": row.type,
        "datetime": _server_time(row.datetime),
    }


def _personal_data(request, row):
    return {
        "id": row.id,
        "website_id": row.website_id,
        "subscriber_id": row.subscriber_id,
        "name": row.name,
        "title": row.title,
        "description": row.description,
        "url": row.url,
        "image_url": _image_url(request, row),
        "settings": {"is_scheduled": int(row.is_scheduled), **_message_settings(row)},
        "is_sent": int(row.is_sent),
        "is_displayed": int(row.is_displayed),
        "is_clicked": int(row.is_clicked),
        "is_closed": int(row.is_closed),
        "status": row.status,
        "scheduled_datetime": _server_time(row.scheduled_datetime),
        "sent_datetime": _server_time(row.sent_datetime),
        "last_datetime": _server_time(row.last_datetime),
        "datetime": _server_time(row.datetime),
    }


def _ip(account, ip):
    # API_CONTRACT.md: with IP storage off, the server keeps (and answers) the IP masked.
    return ip if account.ip_storage_is_enabled else engine.masked_ip(ip)


def _website_data(row):
    return {
        "id": row.id,
        "pixel_key": f"pixel{row.id:08d}",
        "name": row.name,
        "scheme": row.scheme,
        "host": row.host,
        "path": row.path,
        "settings": {"ip_storage_is_enabled": int(row.account.ip_storage_is_enabled)},
        "widget": {},
        "button": {},
        "notifications": {},
        # The real server sends the VAPID pair, private key included (API_CONTRACT.md, "Secrets").
        "keys": {"public_key": row.vapid_public_key, "private_key": row.vapid_private_key},
        "total_sent_campaigns": 0,
        "total_subscribers": row.total_subscribers,
        **_totals(row),
        "is_enabled": row.is_enabled,
        "datetime": _server_time(row.datetime),
    }


def _segment_data(row):
    return {
        "id": row.id,
        "website_id": row.website_id,
        "name": row.name,
        "type": row.type,
        "total_subscribers": row.total_subscribers,
        "datetime": None,
    }


def _user_data(account, api_key):
    plan = {
        "flows_limit": account.flows_limit,
        "personal_notifications_limit": account.personal_notifications_limit,
        "websites_limit": -1,
        "analytics_is_enabled": account.analytics_is_enabled,
        "api_is_enabled": True,
    }
    return {
        "id": account.id,
        "type": 0,
        "email": account.email,
        "name": account.name,
        "timezone": account.timezone,
        # The real server answers with the key itself (API_CONTRACT.md, "Secrets").
        "api_key": api_key,
        "plan_settings": plan,
    }


def _server_time(value):
    # API_CONTRACT.md: datetimes carry no zone; they are in the server's own time zone.
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else None
