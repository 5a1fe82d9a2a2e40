"""The HTTP client of the flows API: the only code in Pushdeck that speaks to the server."""

import contextlib
import hashlib
import logging
import math
import random
import socket
import threading
import time
import zoneinfo
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple
from urllib.parse import urlsplit

import orjson
import requests
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError, ReadTimeoutError

from flows_app import crypto
from flows_app.api import budget
from flows_app.api.errors import (
    ApiError,
    Malformed,
    NotFound,
    RateLimited,
    Rejected,
    TimedOut,
    Unauthorized,
    Unavailable,
    Unexpected,
    Unreachable,
    WrongSubscriber,
    http_problem,
    image_unreadable,
    no_answer_within,
)
from flows_app.api.records import (
    LARGEST_PAGE,
    LOG_FILTERS,
    LOG_ORDERS,
    LOG_TYPES,
    ORDER_TYPES,
    RESULTS_PER_PAGE,
    ApiUser,
    Flow,
    Listing,
    Page,
    PersonalNotification,
    RateBudget,
    Segment,
    Subscriber,
    SubscriberLog,
    Website,
    as_int,
    counted,
    identifier,
    mapping,
)
from flows_app.logging import log_upstream_call

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
CONNECT_TIMEOUT = 3.05
# Sessions (each with its keep-alive sockets) kept for the most recently used connections.
SESSION_POOL_SIZE = 64
# A whole read asks for this many pages at once at most: 10,000 flows in one wave of pages of 1000.
PAGES_AT_ONCE = 10
# Bodies are read in pieces of this size, so that the deadline and the size cap are checked often.
CHUNK_BYTES = 64 * 1024
WRITES = {"POST", "DELETE"}
# The smallest page: a count of logs asks for it and reads the meta's total.
COUNT_PAGE = 10
WRONG_SUBSCRIBER = "The subscriber ID entered is incorrect."


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


def _object_or_empty(value):
    return value if isinstance(value, dict) else {}


def _header_int(response, name):
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


class Answer(NamedTuple):
    """An HTTP answer read in full, within the call's deadline and size cap."""

    status: int
    headers: dict
    content: bytes


def _origin(url):
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


# The monotonic time by which the current thread's call must have its answer's headers.
_headers_due = threading.local()


class _HeadersByDeadline:
    """Waits for an answer's status line and headers no longer than the call's deadline.

    A read timeout restarts with every byte, and http.client reads the head a line at a time: a
    server sending one header byte a second would hold the call far past its deadline. A timer
    shuts the socket down when the deadline passes, which ends the wait at once.
    """

    def getresponse(self, *args, **kwargs):
        written = getattr(_headers_due, "written", None)
        if written is not None:
            # The request is on the wire: a page drawn from now on no longer holds it back.
            written.set()
        due = getattr(_headers_due, "at", None)
        if due is None or self.sock is None:
            return super().getresponse(*args, **kwargs)
        watchdog = threading.Timer(max(0.0, due - time.monotonic()), _shut, args=(self.sock,))
        watchdog.daemon = True
        watchdog.start()
        try:
            return super().getresponse(*args, **kwargs)
        finally:
            watchdog.cancel()


def _shut(sock):
    # Already closed: the answer came in meanwhile.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = type("HeadersByDeadlineHTTPConnection", (_HeadersByDeadline, HTTPConnection), {})


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = type("HeadersByDeadlineHTTPSConnection", (_HeadersByDeadline, HTTPSConnection), {})


class _DeadlineAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def _deadline_session():
    session = requests.Session()
    for scheme in ("http://", "https://"):
        # Sockets kept alive per server: a whole read's pages and the names' three calls at once
        # (urllib3 keeps 10 by default and would close the rest after every whole read).
        session.mount(scheme, _DeadlineAdapter(pool_maxsize=PAGES_AT_ONCE + 6))
    return session


