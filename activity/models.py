"""What users changed through Pushdeck: the activity history every writer records into
(activity.history.record), whatever app the write is made from."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from flows_app.models import Connection


class Kind(models.TextChoices):
    FLOW_CREATE = "flow.create", _("Flow created")
    FLOW_EDIT = "flow.edit", _("Flow edited")
    FLOW_TOGGLE = "flow.toggle", _("Flow switched on or off")
    FLOW_DUPLICATE = "flow.duplicate", _("Flow duplicated")
    FLOW_DELETE = "flow.delete", _("Flow deleted")
    FLOW_COPY = "flow.copy", _("Flow copied")
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
    TEST_SEND = "flow.test_send", _("Test sent")


# Kinds whose entry holds every field of the flow after the write.
RESTORABLE = {Kind.FLOW_CREATE, Kind.FLOW_EDIT, Kind.FLOW_DUPLICATE, Kind.FLOW_COPY}
# Kinds that name a flow but change nothing of it (a test of its message): no change on its chart.
LEAVES_FLOW_AS_IT_WAS = {Kind.TEST_SEND}


class Activity(models.Model):
    """One write made through Pushdeck. Append-only from the application: no view edits or
    deletes an entry; `manage.py prune_activity` removes old ones."""

    # Kept when the connection or the person goes: the entry still says who and where.
    connection = models.ForeignKey(
        Connection,
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
        # Made by the teams app, whose table and index it keeps (moved by state only).
        db_table = "teams_activity"
        ordering = ["-created", "-id"]
        verbose_name = _("activity entry")
        verbose_name_plural = _("activity")
        indexes = [
            models.Index(fields=["connection", "flow_id", "-created"], name="teams_activ_connect_3febe8_idx")
        ]

    def __str__(self):
        return _("%(change)s by %(user)s") % {"change": self.get_kind_display(), "user": self.username}

    @property
    def kind_label(self):
        """What the entry did, as the history heads it: a switch by the state it left the flow in
        (its after side; the kind's own label for an entry without one), and whether that was a
        change: the state before, when the writer knew it (activity.history.toggle_values)."""
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
