"""Typed failures of the flows API, built from its answers (see API_CONTRACT.md, "Errors")."""


class ApiError(Exception):
    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        self.status = status


class Unauthorized(ApiError):
    """The key is missing, wrong or disabled, or the API is not in the account's plan."""


class NotFound(ApiError):
    """No such flow for this key (or a route the server does not have)."""


class Rejected(ApiError):
    """The server refused a write: a required field, the plan's flow limit, an image error."""


class RateLimited(ApiError):
    """The key's shared budget of requests per minute is spent."""

    def __init__(self, message, retry_after, status=429):
        super().__init__(message, status)
        self.retry_after = retry_after


class Unavailable(ApiError):
    """The server could not be reached or gave no usable answer: network, timeout, 5xx, bad body."""
