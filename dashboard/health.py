"""GET /healthz: can this instance serve? For load balancers, Docker's HEALTHCHECK and monitoring.
GET /healthz/worker: is background work done? For monitoring.

An instance's health is its own (its database and its caches): a worker that stopped must not take
every web instance out of service, so /healthz reports the worker's heartbeat beside its checks
without failing on it, and /healthz/worker is the check that fails when no worker beats.

Answered by a middleware placed first, before the host check and the HTTPS redirect: a load balancer
or Docker probes the container's own address over plain HTTP, and the answer holds no secret (each
check says ok, or what failed in Pushdeck's own words, or the mere name of any other error: its
message could hold a URL with a password).
"""

import time
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from jobs.worker import last_heartbeat

PATH = "/healthz"
WORKER_PATH = "/healthz/worker"


class Unhealthy(Exception):
    """A failure whose message is Pushdeck's own, safe to show (other errors show only their name)."""


def database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def shared_cache():
    # Every cache: the page cache and the rate budget's (the same Redis, or local memory and files).
    for alias in settings.CACHES:
        key = f"healthz:{uuid.uuid4().hex}"
        caches[alias].set(key, 1, 10)
        if caches[alias].get(key) != 1:
            raise Unhealthy(f"the {alias} cache did not keep a value")
        caches[alias].delete(key)


def worker():
    """The newest heartbeat of any worker (jobs/worker.py): bulk jobs and periodic work wait on it."""
    last = last_heartbeat()
    if last is None:
        raise Unhealthy("no worker is running")
    age = (timezone.now() - last).total_seconds()
    if age > settings.WORKER_STALE_SECONDS:
        raise Unhealthy(f"no worker has shown life for {age:.0f} s")
    return {"last_beat_seconds_ago": round(age)}


CHECKS = {"database": database, "cache": shared_cache, "worker": worker}


# The worker's heartbeat is read from the database: with no database, it is not asked again.
NEEDS = {"worker": "database"}

# What each address's answer (200 or 503) stands for; /healthz adds the worker's state beside.
COUNTED = {PATH: ("database", "cache"), WORKER_PATH: ("worker",)}


def report():
    """{name: {"status": "ok" | "fail", "ms": ..., "error": ...}} for every check."""
    results = {}
    for name, check in CHECKS.items():
        needed = NEEDS.get(name)
        if needed and results[needed]["status"] != "ok":
            results[name] = {"status": "fail", "error": f"the {needed} is unavailable", "ms": 0}
            continue
        started = time.perf_counter()
        try:
            results[name] = {"status": "ok", **(check() or {})}
        except Unhealthy as error:
            results[name] = {"status": "fail", "error": str(error)}
        # Any other failure is an answer (and a 503) too, never a 500.
        except Exception as error:
            results[name] = {"status": "fail", "error": type(error).__name__}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return results


def answer(path):
    """(body, healthy) for one of the addresses: its counted checks, and on /healthz the worker's
    state beside them."""
    results = report()
    checks = {name: results[name] for name in COUNTED[path]}
    healthy = all(check["status"] == "ok" for check in checks.values())
    body = {"status": "ok" if healthy else "fail", "checks": checks}
    if path == PATH:
        body["worker"] = results["worker"]
    return body, healthy


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path not in COUNTED or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        body, healthy = answer(request.path)
        response = JsonResponse(body)
        response.status_code = 200 if healthy else 503
        response["Cache-Control"] = "no-store"
        return response
