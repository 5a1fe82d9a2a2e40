"""The HTTP client of the flows API: the only code in Pushdeck that speaks to the server."""

import hashlib
import logging
import math
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import orjson
import requests
from django.core.cache import caches

from flows_app.api.errors import ApiError, NotFound, RateLimited, Rejected, Unauthorized, Unavailable
from flows_app.api.records import ApiUser, Flow, Page, RateBudget, Segment, Website, as_int

logger = logging.getLogger(__name__)

USER_AGENT = "Pushdeck/1.0 (+self-hosted flows dashboard)"
NO_ACCESS = "You do not have access to the API."
RETRY_STATUSES = {429, 502, 503, 504}
IDEMPOTENT = {"GET", "DELETE"}
MAX_ATTEMPTS = 3
BACKOFF_BASE = 0.25
BACKOFF_CAP = 2.0
# A 429 is retried inside a page view only when the window reopens this soon.
RATE_RETRY_MAX_WAIT = 2.0
RATE_WINDOW = 60


def _backoff(attempt):
    """Capped exponential backoff with full jitter, so that clients sharing a key spread out."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))


def _error_message(body, default):
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get("title"):
            return str(errors[0]["title"])
        message = body.get("message")
        if isinstance(message, list) and message:
            return " ".join(str(part) for part in message)
        if isinstance(message, str) and message:
            return message
    return default


def _header_int(response, name):
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


def _origin(url):
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


_sessions = {}
_sessions_lock = threading.Lock()


def _session_for(base_url, api_key):
    """One ``requests.Session`` per connection, headers set once, reused across requests."""
    fingerprint = hashlib.sha256(f"{base_url}\0{api_key}".encode()).hexdigest()
    with _sessions_lock:
        session = _sessions.get(fingerprint)
        if session is None:
            session = requests.Session()
            session.headers.update({"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT})
            session.headers["Accept"] = "application/json"
            _sessions[fingerprint] = session
    return session, fingerprint


def close_sessions():
    """Close every pooled connection: a server being shut down (tests' live_server, a reload)
    otherwise keeps threads blocked on idle keep-alive sockets."""
    with _sessions_lock:
        for session in _sessions.values():
            session.close()
        _sessions.clear()


class RateBudgetStore:
    """The key's remaining budget as last seen, shared by every process (web and worker) through
    the ``rate-budget`` cache.

    When it reaches zero, calls are refused locally until the window reopens instead of being
    sent to fail with a 429 (API_CONTRACT.md: 60 requests a minute per key, fixed window). The
    window's start is the first answer seen in it: never earlier than the server's own, so a wait
    for "window_start + RATE_WINDOW" never ends before the server's window does.
    """

    def __init__(self, fingerprint):
        self.key = f"flows-api:budget:{fingerprint}"

    @property
    def cache(self):
        # Looked up per use: Django's cache handles belong to the thread that asks for them.
        return caches["rate-budget"]

    def blocked_for(self):
        state = self.cache.get(self.key)
        if not state or not state.get("blocked_until"):
            return 0
        return max(0, math.ceil(state["blocked_until"] - time.time()))

    def record(self, budget, reset=None):
        if budget.remaining is None:
            return
        now = time.time()
        state = self.cache.get(self.key) or {}
        if state.get("remaining") is None or budget.remaining >= state["remaining"]:
            state["window_start"] = now
        state["remaining"] = budget.remaining
        state["limit"] = budget.limit
        state["blocked_until"] = None
        if reset is not None:
            # The one exact word on the window: it ends in `reset` seconds.
            state["blocked_until"] = now + reset
            state["window_start"] = now + reset - RATE_WINDOW
        elif budget.remaining <= 0:
            state["blocked_until"] = state.get("window_start", now) + RATE_WINDOW
        self.cache.set(self.key, state, RATE_WINDOW * 2)

    def peek(self):
        return self.cache.get(self.key) or {}


class FlowsClient:
    """Calls one server with one key. Methods return typed records or raise ``ApiError``s."""

    def __init__(self, base_url, api_key, timeout=10.0, view_started=None):
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        # A whole call, retries included, never takes longer than this.
        self.deadline = 2 * self.timeout
        # With view_started (a time.monotonic() value), every call of this client shares one deadline
        # from then: a page view that needs two calls still waits at most one deadline.
        self.view_ends_at = None if view_started is None else view_started + self.deadline
        self.session, self.fingerprint = _session_for(self.base_url, api_key)
        self.budget_store = RateBudgetStore(self.fingerprint)
        self.budget = RateBudget()
        self.calls = 0
        # Set as each request is about to leave (FlowsService.in_background waits for it).
        self.sending = threading.Event()

    # Operations

    def list_flows(self, page=1, results_per_page=25):
        body = self._request(
            "GET", "/api/flows/", params={"page": page, "results_per_page": results_per_page}
        )
        return Page.from_api(body, page, results_per_page)

    def iter_flows(self, results_per_page=1000):
        page = 1
        while True:
            result = self.list_flows(page, results_per_page)
            yield from result.flows
            if not result.has_next:
                return
            page += 1

    def all_flows(self, pool_size=4, results_per_page=1000, expected_total=None):
        """Every flow of the key, its pages fetched concurrently by a bounded pool.

        With ``expected_total`` (the count a list page just showed) every page is asked for at
        once; without it, the first page tells how many follow. Pages the count missed (flows
        added meanwhile) are fetched after. Refuses up front what would overrun the key's budget.
        """
        numbers = range(1, max(1, math.ceil((expected_total or 0) / results_per_page)) + 1)
        self._check_budget(len(numbers))
        with ThreadPoolExecutor(max_workers=max(1, pool_size)) as pool:
            pages = list(pool.map(lambda number: self.list_flows(number, results_per_page), numbers))
            missing = range(len(numbers) + 1, pages[0].total_pages + 1)
            if missing:
                self._check_budget(len(missing))
                pages += pool.map(lambda number: self.list_flows(number, results_per_page), missing)
        return [flow for page in pages for flow in page.flows]

    def fetch_image(self, url, max_bytes):
        """The bytes of a flow's image, read from its image_url.

        The API cannot copy an image, so a duplicate reads it here. The address comes from the
        server's answer: only one on the API's own scheme, host and port is followed, without the
        API key (a public file) and without redirects, reading at most max_bytes. A plain file,
        not an API call: the key's request budget is not spent.
        """
        if _origin(url) != _origin(self.base_url):
            raise Rejected("The image is kept on another server, which Pushdeck does not contact.")
        try:
            with requests.get(
                url,
                headers={"User-Agent": USER_AGENT},
                timeout=(min(3.05, self.timeout), self.timeout),
                allow_redirects=False,
                stream=True,
            ) as response:
                if response.status_code != 200:
                    raise Unavailable(f"The image could not be read (HTTP {response.status_code}).")
                content = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    content += chunk
                    if len(content) > max_bytes:
                        raise Rejected("The image is larger than the size allowed for a flow.")
        except requests.RequestException:
            raise Unavailable("The image could not be read: the connection failed.") from None
        return bytes(content)

    def _check_budget(self, requests_needed):
        remaining = self.budget.remaining
        if remaining is None:
            remaining = self.budget_store.peek().get("remaining")
        if remaining is not None and requests_needed > remaining:
            raise RateLimited(
                f"Fetching every flow needs {requests_needed} more requests; {remaining} are left in this minute.",
                retry_after=RATE_WINDOW,
            )

    def get_flow(self, flow_id):
        body = self._request("GET", f"/api/flows/{int(flow_id)}")
        return Flow.from_api(body["data"])

    def create_flow(self, fields, image=None):
        """Create a flow; returns ``(id, Flow or None)``: newer servers answer with the whole flow."""
        form = {
            name: value
            for name, value in fields.items()
            # The create trap: the server turns these on when present at all, whatever the value.
            if not (name in ("is_silent", "is_auto_hide") and not value)
        }
        body = self._request("POST", "/api/flows", form=form, image=image)
        return self._written(body)

    def update_flow(self, flow_id, changes, image=None, remove_image=False):
        """Send only ``changes``; returns ``(id, Flow or None)`` like ``create_flow``."""
        form = dict(changes)
        if remove_image and image is None:
            form["image_remove"] = 1
        body = self._request("POST", f"/api/flows/{int(flow_id)}", form=form, image=image)
        return self._written(body)

    def delete_flow(self, flow_id):
        self._request("DELETE", f"/api/flows/{int(flow_id)}")

    def list_websites(self):
        return self._every_item("/api/websites/", Website)

    def list_segments(self):
        return self._every_item("/api/segments/", Segment)

    def get_user(self):
        data = self._request("GET", "/api/user")["data"]
        return ApiUser.from_api(data if isinstance(data, dict) else {})

    def _every_item(self, path, record):
        """Every item of a list endpoint as records, page by page at the largest page size (an
        account has a handful of websites and segments: one call in practice)."""
        items, page = [], 1
        while True:
            body = self._request("GET", path, params={"page": page, "results_per_page": 1000})
            items += (record.from_api(item) for item in body["data"] if isinstance(item, dict))
            if page >= as_int((body.get("meta") or {}).get("total_pages"), 1):
                return tuple(items)
            page += 1

    # Transport

    @staticmethod
    def _written(body):
        data = body["data"]
        flow = Flow.from_api(data) if "name" in data else None
        return int(data["id"]), flow

    @staticmethod
    def _multipart(form, image):
        """Every field as a multipart part (as the server expects), booleans as 1/0 never true/false."""
        parts = [
            (name, (None, str(int(value)) if isinstance(value, bool) else str(value)))
            for name, value in form.items()
        ]
        if image is not None:
            parts.append(("image", (image.filename, image.content, image.content_type)))
        return parts

    def _request(self, method, path, params=None, form=None, image=None):
        blocked = self.budget_store.blocked_for()
        if blocked:
            raise RateLimited(
                f"The key's request budget is spent; try again in {blocked} s.", retry_after=blocked
            )
        url = self.base_url + path
        files = self._multipart(form, image) if form is not None else None
        retryable = method in IDEMPOTENT
        ends_at = time.monotonic() + self.deadline
        if self.view_ends_at is not None:
            ends_at = min(ends_at, self.view_ends_at)
        attempt = 0
        while True:
            left = ends_at - time.monotonic()
            if left <= 0:
                raise Unavailable(f"The server did not answer within {self.deadline:g} s.")
            failure = response = None
            try:
                response = self._send(method, url, params, files, min(self.timeout, left))
                wait = self._retry_wait(response, attempt)
            except Unavailable as error:
                failure, wait = error, _backoff(attempt)
            attempt += 1
            in_time = wait is not None and time.monotonic() + wait < ends_at
            if retryable and in_time and attempt < MAX_ATTEMPTS:
                time.sleep(wait)
                continue
            if failure is not None:
                raise failure
            return self._parse(method, response)

    def _send(self, method, url, params, files, read_timeout):
        self.calls += 1
        self.sending.set()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                files=files,
                timeout=(min(3.05, self.timeout), read_timeout),
                # The Bearer key must never travel to wherever a redirect points.
                allow_redirects=False,
            )
            response.content  # noqa: B018 -- read the whole body here, where a dropped connection is caught
        except requests.Timeout:
            raise Unavailable(f"The server did not answer within {self.timeout:g} s.") from None
        except requests.RequestException as exc:
            logger.warning("flows API %s %s failed: %s", method, url, type(exc).__name__)
            raise Unavailable("The connection to the server failed before it answered.") from None
        self.budget = RateBudget(
            _header_int(response, "X-RateLimit-Limit"), _header_int(response, "X-RateLimit-Remaining")
        )
        reset = _header_int(response, "X-RateLimit-Reset") if response.status_code == 429 else None
        self.budget_store.record(self.budget, reset)
        return response

    @staticmethod
    def _retry_wait(response, attempt):
        if response.status_code not in RETRY_STATUSES:
            return None
        if response.status_code == 429:
            reset = _header_int(response, "X-RateLimit-Reset")
            if reset is None or reset > RATE_RETRY_MAX_WAIT:
                return None
            return reset + random.uniform(0, 0.25)
        return _backoff(attempt)

    def _parse(self, method, response):
        status = response.status_code
        try:
            # orjson reads a page of flows three times faster than the json module.
            body = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            body = None
        if 200 <= status < 300:
            if method == "DELETE" and not response.content:
                return None
            if isinstance(body, dict) and isinstance(body.get("data"), (dict, list)):
                return body
            if isinstance(body, dict) and body.get("status") == "error":
                # Image errors come back as HTTP 200 with this other body (API_CONTRACT.md).
                raise Rejected(_error_message(body, "The server refused the image."), status)
            raise Unavailable("The server's answer could not be read.", status)
        message = _error_message(body, f"The server answered HTTP {status}.")
        if status == 401:
            # A write's validation errors and plan limits come back as 401 too (API_CONTRACT.md).
            if method == "POST" and message != NO_ACCESS:
                raise Rejected(message, status)
            raise Unauthorized(message, status)
        if status == 404:
            raise NotFound(message, status)
        if status == 429:
            retry_after = _header_int(response, "X-RateLimit-Reset") or RATE_WINDOW
            raise RateLimited(message, retry_after=retry_after)
        if status >= 500 or 300 <= status < 400:
            raise Unavailable(f"The server had a problem (HTTP {status}). Try again in a moment.", status)
        if 400 <= status < 500:
            raise Rejected(message, status)
        raise ApiError(message, status)
