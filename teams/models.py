"""Invitations to a shared connection."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from flows_app.models import Role

INVITATION_DAYS = 7


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(used__isnull=True, revoked__isnull=True, expires__gt=timezone.now())


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class Grant(models.Model):
    """What an admin grants through a connection's Members page without naming the person: a role
    and websites, worth what its maker may still grant (teams.grants.invitation_holds)."""

    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    websites = models.JSONField(_("websites"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("made by"),
    )
    created = models.DateTimeField(_("made"), auto_now_add=True)

    class Meta:
        abstract = True


class Invitation(Grant):
    """A one-use link to join a connection with a role, or, made by a site admin on the People
    page without a connection, to get an account only. Only the token's hash is stored: the link
    is shown once, to the admin who makes it."""

    connection = models.ForeignKey(
        "flows_app.Connection",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("connection"),
    )
    note = models.CharField(
        _("note"), max_length=100, blank=True, help_text=_("Who it is for; only admins see it.")
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    expires = models.DateTimeField(_("expires"))
    used = models.DateTimeField(_("used"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("used by"),
    )
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)
    # Where it was e-mailed: an account made with it gets this address (for its password resets).
    email = models.EmailField(_("e-mailed to"), blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created"]

    def __str__(self):
        if self.connection_id is None:
            return _("Invitation to an account")
        return _("Invitation as %(role)s to connection %(connection)s") % {
            "role": self.get_role_display(),
            "connection": self.connection_id,
        }

    def issue_token(self):
        """A fresh secret for this invitation; the caller shows it once and forgets it."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        self.expires = timezone.now() + timedelta(days=INVITATION_DAYS)
        return token

    @property
    def state(self):
        if self.used:
            return "used"
        if self.revoked:
            return "revoked"
        if self.expires <= timezone.now():
            return "expired"
        return "pending"


class GroupRole(Grant):
    """A group of the identity provider given a role (and websites) on a connection: whoever the
    provider says is in it, at their sign-in, is a member so (teams/groups.py)."""

    connection = models.ForeignKey(
        "flows_app.Connection",
        on_delete=models.CASCADE,
        related_name="group_roles",
        verbose_name=_("connection"),
    )
    group = models.CharField(_("group"), max_length=200)

    class Meta:
        verbose_name = _("group's role")
        verbose_name_plural = _("groups' roles")
        ordering = ["group"]
        constraints = [models.UniqueConstraint(fields=["connection", "group"], name="one_role_per_group")]

    def __str__(self):
        return f"{self.group}: {self.get_role_display()}"


class GroupMembership(models.Model):
    """Marks a membership as the provider's groups': the next sign-in changes or removes it as the
    groups then say. A membership an admin granted by hand has none, and groups never touch it."""

    membership = models.OneToOneField(
        "flows_app.Membership",
        on_delete=models.CASCADE,
        related_name="from_groups",
        verbose_name=_("membership"),
    )

    class Meta:
        verbose_name = _("membership from groups")
        verbose_name_plural = _("memberships from groups")

    def __str__(self):
        return str(self.membership)
