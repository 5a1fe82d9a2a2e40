"""What each upstream failure means to a user: a status, a headline, what to do next.

One message per problem: the headline says what happened, the advice what to do; the server's
own words, when it gave some, are quoted apart and never repeat ours.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from flows_app.api import (
    NotFound,
    RateLimited,
    Rejected,
    TimedOut,
    Unauthorized,
    Unavailable,
    Unexpected,
    Unreachable,
)
from flows_app.api.budget import KeptForWrites, ShareSpent
from flows_app.crypto import DecryptionError
from flows_app.text import sentences


@dataclass(frozen=True)
class Failure:
    status: int
    title: str
    advice: str
    server_said: str = ""
    link: str = ""
    link_label: str = ""
    retry_after: int | None = None

    @property
    def summary(self):
        """Headline and advice in one line, for a toast, a row or a form; pages show them apart."""
        wait = (
            _("Try again in %(seconds)d seconds.") % {"seconds": self.retry_after} if self.retry_after else ""
        )
        return sentences(self.title, self.advice, wait)


def describe(error, connection=None, reload_url=""):
    """A readable Failure for an ApiError (or an unreadable stored key); never a traceback.

    ``reload_url`` is where to see the result of a write whose answer was unreadable.
    """
    edit_url = reverse("connection_edit", args=[connection.pk]) if connection else reverse("connections")
    if isinstance(error, DecryptionError):
        return Failure(
            409,
            _("This connection's stored API key can no longer be read."),
            _("Enter the key again on the connection's page."),
            link=edit_url,
            link_label=_("Edit connection"),
        )
    said = error.server_said
    if isinstance(error, Unauthorized):
        return Failure(
            403,
            _("The server refused this connection's API key."),
            _("Check that the key is right, enabled and that the API is part of the account's plan."),
            said,
            edit_url,
            _("Edit connection"),
        )
    if isinstance(error, NotFound):
        return Failure(
            404,
            _("This flow does not exist on the server."),
            _("It may have been deleted by someone else; go back to the list."),
            said,
        )
    if isinstance(error, ShareSpent | KeptForWrites):
        # The budget's own refusals (docs/BUDGET.md): the others using the key still have theirs.
        title = (
            _("You have used your share of this API key's requests for this minute.")
            if isinstance(error, ShareSpent)
            else _("This API key's requests for reading are used up for this minute.")
        )
        return Failure(429, title, error.message, retry_after=max(1, int(error.retry_after)))
    if isinstance(error, RateLimited):
        return Failure(
            429,
            _("This API key has used its requests for this minute."),
            _("Everyone using this key shares 60 requests a minute."),
            said,
            retry_after=max(1, int(error.retry_after or 60)),
        )
    if isinstance(error, Rejected):
        if error.write:
            return Failure(422, _("The server refused the change."), _("Nothing was changed."), said)
        return Failure(
            502,
            _("The server refused to answer (HTTP %(status)s).") % {"status": error.status},
            _("Try again in a moment; if it keeps happening, tell whoever runs the server."),
            said,
        )
    if isinstance(error, Unexpected):
        advice = _("Try again in a moment; if it keeps happening, the server may have changed its API.")
        if error.write:
            advice = _("The change was probably made: reload to see it before you try again.")
        return Failure(
            502,
            _("The server sent something unexpected. %(detail)s") % {"detail": error.message},
            advice,
            link=reload_url if error.write else "",
            link_label=_("Reload") if error.write and reload_url else "",
        )
    if isinstance(error, Unreachable):
        return Failure(
            502,
            _("The flows server could not be reached."),
            _("Nothing was sent. Check that the server is up, then try again in a moment."),
        )
    if isinstance(error, Unavailable):
        title = (
            str(error.message)
            if isinstance(error, TimedOut) or error.status
            else _("The connection to the server broke.")
        )
        advice = _("Try again in a moment.")
        if error.write:
            advice = _("The change may have been made anyway: check before you try again.")
        return Failure(502, title, advice)
    return Failure(502, _("The flows server gave an unexpected answer."), _("Try again in a moment."), said)