class _SessionPool:
    """One ``requests.Session`` per connection, headers set once, reused across requests.

    Bounded, least recently used first out: every key the connection form checks would otherwise
    keep a session, and its socket, for the life of the process.
    """

    def __init__(self, size):
        self.size = size
        self.sessions = OrderedDict()
        self.lock = threading.Lock()

    def get(self, base_url, api_key):
        fingerprint = hashlib.sha256(f"{base_url}\0{api_key}".encode()).hexdigest()
        with self.lock:
            session = self.sessions.get(fingerprint)
            if session is None:
                session = _deadline_session()
                session.headers.update({"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT})
                session.headers["Accept"] = "application/json"
                self.sessions[fingerprint] = session
            self.sessions.move_to_end(fingerprint)
            evicted = []
            while len(self.sessions) > self.size:
                evicted.append(self.sessions.popitem(last=False)[1])
        for old in evicted:
            # A request still using it finishes; its connection is then not kept alive.
            old.close()
        return session, fingerprint

    def discard(self, fingerprint):
        with self.lock:
            session = self.sessions.pop(fingerprint, None)
        if session is not None:
            session.close()

    def close(self):
        with self.lock:
            sessions, self.sessions = list(self.sessions.values()), OrderedDict()
        for session in sessions:
            session.close()


_sessions = _SessionPool(SESSION_POOL_SIZE)
# For public files of the API's server (a flow's image): no key, the same deadline on the head.
_public = _deadline_session()


def close_sessions():
    """Close every pooled connection: a server being shut down (tests' live_server, a reload)
    otherwise keeps threads blocked on idle keep-alive sockets."""
    _sessions.close()


def discard_session(client):
    """Forget the session of a client whose key will not be used again (a key that failed its check)."""
    _sessions.discard(client.fingerprint)


class FlowsClient:
    """Calls one server with one key. Methods return typed records or raise ``ApiError``s."""

    def __init__(self, base_url, api_key, timeout=10.0, view_started=None, spender=None):
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        # A whole call, retries included, never takes longer than this.
        self.deadline = 2 * self.timeout
        # With view_started (a time.monotonic() value), every call of this client shares one deadline
        # from then: a page view that needs two calls still waits at most one deadline.
        self.view_ends_at = None if view_started is None else view_started + self.deadline
        self.session, self.fingerprint = _sessions.get(self.base_url, api_key)
        self.max_bytes = settings.FLOWS_API_MAX_BYTES
        # Who spends the key's budget (flows_app.api.budget): a person, or background work.
        self.spender = spender or budget.person(None)
        self.key_budget = budget.KeyBudget(crypto.budget_key(api_key))
        # Requests already counted for calls sent together (all_flows, FlowsService.directory).
        self._prepaid = 0
        self._prepaid_lock = threading.Lock()
        # What the last answer's headers said.
        self.budget = RateBudget()
        self.calls = 0
        # Set as each request has left (FlowsService.in_background waits for it).
        self.sending = threading.Event()

    # Operations

    def list_flows(self, page=1, results_per_page=25):
        return self._request(
            "GET",
            "/api/flows/",
            params={"page": page, "results_per_page": results_per_page},
            read=lambda body: Page.from_api(body, page, results_per_page),
        )

    def iter_flows(self, results_per_page=LARGEST_PAGE):
        page = 1
        while True:
            result = self.list_flows(page, results_per_page)
            yield from result.flows
            if not result.has_next:
                return
            page += 1

    def all_flows(self, pool_size=PAGES_AT_ONCE, results_per_page=LARGEST_PAGE, expected_total=None):
        """Every flow of the key, its pages fetched concurrently by a bounded pool.

        With ``expected_total`` (the last count seen) every page is asked for at once; without
        it, the first page tells how many follow. Pages the count missed (flows added meanwhile)
        are fetched after. Refuses up front what would overrun the key's budget.
        """
        numbers = range(1, max(1, math.ceil((expected_total or 0) / results_per_page)) + 1)
        # The pool starts a thread per page asked for, up to pool_size.
        with ThreadPoolExecutor(max_workers=max(1, pool_size)) as pool, self.prepaid(len(numbers)):
            pages = list(pool.map(lambda number: self.list_flows(number, results_per_page), numbers))
            missing = range(len(numbers) + 1, pages[0].total_pages + 1)
            if missing:
                with self.prepaid(len(missing)):
                    pages += pool.map(lambda number: self.list_flows(number, results_per_page), missing)
        return [flow for page in pages for flow in page.flows]

    @contextlib.contextmanager
    def prepaid(self, count, write=False):
        """Counts ``count`` requests about to be sent at once, before any is sent (some of them
        would otherwise draw a refusal or a 429 halfway); those not sent are given back."""
        self.key_budget.take(self.spender, count, write)
        with self._prepaid_lock:
            self._prepaid += count
        try:
            yield
        finally:
            with self._prepaid_lock:
                unused, self._prepaid = min(self._prepaid, count), max(0, self._prepaid - count)
            if unused:
                self.key_budget.give_back(self.spender, unused)

    def _spend(self, method):
        """One request is about to be sent: counted already (``prepaid``), or counted now."""
        with self._prepaid_lock:
            if self._prepaid:
                self._prepaid -= 1
                return
        self.key_budget.take(self.spender, 1, write=method in WRITES)

    def fetch_image(self, url, max_bytes):
        """The bytes of a flow's image, read from its image_url.

        The API cannot copy an image, so a duplicate reads it here. The address comes from the
        server's answer: only one on the API's own scheme, host and port is followed, without the
        API key (a public file) and without redirects, reading at most max_bytes. A plain file,
        not an API call: the key's request budget is not spent.
        """
        if _origin(url) != _origin(self.base_url):
            raise Rejected(_("The image is kept on another server, which Pushdeck does not contact."))
        # Within the page view's deadline, head and body, like every call of the API.
        ends_at = time.monotonic() + self.time_left()
        left = ends_at - time.monotonic()
        _headers_due.at = ends_at
        try:
            response = _public.get(
                url,
                headers={"User-Agent": USER_AGENT},
                timeout=(min(CONNECT_TIMEOUT, self.timeout, left), min(self.timeout, left)),
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException:
            raise Unavailable(_("The image could not be read: the connection failed.")) from None
        finally:
            _headers_due.at = None
        with response:
            if response.status_code != 200:
                raise Unavailable(image_unreadable(response.status_code))
            try:
                return self._read_body("GET", url, response, ends_at, max_bytes)
            except Unexpected:
                raise Rejected(_("The image is larger than the size allowed for a flow.")) from None

    def get_flow(self, flow_id):
        return self._request(
            "GET", f"/api/flows/{int(flow_id)}", read=lambda body: Flow.from_api(body["data"])
        )

    def create_flow(self, fields, image=None):
        """Create a flow; returns ``(id, Flow or None)``: newer servers answer with the whole flow."""
        # The create trap: the server turns these on when present at all, whatever the value.
        form = _true_or_absent(fields, ("is_silent", "is_auto_hide"))
        return self._request("POST", "/api/flows", form=form, image=image, read=self._written)

    def update_flow(self, flow_id, changes, image=None, remove_image=False):
        """Send only ``changes``; returns ``(id, Flow or None)`` like ``create_flow``."""
        form = dict(changes)
        if remove_image and image is None:
            form["image_remove"] = 1
        return self._request("POST", f"/api/flows/{int(flow_id)}", form=form, image=image, read=self._written)

    def delete_flow(self, flow_id):
        self._request("DELETE", f"/api/flows/{int(flow_id)}")

    def list_websites(self):
        return self._every_item("/api/websites/", Website)

    def list_segments(self):
        return self._every_item("/api/segments/", Segment)

    def get_user(self):
        return self._request(
            "GET", "/api/user", read=lambda body: ApiUser.from_api(_object_or_empty(body["data"]))
        )

    def _every_item(self, path, record):
        """Every item of a list endpoint as records, page by page at the largest page size (an
        account has a handful of websites and segments: one call in practice)."""

        def read(body):
            # Odd answers read as no items: these endpoints only name things (a page then shows ids).
            items = body["data"] if isinstance(body["data"], list) else ()
            found = [record.from_api(item) for item in items if isinstance(item, dict)]
            return found, as_int(_object_or_empty(body.get("meta")).get("total_pages"), 1)

        items, page = [], 1
        while True:
            found, total_pages = self._request(
                "GET", path, params={"page": page, "results_per_page": LARGEST_PAGE}, read=read
            )
            items += found
            if page >= total_pages:
                return tuple(items)
            page += 1

    # Subscribers, their logs and personal notifications (API_CONTRACT.md, "Subscribers, their
    # logs and personal notifications"): records without the secrets and IPs of the answers.

    def list_subscribers(self, page=1, results_per_page=25):
        return self._listing("/api/subscribers/", Subscriber, page, results_per_page)

    def get_subscriber(self, subscriber_id):
        return self._request(
            "GET",
            f"/api/subscribers/{int(subscriber_id)}",
            read=lambda body: Subscriber.from_api(body["data"]),
        )

    def list_logs(
        self, page=1, results_per_page=25, order_by="subscriber_log_id", order_type="DESC", **filters
    ):
        """A page of the logs matching ``filters`` (LOG_FILTERS and ``type``), in the order asked."""
        if order_by not in LOG_ORDERS or order_type not in ORDER_TYPES:
            raise ValueError(f"Logs are ordered by one of {LOG_ORDERS}, {ORDER_TYPES}.")
        order = {"order_by": order_by, "order_type": order_type}
        return self._listing(
            "/api/subscribers-logs/",
            SubscriberLog,
            page,
            results_per_page,
            {**_log_filters(filters), **order},
        )

    def count_logs(self, **filters):
        """How many log entries match ``filters``: one call, the smallest page, the meta's count."""
        params = {**_log_filters(filters), "results_per_page": COUNT_PAGE}
        return self._request("GET", "/api/subscribers-logs/", params=params, read=counted)

    def send_personal_notification(self, fields, image=None, scheduled_at=None, zone=""):
        """One push to one subscriber, now or at ``scheduled_at`` (an aware datetime), written in
        the key owner's time ``zone`` (/api/user's). Never retried: a repeated send is a second
        push. Returns the PersonalNotification the server kept."""
        if {"is_scheduled", "scheduled_datetime", "save"} & set(fields):
            raise ValueError("A push is scheduled with scheduled_at; drafts are not sent from Pushdeck.")
        # Read by presence, "0" included (API_CONTRACT.md): sent only when on.
        form = _true_or_absent(fields, ("is_silent", "is_auto_hide"))
        if scheduled_at is not None:
            form.update(is_scheduled=1, scheduled_datetime=_owner_time(scheduled_at, zone))
        try:
            return self._request(
                "POST",
                "/api/personal-notifications",
                form=form,
                image=image,
                read=lambda body: PersonalNotification.from_api(body["data"]),
            )
        except Rejected as error:
            if error.server_said != WRONG_SUBSCRIBER:
                raise
            wrong = WrongSubscriber(
                _("This subscriber is not one of the website's subscribers, or no longer subscribed."),
                error.status,
                error.server_said,
            )
            wrong.write = True
            raise wrong from None

    def list_personal_notifications(self, page=1, results_per_page=25):
        return self._listing("/api/personal-notifications/", PersonalNotification, page, results_per_page)

    def get_personal_notification(self, notification_id):
        return self._request(
            "GET",
            f"/api/personal-notifications/{int(notification_id)}",
            read=lambda body: PersonalNotification.from_api(body["data"]),
        )

    def delete_personal_notification(self, notification_id):
        """Deletes one (each one kept counts against the plan's limit). Idempotent: one already gone
        (deleted by an attempt whose answer was lost, or by someone else) is deleted all the same."""
        with contextlib.suppress(NotFound):
            self._request("DELETE", f"/api/personal-notifications/{int(notification_id)}")

    def _listing(self, path, record, page, results_per_page, params=()):
        """A page of a list endpoint as a Listing of ``record``s. Only the sizes the server takes are
        sent: it would answer any other with 25 a page, unsaid."""
        if (
            results_per_page not in RESULTS_PER_PAGE
            or isinstance(page, bool)
            or not isinstance(page, int)
            or page < 1
        ):
            raise ValueError(f"A page is a number from 1, of one of {RESULTS_PER_PAGE} results.")
        return self._request(
            "GET",
            path,
            params={**dict(params), "page": page, "results_per_page": results_per_page},
            read=lambda body: Listing.from_api(body, record, page, results_per_page),
        )

    # Transport

    @staticmethod
    def _written(body):
        data = mapping(body["data"], "The answer to a write")
        flow = Flow.from_api(data) if "name" in data else None
        return identifier(data.get("id"), "The answer to a write"), flow

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

    def time_left(self):
        """Seconds left of the page view's deadline (a whole deadline when not in a page view)."""
        if self.view_ends_at is None:
            return self.deadline
        return max(0.0, self.view_ends_at - time.monotonic())

    def _request(self, method, path, params=None, form=None, image=None, read=None):
        """The answer's JSON body, or ``read(body)``: the record it makes. Raises ``ApiError``s only."""
        try:
            body = self._attempts(method, path, params, form, image)
            if read is None or body is None:
                return body
            try:
                return read(body)
            except (Malformed, KeyError, TypeError, ValueError) as exc:
                logger.warning("flows API %s %s: unexpected shape: %s", method, path, exc)
                raise Unexpected(_("Its answer did not have the shape Pushdeck expects."), 200) from None
        except ApiError as error:
            error.write = method in WRITES
            raise

    def _attempts(self, method, path, params, form, image):
        url = self.base_url + path
        files = self._multipart(form, image) if form is not None else None
        retryable = method in IDEMPOTENT
        started = time.monotonic()
        ends_at = started + self.deadline
        if self.view_ends_at is not None:
            ends_at = min(ends_at, self.view_ends_at)
        attempt = 0
        while True:
            if ends_at - time.monotonic() <= 0:
                raise TimedOut(_no_answer_within(started))
            failure = answer = None
            # Every attempt is a request of the key's budget: refused, it is not sent.
            self._spend(method)
            sent_at = time.monotonic()
            try:
                answer = self._send(method, url, params, files, ends_at)
                wait = self._retry_wait(answer, attempt)
            except Unavailable as error:
                failure, wait = error, _backoff(attempt)
                if isinstance(error, Unexpected):
                    # Too much, or a body that broke off: asking again would only repeat it.
                    wait = None
            outcome = answer.status if failure is None else type(failure).__name__
            log_upstream_call(method, url, outcome, sent_at, self.budget, self.fingerprint)
            attempt += 1
            in_time = wait is not None and time.monotonic() + wait < ends_at
            if retryable and in_time and attempt < MAX_ATTEMPTS:
                time.sleep(wait)
                continue
            if isinstance(failure, TimedOut):
                raise TimedOut(_no_answer_within(started))
            if failure is not None:
                raise failure
            return self._parse(method, answer)

    def _send(self, method, url, params, files, ends_at):
        """One request and its whole answer, body included, by ``ends_at`` (a monotonic time).

        requests' read timeout restarts with every byte, so a server sending one byte a second
        would hold the call for as long as it likes: the head is watched by a timer (see
        _HeadersByDeadline), the body read in pieces, the time left checked between them and given
        to the socket as its timeout for the next one.
        """
        self.calls += 1
        left = ends_at - time.monotonic()
        _headers_due.at = ends_at
        # Set once requests has built and written the request, not before: the view waiting for it
        # (FlowsService.in_background) would otherwise start drawing its page, holding the
        # interpreter lock, while this thread still has a millisecond or more of Python to run.
        _headers_due.written = self.sending
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                files=files,
                timeout=(min(CONNECT_TIMEOUT, self.timeout, left), min(self.timeout, left)),
                # The Bearer key must never travel to wherever a redirect points.
                allow_redirects=False,
                stream=True,
            )
        except requests.ConnectTimeout:
            raise Unreachable(
                format_lazy(
                    _("The server did not accept a connection within {seconds} s."),
                    seconds=f"{CONNECT_TIMEOUT:g}",
                )
            ) from None
        except requests.Timeout:
            raise TimedOut(TIMED_OUT) from None
        except requests.RequestException as exc:
            logger.warning("flows API %s %s failed: %s", method, url, type(exc).__name__)
            if _never_connected(exc):
                raise Unreachable(_("The connection to the server could not be opened.")) from None
            if time.monotonic() >= ends_at:
                # The watchdog shut a socket whose answer's head was still arriving.
                raise TimedOut(TIMED_OUT) from None
            raise Unavailable(_("The connection to the server broke before it answered.")) from None
        finally:
            _headers_due.at = _headers_due.written = None
        with response:
            self.budget = RateBudget(
                _header_int(response, "X-RateLimit-Limit"), _header_int(response, "X-RateLimit-Remaining")
            )
            reset = _header_int(response, "X-RateLimit-Reset") if response.status_code == 429 else None
            self.key_budget.record(self.budget.limit, self.budget.remaining, reset)
            content = self._read_body(method, url, response, ends_at)
        return Answer(response.status_code, response.headers, content)

    def _read_body(self, method, url, response, ends_at, max_bytes=None):
        max_bytes = max_bytes or self.max_bytes
        received, size = [], 0
        try:
            while True:
                left = ends_at - time.monotonic()
                if left <= 0:
                    raise TimedOut(TIMED_OUT)
                _set_read_timeout(response, left)
                # read1 returns what one read of the socket brought (unpacked, at most CHUNK_BYTES
                # of it): a gzip bomb is refused after max_bytes, not unpacked whole.
                piece = response.raw.read1(CHUNK_BYTES, decode_content=True)
                if not piece:
                    return b"".join(received)
                size += len(piece)
                if size > max_bytes:
                    raise Unexpected(
                        format_lazy(
                            _("It sent more than {size} MB, far more than any answer of the API."),
                            size=max_bytes // (1024 * 1024),
                        ),
                        response.status_code,
                    )
                received.append(piece)
        except ReadTimeoutError:
            raise TimedOut(TIMED_OUT) from None
        except (HTTPError, OSError) as exc:
            if time.monotonic() >= ends_at:
                raise TimedOut(TIMED_OUT) from None
            logger.warning("flows API %s %s broke off: %s", method, url, type(exc).__name__)
            raise Unavailable(_("The connection to the server broke while it was answering.")) from None

    @staticmethod
    def _retry_wait(answer, attempt):
        if answer.status not in RETRY_STATUSES:
            return None
        if answer.status == 429:
            reset = _header_int(answer, "X-RateLimit-Reset")
            if reset is None or reset > RATE_RETRY_MAX_WAIT:
                return None
            return reset + random.uniform(0, 0.25)
        return _backoff(attempt)

    def _parse(self, method, answer):
        status, content = answer.status, answer.content
        try:
            # orjson reads a page of flows three times faster than the json module.
            body = orjson.loads(content) if content else None
        except orjson.JSONDecodeError:
            body = None
        if 200 <= status < 300:
            if method == "DELETE" and not content:
                return None
            if isinstance(body, dict) and isinstance(body.get("data"), (dict, list)):
                return body
            if method == "POST" and isinstance(body, dict) and body.get("status") == "error":
                # Image errors come back as HTTP 200 with this other body (API_CONTRACT.md).
                said = _error_message(body, "")
                raise Rejected(said or _("The server refused the image."), status, said)
            raise Unexpected(_("Its answer could not be read as the API's JSON."), status)
        said = _error_message(body, "")
        message = said or format_lazy(_("The server answered HTTP {status}."), status=status)
        if status == 401:
            # A write's validation errors and plan limits come back as 401 too (API_CONTRACT.md).
            if method == "POST" and message != NO_ACCESS:
                raise Rejected(message, status, said)
            raise Unauthorized(message, status, said)
        if status == 404:
            raise NotFound(message, status, said)
        if status == 429:
            retry_after = _header_int(answer, "X-RateLimit-Reset") or budget.WINDOW
            raise RateLimited(message, retry_after=retry_after, server_said=said)
        if status >= 500 or 300 <= status < 400:
            raise Unavailable(http_problem(status), status)
        if 400 <= status < 500:
            raise Rejected(message, status, said)
        raise Unexpected(
            format_lazy(_("It answered HTTP {status}, which the API never sends."), status=status), status
        )


TIMED_OUT = _("The server did not answer in time.")


def _true_or_absent(fields, switches):
    """``fields`` without those of ``switches`` that are off: the server reads them by presence."""
    return {name: value for name, value in fields.items() if not (name in switches and not value)}


def _log_filters(filters):
    """The logs' query for ``filters``, checked: the server would read an unknown name or a value
    that is not a number as no filter or as 0, and answer other entries than those asked for."""
    unknown = set(filters) - {*LOG_FILTERS, "type"}
    if unknown:
        raise TypeError(f"The logs have no filter {sorted(unknown)}.")
    if "type" in filters and filters["type"] not in LOG_TYPES:
        raise ValueError(f"{filters['type']!r} is not a type of log entry.")
    for name in set(filters) & set(LOG_FILTERS):
        value = filters[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"The filter {name} is an id (0: entries of no such source).")
    return filters


def _owner_time(moment, zone):
    """``moment`` as the server reads a scheduled time: ``YYYY-MM-DD HH:MM:SS`` in the key owner's
    zone. Without a zone Pushdeck can name, a push would go out at another hour: refused, unsent."""
    if moment.tzinfo is None:
        raise ValueError("A scheduled time must say its zone (an aware datetime).")
    try:
        owner = zoneinfo.ZoneInfo(zone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        refused = Rejected(
            _("The server does not say which time zone its account is in, so the push cannot be scheduled.")
        )
        # A write refused before it was sent: nothing changed.
        refused.write = True
        raise refused from None
    return moment.astimezone(owner).strftime("%Y-%m-%d %H:%M:%S")


def _no_answer_within(started):
    return no_answer_within(max(1, round(time.monotonic() - started)))


def _never_connected(exc):
    """True when the request never left: no connection could be opened (refused, no such host)."""
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, MaxRetryError) and isinstance(reason.reason, NewConnectionError)


def _set_read_timeout(response, seconds):
    """The socket waits for the next piece no longer than the call has left."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))
