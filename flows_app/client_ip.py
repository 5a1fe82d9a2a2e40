"""The address a request came from, as login throttling counts it.

Behind a reverse proxy every request arrives from the proxy's address, so counting failures per
REMOTE_ADDR would lock everyone out together. Each trusted proxy appends the address it received
the request from to X-Forwarded-For; with TRUSTED_PROXY_COUNT proxies in front, the client is the
entry that many places from the right. Entries further left were written by the client itself and
are never believed.
"""

from django.conf import settings


def client_ip(request):
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= trusted:
            return hops[-trusted]
    return request.META.get("REMOTE_ADDR")
