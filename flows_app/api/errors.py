"""Typed failures of the flows API, built from its answers (see API_CONTRACT.md, "Errors").

Pushdeck's own messages are lazy: a call may fail in a background thread, and the message is
read in the language of the page that shows it.
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class ApiError(Exception):
    def __init__(self, message, status=None, server_said=""):
        super().__init__(message)
        self.message = message
        self.status = status
        # The server's own words, when its answer carried some (shown as a quote, never as ours).
        self.server_said = server_said
        # Whether the failed call was a write: the client sets it, so that a message can say
        # whether something may have changed.
        self.write = False


class Unauthorized(ApiError):
    """The key is missing, wrong or disabled, or the API is not in the account's plan."""


class NotFound(ApiError):
    """No such flow for this key (or a route the server does not have)."""


class Rejected(ApiError):
    """The server refused the request: a write's required field, the plan's flow limit, an image
    error; or a read it answered with a 4xx."""


class RateLimited(ApiError):
    """The key's shared budget of requests per minute is spent."""

    def __init__(self, message, retry_after, status=429, server_said=""):
        super().__init__(message, status, server_said)
        self.retry_after = retry_after


class Unavailable(ApiError):
    """No usable answer: a timeout, a connection that broke after the request left, a 5xx.
    A write that ends so may or may not have been made."""


class TimedOut(Unavailable):
    """The call's deadline passed before a whole answer arrived."""


class Unreachable(Unavailable):
    """The connection could not be opened: nothing was sent, so nothing changed."""


class Unexpected(Unavailable):
    """The server answered, but not with what the contract says: not JSON, the wrong shape, or far
    more than any real answer. A write answered so was most probably made."""


def no_answer_within(seconds):
    """What a user who waited this long is told: the time they really waited, not one attempt's."""
    return format_lazy(_("The server did not answer within {seconds} s."), seconds=seconds)


def http_problem(status):
    return format_lazy(_("The flows server had a problem (HTTP {status})."), status=status)


def image_unreadable(status):
    return format_lazy(_("The image could not be read (HTTP {status})."), status=status)


class Malformed(ValueError):
    """Raised by a record's ``from_api`` for data of the wrong shape; the client turns it into
    ``Unexpected``, so that every record, old or new, fails the same readable way."""


class WrongSubscriber(Rejected):
    """A personal notification named a subscriber that is not one of the website's (or no longer
    is: found expired, deleted). The server says so with a 401 (API_CONTRACT.md)."""
