"""The floors of `make bench`: the least a page of the list can cost on this machine.

A third gunicorn server (started by scripts/bench.py with ``DJANGO_SETTINGS_MODULE=bench_floors``)
answers the API's page of flows in three ways that do nothing with it:

- ``/floor/wsgi/``: a bare WSGI function forwards the request to the API server with a pooled
  ``requests`` session and returns its bytes as they came: no Django at all;
- ``/floor/django/`` (bench_floors_urls.py): the same through the dashboard's own settings and
  middleware, the bytes gzipped again as a page is: Django alone, no login, no database;
- ``/floor/connection/<connection>/`` (bench_floors_urls.py): as the last, after the login is
  checked and the connection looked up and decrypted as every page does, the page fetched through
  the connection's pooled session: no decoding, records, rows or template.

Measured next to the list page and the direct API call, they show how much of the list page's
overhead any page of this stack pays on this machine, and how much is the list page's own.
"""

import functools
import os

import requests

from dashboard.settings import *  # noqa: F403 -- the dashboard's settings, with more URLs

ROOT_URLCONF = "bench_floors_urls"
WSGI_PATH = "/floor/wsgi/"
API_FLOWS = os.environ.get("SANDBOX_URL", "") + "/api/flows/"
# The server's threads share one pool of connections to the API, as the dashboard's do.
api_session = requests.Session()


def fetch_page(query_string, authorization):
    """The API's answer to the same list request, its body not read yet."""
    return api_session.get(
        f"{API_FLOWS}?{query_string}", headers={"Authorization": authorization}, timeout=30, stream=True
    )


@functools.cache
def _django():
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def application(environ, start_response):
    if environ["PATH_INFO"] != WSGI_PATH:
        return _django()(environ, start_response)
    answer = fetch_page(environ["QUERY_STRING"], environ.get("HTTP_AUTHORIZATION", ""))
    # The bytes as they came, still compressed if they were: nothing decoded, nothing re-encoded.
    body = answer.raw.read(decode_content=False)
    headers = [("Content-Length", str(len(body)))]
    headers += [
        (name, answer.headers[name])
        for name in ("Content-Type", "Content-Encoding")
        if name in answer.headers
    ]
    start_response(f"{answer.status_code} {answer.reason}", headers)
    return [body]
