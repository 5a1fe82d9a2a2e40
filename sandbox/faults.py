"""Fault injection (SANDBOX_FAULTS_ENABLED): the ways a real server misbehaves, on demand, so the
dashboard's handling of each can be seen and tested."""

import time
from http.client import responses as reasons

from django.conf import settings
from django.db.models import F, Q
from django.http import HttpResponse

from . import ratelimit
from .models import Fault
from .responses import NO_ACCESS, NOT_FOUND, RATE_LIMITED, error, image_error

MESSAGES = {401: NO_ACCESS, 404: NOT_FOUND, 429: RATE_LIMITED}
# What a PHP server sends when a notice is printed before its JSON: 200, a JSON type, no JSON.
BAD_JSON = (
    '<br />\n<b>Warning</b>:  Undefined array key "segment" in <b>/var/www/app/controllers/api/'
    'ApiFlows.php</b> on line <b>112</b><br />\n{"data": []}'
)


def inject(request, account):
    """The response a fault imposes on this request, or None to answer it normally."""
    if not settings.SANDBOX_FAULTS_ENABLED:
        return None
    fault = _take(account, request.method)
    if fault is None:
        return None
    if fault.kind == "hang":
        time.sleep(fault.seconds)
        return None
    if fault.kind == "status":
        response = error(MESSAGES.get(fault.status, reasons.get(fault.status, "Error")), fault.status)
        if fault.status == 429:
            response["X-RateLimit-Reset"] = ratelimit.seconds_to_reset()
        return response
    if fault.kind == "drop":
        return _unreadable()
    if fault.kind == "badjson":
        return HttpResponse(BAD_JSON, content_type="application/json")
    return image_error("Invalid file type.")


def _take(account, method):
    """The account's first live fault for this method, with one use taken off its count."""
    live = account.faults.filter(Q(remaining__isnull=True) | Q(remaining__gt=0)).order_by("id")
    for fault in live:
        if not fault.applies_to(method):
            continue
        # The conditional update keeps concurrent requests from using one last use twice.
        if fault.remaining is None or Fault.objects.filter(pk=fault.pk, remaining__gt=0).update(
            remaining=F("remaining") - 1
        ):
            return fault
    return None


def _unreadable():
    """A broken connection, as a client sees it. A WSGI application cannot close its socket, and
    Django's own server keeps the connection open after a body shorter than its Content-Length (the
    client then hangs, it does not see a drop). So the sandbox sends a head that HTTP clients refuse:
    http.client, under requests, allows at most 100 header lines and reports "Connection aborted"."""
    response = HttpResponse(b"")
    for number in range(101):
        response[f"X-Sandbox-Drop-{number}"] = "1"
    return response
