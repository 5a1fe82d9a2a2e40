"""The sandbox flows API: answers like a 66pusher-family server's /api/flows (API_CONTRACT.md).

Every call: optional latency, Bearer auth, the per-key rate limit, injected faults, then the route.
"""

import math
import time

from django.conf import settings
from django.db.models import F, Sum
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from . import faults, images, ratelimit, writes
from .models import ApiAccount, Flow, Segment
from .responses import FLOW_LIMIT, NO_ACCESS, NO_BEARER, NOT_FOUND, RATE_LIMITED, error

RESULTS_PER_PAGE = (10, 25, 50, 100, 250, 500, 1000)
DEFAULT_RESULTS_PER_PAGE = 25


@csrf_exempt
def flows(request):
    return _serve(request, lambda account: _route(request, account, None))


@csrf_exempt
def flow(request, flow_id):
    return _serve(request, lambda account: _route(request, account, flow_id))


@csrf_exempt
def websites(request, website_id=None):
    def route(account):
        rows = account.websites.order_by("id")
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


def upload(request, name):
    """A stored flow image, as the server's image_url serves it."""
    if not images.NAME.fullmatch(name) or not (images.directory() / name).is_file():
        raise Http404
    return FileResponse((images.directory() / name).open("rb"))


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
    """A list or one item of an endpoint the dashboard only reads (websites, segments)."""
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
    image_url = request.build_absolute_uri(reverse("sandbox:upload", args=[row.image])) if row.image else None
    return {
        "id": row.id,
        "user_id": row.account_id,
        "website_id": row.website_id,
        "name": row.name,
        "title": row.title,
        "description": row.description,
        "url": row.url,
        "image_url": image_url,
        "segment": row.segment,
        "settings": {
            "ttl": row.ttl,
            "urgency": row.urgency,
            "is_silent": int(row.is_silent),
            "is_auto_hide": int(row.is_auto_hide),
            "button_title_1": row.button_title_1,
            "button_url_1": row.button_url_1,
            "button_title_2": row.button_title_2,
            "button_url_2": row.button_url_2,
            "utm": {"source": row.utm_source, "medium": row.utm_medium, "campaign": row.utm_campaign},
        },
        "wait_time": row.wait_time,
        "wait_time_type": row.wait_time_type,
        "is_enabled": row.is_enabled,
        "total_sent_push_notifications": row.total_sent_push_notifications,
        "total_displayed_push_notifications": row.total_displayed_push_notifications,
        "total_clicked_push_notifications": row.total_clicked_push_notifications,
        "total_closed_push_notifications": row.total_closed_push_notifications,
        "last_sent_datetime": _server_time(row.last_sent_datetime),
        "last_datetime": _server_time(row.last_datetime),
        "datetime": _server_time(row.datetime),
    }


def _website_data(row):
    return {
        "id": row.id,
        "pixel_key": f"pixel{row.id:08d}",
        "name": row.name,
        "scheme": row.scheme,
        "host": row.host,
        "path": row.path,
        "settings": {"ip_storage_is_enabled": 0},
        "widget": {},
        "button": {},
        "notifications": {},
        # The real server sends the VAPID pair, private key included (API_CONTRACT.md, "Secrets").
        "keys": {"public_key": row.vapid_public_key, "private_key": row.vapid_private_key},
        "total_sent_campaigns": 0,
        "total_subscribers": row.total_subscribers,
        "total_sent_push_notifications": _website_total(row, "sent"),
        "total_displayed_push_notifications": _website_total(row, "displayed"),
        "total_clicked_push_notifications": _website_total(row, "clicked"),
        "total_closed_push_notifications": _website_total(row, "closed"),
        "is_enabled": row.is_enabled,
        "datetime": _server_time(row.datetime),
    }


def _website_total(row, stat):
    return row.flows.aggregate(total=Sum(f"total_{stat}_push_notifications"))["total"] or 0


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
    plan = {"flows_limit": account.flows_limit, "websites_limit": -1, "api_is_enabled": True}
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
