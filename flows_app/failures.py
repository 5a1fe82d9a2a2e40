"""What each upstream failure means to a user: a status, a headline, what to do next."""

from dataclasses import dataclass

from django.urls import reverse

from flows_app.api import NotFound, RateLimited, Rejected, Unauthorized, Unavailable
from flows_app.crypto import DecryptionError


@dataclass(frozen=True)
class Failure:
    status: int
    title: str
    message: str
    advice: str
    link: str = ""
    link_label: str = ""
    retry_after: int | None = None

    @property
    def toast(self):
        return f"{self.title} {self.advice}"


def describe(error, connection=None):
    """A readable Failure for an ApiError (or an unreadable stored key); never a traceback."""
    edit_url = reverse("connection_edit", args=[connection.pk]) if connection else reverse("connections")
    if isinstance(error, DecryptionError):
        return Failure(
            409,
            "This connection's stored API key can no longer be read.",
            str(error),
            "Enter the key again on the connection's page.",
            edit_url,
            "Edit connection",
        )
    if isinstance(error, Unauthorized):
        return Failure(
            403,
            "The server refused this connection's API key.",
            error.message,
            "Check that the key is right, enabled and that the API is part of the account's plan.",
            edit_url,
            "Edit connection",
        )
    if isinstance(error, NotFound):
        return Failure(
            404,
            "This flow does not exist on the server.",
            error.message,
            "It may have been deleted by someone else; go back to the list.",
        )
    if isinstance(error, RateLimited):
        seconds = max(1, int(error.retry_after or 60))
        return Failure(
            429,
            "Too many requests for this API key.",
            error.message,
            f"Everyone using this key shares 60 requests a minute; try again in {seconds} seconds.",
            retry_after=seconds,
        )
    if isinstance(error, Rejected):
        return Failure(422, "The server refused the change.", error.message, "Nothing was changed.")
    if isinstance(error, Unavailable):
        return Failure(
            502,
            "The flows server could not be reached.",
            error.message,
            "Check that the server is up, then try again in a moment.",
        )
    return Failure(
        502, "The flows server gave an unexpected answer.", error.message, "Try again in a moment."
    )
