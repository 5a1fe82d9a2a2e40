"""The floors of the plain list (DJANGO_SETTINGS_MODULE=bench.floors, served by gunicorn): the
upstream's page passed on, nothing done with it, by a bare WSGI function (`/floor/wsgi/`: the hop
through a server, no Django) and by Django after the login and the connection, as every page
does (`/floor/connection/<id>/`, bench/floors_urls.py): no decoding, records, rows or template.
"""

import functools
import os

import requests

from dashboard.settings import *  # noqa: F403 -- the dashboard's settings, with the floors' URLs

ROOT_URLCONF = "bench.floors_urls"
UPSTREAM_FLOWS = os.environ.get("BENCH_UPSTREAM", "") + "/api/flows/"
# The server's threads share one pool of connections to the upstream, as the dashboard's do.
session = requests.Session()


@functools.cache
def django_application():
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def application(environ, start_response):
    if environ["PATH_INFO"] != "/floor/wsgi/":
        return django_application()(environ, start_response)
    answer = session.get(
        f"{UPSTREAM_FLOWS}?{environ['QUERY_STRING']}",
        headers={"Authorization": environ.get("HTTP_AUTHORIZATION", "")},
        timeout=30,
        stream=True,
    )
    # The bytes as they came, still compressed if they were: nothing decoded, nothing re-encoded.
    body = answer.raw.read(decode_content=False)
    headers = [
        (name, answer.headers[name])
        for name in ("Content-Type", "Content-Encoding")
        if name in answer.headers
    ]
    start_response(f"{answer.status_code} {answer.reason}", [*headers, ("Content-Length", str(len(body)))])
    return [body]
