"""Making an invitation and e-mailing its link: the one way, whether a connection's admin makes it
on its Members page or a site admin on the People page (an account only, or with a connection)."""

import logging
import smtplib

from django.contrib import messages
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from teams.models import Invitation

logger = logging.getLogger("pushdeck.teams")


def issue(request, connection, email="", **grant):
    """A saved invitation made by the signed-in user, and its link (shown once: only its hash is
    kept)."""
    invitation = Invitation(connection=connection, created_by=request.user, email=email, **grant)
    if email and not invitation.note:
        invitation.note = email
    token = invitation.issue_token()
    invitation.save()
    return invitation, request.build_absolute_uri(reverse("teams:join", args=[token]))


def invited(invitation):
    """An invitation as the connection's history records it."""
    return {"note": invitation.note, "role": invitation.role, "websites": invitation.websites}


def email_invitation(request, invitation, email, link):
    """The link by e-mail (EMAIL_URL): the address on success. A mail that cannot be sent leaves
    the link on the page, and says so, rather than failing the invitation already made; the log
    names neither the link nor the address."""
    context = {"invitation": invitation, "link": link, "by": request.user.get_username()}
    if invitation.connection is None:
        subject = _("You are invited to Pushdeck")
    else:
        subject = _("You are invited to “%(label)s” on Pushdeck") % {"label": invitation.connection.label}
    try:
        send_mail(
            subject, render_to_string("teams/invitation_email.txt", context, request=request), None, [email]
        )
    except (OSError, smtplib.SMTPException):
        logger.warning("the invitation's e-mail could not be sent")
        messages.error(request, _("The e-mail could not be sent: copy the link below to them instead."))
        return ""
    return email
