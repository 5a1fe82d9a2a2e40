from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, FilteredRelation, Q
from django.utils.translation import gettext_lazy as _

from flows_app import crypto

SANDBOX = "sandbox"


def server_choices():
    """The servers a user may pick: the configured list, plus the local sandbox when it is on."""
    choices = [
        (url, url.removeprefix("https://").removeprefix("http://")) for url in settings.FLOWS_API_SERVERS
    ]
    if settings.SANDBOX_ENABLED:
        choices.append((SANDBOX, _("Sandbox (local demo API)")))
    return choices


def validate_server(value):
    """Only a configured server may receive a user's key: the admin and the shell included, so that
    nobody can point a connection (and its key) at an address of their choosing."""
    if value not in dict(server_choices()):
        raise ValidationError(
            _("%(server)s is not one of the servers this site allows (FLOWS_API_SERVERS)."),
            code="server_not_allowed",
            params={"server": value},
        )


class ConnectionQuerySet(models.QuerySet):
    def for_user(self, user):
        """The connections the user is a member of, each with the user's ``role`` there and the
        ``member_websites`` they are limited to (Membership, below): one query."""
        return (
            self.annotate(mine=FilteredRelation("memberships", condition=Q(memberships__user=user)))
            .filter(mine__isnull=False)
            .annotate(role=F("mine__role"), member_websites=F("mine__websites"))
        )


class Connection(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="connections",
        verbose_name=_("owner"),
    )
    label = models.CharField(_("name"), max_length=100)
    server = models.CharField(
        _("server"),
        max_length=200,
        validators=[validate_server],
        # Shown by /admin/ only (ConnectionForm has its own choice), which does not escape it.
        help_text=_(
            'A base URL from <code translate="no">FLOWS_API_SERVERS</code>, or <code translate="no">sandbox</code>.'
        ),
    )
    api_key_encrypted = models.TextField(editable=False)
    api_key_last4 = models.CharField(max_length=4, editable=False)
    # What the key's request budget is counted under (flows_app.api.budget): read without the key.
    budget_key = models.CharField(max_length=64, editable=False, default="")
    is_default = models.BooleanField(_("default"), default=False)
    created = models.DateTimeField(_("added"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        ordering = ["-is_default", "label", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner"], condition=models.Q(is_default=True), name="one_default_connection_per_user"
            )
        ]

    def __str__(self):
        return f"{self.label} ({self.server_label})"

    def save(self, *args, **kwargs):
        # Forms and the admin validate first; this catches every other path (shell, scripts).
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "server" in update_fields:
            validate_server(self.server)
        super().save(*args, **kwargs)

    @property
    def base_url(self):
        return settings.SANDBOX_URL if self.server == SANDBOX else self.server

    @property
    def server_label(self):
        return dict(server_choices()).get(self.server, self.server)

    @property
    def masked_key(self):
        return f"••••{self.api_key_last4}"

    @property
    def api_key(self):
        return crypto.decrypt(self.api_key_encrypted)

    def set_api_key(self, plaintext):
        self.api_key_encrypted = crypto.encrypt(plaintext)
        self.api_key_last4 = plaintext[-4:]
        self.budget_key = crypto.budget_key(plaintext)

    def make_default(self):
        with transaction.atomic():
            # The default is the creator's: the connection their home page opens.
            Connection.objects.filter(owner=self.owner, is_default=True).exclude(pk=self.pk).update(
                is_default=False
            )
            self.is_default = True
            self.save(update_fields=["is_default", "updated"])


class Preferences(models.Model):
    """What a user chose once and expects everywhere: rows per page, the flows list's columns, the
    colour theme, the language."""

    THEMES = [("system", _("Same as the system")), ("light", _("Light")), ("dark", _("Dark"))]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="preferences",
        verbose_name=_("user"),
    )
    results_per_page = models.PositiveSmallIntegerField(_("rows per page"), default=25)
    # The flows list's columns left out (names of flows/rows.py COLUMNS, comma-separated): by
    # default those that would push the ones people sort by out of a laptop's 1280 px. The
    # hidden ones are kept rather than the shown, so that a column added later shows.
    hidden_columns = models.CharField(
        _("hidden columns of the flows list"),
        max_length=200,
        blank=True,
        default="wait,displayed,closed,sent_7d,clicked_7d,failed_share",
    )
    theme = models.CharField(_("theme"), max_length=6, choices=THEMES, default="system")
    # Empty: the browser's language (Accept-Language) until the user picks one in the account menu.
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, blank=True, default=""
    )

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    def __str__(self):
        return _("Preferences of %(user)s") % {"user": self.user}

    @classmethod
    def of(cls, request):
        """The signed-in user's preferences (defaults until they first choose), read once a request."""
        if not hasattr(request, "_preferences"):
            # No user at all on a request refused before authentication (a bad Host header's 400
            # page): the defaults, not a 500.
            user = getattr(request, "user", None)
            signed_in = user is not None and user.is_authenticated
            found = cls.objects.filter(user=user).first() if signed_in else None
            request._preferences = found or cls(user=user if signed_in else None)
        return request._preferences

    def remember(self, **choices):
        """Stores the choices that differ from what is kept; no write when nothing changed."""
        changed = {name: value for name, value in choices.items() if getattr(self, name) != value}
        if changed:
            for name, value in changed.items():
                setattr(self, name, value)
            # Two first visits at once (two tabs, a reload) would both insert: this settles the race.
            Preferences.objects.update_or_create(user_id=self.user_id, defaults=changed)


class RateWindow(models.Model):
    """How many requests one spender sent with a key in one window (flows_app.api.budget counts
    them; ``spender`` "key" is everyone's together)."""

    key = models.CharField(max_length=64)
    spender = models.CharField(max_length=40)
    window = models.BigIntegerField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "window", "spender"], name="one_count_per_spender_and_window"
            )
        ]

    def __str__(self):
        return f"{self.spender}: {self.used} in window {self.window}"


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
    """Who may use a shared connection, and how: every access check reads it (access.py)."""

    connection = models.ForeignKey(
        Connection,
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
        # Made by the teams app, whose table it keeps (moved by state only, migration 0008).
        db_table = "teams_membership"
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


class SharedValue(models.Model):
    """One entry of the ``shared`` cache when there is no Redis (flows_app/shared_cache.py): what
    every process of the machine must see alike, the edit locks, one-time tokens, generations."""

    key = models.CharField(max_length=255, primary_key=True)
    value = models.BinaryField()
    # Seconds since the epoch; null: never.
    expires = models.FloatField(null=True, db_index=True)

    def __str__(self):
        return self.key
