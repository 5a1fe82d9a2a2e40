"""Typed failures of the flows API, built from its answers (see API_CONTRACT.md, "Errors")."""


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


class Malformed(ValueError):
    """Raised by a record's ``from_api`` for data of the wrong shape; the client turns it into
    ``Unexpected``, so that every record, old or new, fails the same readable way."""
