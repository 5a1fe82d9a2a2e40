from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonEvent(models.Model):
    """One change to an account made on the People page, or a break-glass sign-in: the audit trail
    a site admin reads there. Append-only from the application."""

    class Action(models.TextChoices):
        DEACTIVATE = "deactivate", _("Deactivated")
        REACTIVATE = "reactivate", _("Reactivated")
        PASSWORD_RESET = "password_reset", _("Password reset sent")
        BREAK_GLASS = "break_glass", _("Signed in with a break-glass link")
        INVITE = "invite", _("Invited")
        INVITATION_REVOKE = "invitation_revoke", _("Invitation revoked")

    # Kept when either account goes: the entry still says who and whom.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    actor_name = models.CharField(_("by"), max_length=150, blank=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("account"),
    )
    person_name = models.CharField(_("account"), max_length=150)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    # What else changed with it: connections handed to another admin, invitations revoked, the
    # connection and role an invitation grants. An invitation's person is its address, no account yet.
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("account event")
        verbose_name_plural = _("account events")

    def __str__(self):
        return f"{self.get_action_display()}: {self.person_name}"
