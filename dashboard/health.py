"""GET /healthz: can this instance serve? For load balancers, Docker's HEALTHCHECK and monitoring.

Answered by a middleware placed first, before the host check and the HTTPS redirect: a load balancer
or Docker probes the container's own address over plain HTTP, and the answer holds no secret (each
check says ok or the name of the error, never its message, which could hold a URL with a password).
"""

import time
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

PATH = "/healthz"


def database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def shared_cache():
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, 1, 10)
    if cache.get(key) != 1:
        raise LookupError("the cache did not keep a value")
    cache.delete(key)


# What an instance needs to serve, in order; the worker's heartbeat joins them when there is one.
CHECKS = {"database": database, "cache": shared_cache}


def report():
    """({name: {"status": "ok" | "fail", "ms": ..., "error": ...}}, all ok)."""
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        # Any failure is an answer (and a 503), never a 500.
        except Exception as error:
            results[name] = {"status": "fail", "error": type(error).__name__}
        else:
            results[name] = {"status": "ok"}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return results, all(result["status"] == "ok" for result in results.values())


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        checks, healthy = report()
        response = JsonResponse({"status": "ok" if healthy else "fail", "checks": checks})
        response.status_code = 200 if healthy else 503
        response["Cache-Control"] = "no-store"
        return response
