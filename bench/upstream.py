"""A flows API that adds only its latency: the yardstick of the plain list page.

The Django sandbox spends milliseconds of its own on every page (queries, JSON), which the
dashboard's ratio to it hides. This bare WSGI function (no Django; served by gunicorn as the
dashboard is) answers each URL with the bytes the sandbox gave for it the first time (status,
type, encoding and body, recorded from BENCH_ORIGIN with the caller's key), after sleeping
BENCH_LATENCY_MS: a fast remote server. The bench asks for every URL it will time once first.
"""

import os
import time
import urllib.error
import urllib.request
from http import HTTPStatus

ORIGIN = os.environ.get("BENCH_ORIGIN", "")
LATENCY = int(os.environ.get("BENCH_LATENCY_MS", "30")) / 1000
KEPT_HEADERS = ("Content-Type", "Content-Encoding")
recorded = {}


def record(environ):
    url = ORIGIN + environ["PATH_INFO"] + ("?" + environ["QUERY_STRING"] if environ["QUERY_STRING"] else "")
    headers = {"Authorization": environ.get("HTTP_AUTHORIZATION", ""), "Accept-Encoding": "gzip"}
    request = urllib.request.Request(url, headers=headers)
    try:
        answer = urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as error:
        answer = error  # an error answer is replayed like any other
    with answer:
        status, found, body = answer.status, answer.headers, answer.read()
    kept = [(name, found[name]) for name in KEPT_HEADERS if found[name]]
    return f"{status} {HTTPStatus(status).phrase}", [*kept, ("Content-Length", str(len(body)))], body


def application(environ, start_response):
    key = (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"])
    if key not in recorded:
        recorded[key] = record(environ)
    status, headers, body = recorded[key]
    time.sleep(LATENCY)
    start_response(status, headers)
    return [body]
