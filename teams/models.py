"""Who may use a shared connection, how, and what they changed through Pushdeck."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

INVITATION_DAYS = 7


class Role(models.TextChoices):
    # In increasing order of rights: each role may do everything of the ones before it.
    VIEWER = "viewer", _("Viewer")
    EDITOR = "editor", _("Editor")
    ADMIN = "admin", _("Admin")

    @property
    def rank(self):
        return list(Role).index(self)

    def allows(self, needed):
        return self.rank >= Role(needed).rank


class Membership(models.Model):
    connection = models.ForeignKey(
        "flows_app.Connection",
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("connection"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    # Website ids of the connection this member is limited to; empty: every website.
    websites = models.JSONField(_("websites"), default=list, blank=True)
    created = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user__username"]
        constraints = [models.UniqueConstraint(fields=["connection", "user"], name="one_membership_per_user")]

    def __str__(self):
        return _("%(user)s, %(role)s of connection %(connection)s") % {
            "user": self.user,
            "role": self.get_role_display(),
            "connection": self.connection_id,
        }


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(used__isnull=True, revoked__isnull=True, expires__gt=timezone.now())


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A one-use link to join a connection with a role. Only the token's hash is stored: the link
    is shown once, to the admin who makes it."""

    connection = models.ForeignKey(
        "flows_app.Connection",
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("connection"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    websites = models.JSONField(_("websites"), default=list, blank=True)
    note = models.CharField(
        _("note"), max_length=100, blank=True, help_text=_("Who it is for; only admins see it.")
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("made by"),
    )
    created = models.DateTimeField(_("made"), auto_now_add=True)
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

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created"]

    def __str__(self):
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


class Kind(models.TextChoices):
    FLOW_CREATE = "flow.create", _("Flow created")
    FLOW_EDIT = "flow.edit", _("Flow edited")
    FLOW_TOGGLE = "flow.toggle", _("Flow switched on or off")
    FLOW_DUPLICATE = "flow.duplicate", _("Flow duplicated")
    FLOW_DELETE = "flow.delete", _("Flow deleted")
    CONNECTION_CREATE = "connection.create", _("Connection added")
    CONNECTION_EDIT = "connection.edit", _("Connection edited")
    CONNECTION_DELETE = "connection.delete", _("Connection deleted")
    MEMBER_ADD = "member.add", _("Member added")
    MEMBER_CHANGE = "member.change", _("Member's access changed")
    MEMBER_REMOVE = "member.remove", _("Member removed")
    INVITATION_CREATE = "invitation.create", _("Invitation made")
    INVITATION_REVOKE = "invitation.revoke", _("Invitation revoked")
    INVITATION_ACCEPT = "invitation.accept", _("Invitation accepted")
    JOB_CANCEL = "job.cancel", _("Bulk job cancelled")


# Kinds whose entry holds every field of the flow after the write.
RESTORABLE = {Kind.FLOW_CREATE, Kind.FLOW_EDIT, Kind.FLOW_DUPLICATE}


class Activity(models.Model):
    """One write made through Pushdeck. Append-only from the application: no view edits or
    deletes an entry; `manage.py prune_activity` removes old ones."""

    # Kept when the connection or the person goes: the entry still says who and where.
    connection = models.ForeignKey(
        "flows_app.Connection",
        on_delete=models.SET_NULL,
        null=True,
        related_name="activity",
        verbose_name=_("connection"),
    )
    connection_label = models.CharField(_("connection name"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150)
    kind = models.CharField(_("change"), max_length=30, choices=Kind.choices)
    flow_id = models.PositiveBigIntegerField(_("flow ID"), null=True, blank=True)
    flow_name = models.CharField(_("flow name"), max_length=256, blank=True)
    website_id = models.PositiveBigIntegerField(_("website ID"), null=True, blank=True)
    # The fields before and after the write (API parameter names); never an API key.
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    created = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("activity entry")
        verbose_name_plural = _("activity")
        indexes = [models.Index(fields=["connection", "flow_id", "-created"])]

    def __str__(self):
        return _("%(change)s by %(user)s") % {"change": self.get_kind_display(), "user": self.username}

    @property
    def kind_label(self):
        """What the entry did, as the history heads it: a switch by the state it left the flow in
        (its after side; the kind's own label for an entry without one), and whether that was a
        change: the state before, when the writer knew it (teams.activity.toggle_values)."""
        enabled = (self.after or {}).get("is_enabled")
        if self.kind != Kind.FLOW_TOGGLE or enabled is None:
            return self.get_kind_display()
        was = (self.before or {}).get("is_enabled")
        if was is None:
            return _("Flow set to on") if enabled else _("Flow set to paused")
        if was == enabled:
            return (
                _("Flow already on: nothing changed")
                if enabled
                else _("Flow already paused: nothing changed")
            )
        return _("Flow switched on") if enabled else _("Flow paused")

    @property
    def unchanged(self):
        """Whether the write changed nothing: the server accepted it, every value it wrote was
        already so (a bulk Enable of a flow that was on, a bulk edit to the values it had)."""
        before, after = self.before or {}, self.after or {}
        return bool(before and after) and all(
            name in before and before[name] == value for name, value in after.items()
        )

    @property
    def restorable(self):
        """Whether the entry holds every field of a version of the flow, to be put back."""
        return self.kind in RESTORABLE

    @property
    def restorable_before(self):
        """Whether the version before the write can be put back too: an edit holds every field
        before it as well as after, and they differ."""
        return self.kind == Kind.FLOW_EDIT and bool(self.before) and not self.unchanged
