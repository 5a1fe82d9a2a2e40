"""What Pushdeck logs, and how: one line per request and one per call to the flows API, so that an
operator can see who spends a key's budget; JSON when LOG_FORMAT=json; no secret in any line."""

import contextvars
import json
import logging
import re
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\"]+")
# Addresses whose last part is a secret: an invitation's token lets anyone holding it join the
# connection, a kept image's token reads a user's draft, a break-glass link signs its account in,
# a password reset's key sets a password. Anchored at the start of a path (or of a whole URL), so
# that /connections/5/invitations/3/revoke/ keeps its ids.
_TOKEN_IN_PATH = re.compile(
    r"(?<![\w/.-])((?:https?://[^/\s'\"]+)?/(?:invitations|uploads|accounts/break-glass|accounts/password/reset/key)/)[^/\s?#'\"]+"
)
MASKED = "[masked]"

request_logger = logging.getLogger("pushdeck.request")
upstream_logger = logging.getLogger("pushdeck.upstream")

# The request being served, for the upstream calls it makes (on its own thread or, through a
# copied context, on the API threads): the request and the outcome of each of its calls.
_serving = contextvars.ContextVar("pushdeck_serving", default=None)


def mask_path(text):
    """The text with every secret of an address in it masked: what any log line may hold of a path."""
    return _TOKEN_IN_PATH.sub(rf"\1{MASKED}", text)


class RedactSecrets(logging.Filter):
    """On every handler: Django's own lines ("Not Found: /invitations/…", CSRF refusals) name the
    path too."""

    def filter(self, record):
        message = record.getMessage()
        redacted = mask_path(_BEARER.sub(r"\1[redacted]", message))
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the line's own fields."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def _user_id(request):
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def serving_user_id():
    """The id of the signed-in user whose request is being served (None outside one, or signed out)."""
    serving = _serving.get()
    return _user_id(serving["request"]) if serving is not None else None


def _emit(logger, level, text, fields):
    message = " ".join([text, *(f"{name}={value}" for name, value in fields.items())])
    logger.log(level, "%s", message, extra={"fields": fields})


def log_upstream_call(method, url, outcome, started, budget, fingerprint):
    """One line for one call to the flows API (outcome: the HTTP status, or the error's name).

    The path only: the key travels in a header, and the query holds nothing an operator needs. The
    key is named by a short prefix of its fingerprint (a hash), which is enough to tell keys apart.
    """
    fields = {
        "method": method,
        "path": urlsplit(url).path,
        "status": outcome,
        "ms": round((time.monotonic() - started) * 1000),
        "budget_left": budget.remaining,
        "budget_limit": budget.limit,
        "key": fingerprint[:12],
    }
    serving = _serving.get()
    if serving is not None:
        fields["user"] = _user_id(serving["request"])
        # list.append is atomic: a page's concurrent calls (all_flows) may land here together.
        serving["calls"].append(budget.remaining)
    # Failures stay visible at LOG_LEVEL=WARNING: no answer, a spent budget, the server's errors.
    failed = not isinstance(outcome, int) or outcome == 429 or outcome >= 500
    _emit(upstream_logger, logging.WARNING if failed else logging.INFO, "upstream", fields)


class RequestLogMiddleware:
    """One line per request: method, path (never the query), status, time, user, and the upstream
    calls it made with the budget they left. Placed after /healthz, whose probes would drown it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        serving = {"request": request, "calls": []}
        token = _serving.set(serving)
        try:
            response = self.get_response(request)
        finally:
            _serving.reset(token)
        fields = {
            "method": request.method,
            "path": mask_path(request.path),
            "status": response.status_code,
            "ms": round((time.monotonic() - started) * 1000),
            "user": _user_id(request),
            "upstream": len(serving["calls"]),
        }
        if serving["calls"]:
            fields["budget_left"] = serving["calls"][-1]
        _emit(request_logger, logging.INFO, "request", fields)
        return response
