"""The vendor side of the flows API: accounts with API keys, their websites, segments and flows,
the subscribers of the websites with their queue and logs, personal notifications, plus the faults
an operator can inject to see how the dashboard copes with a misbehaving server."""

import hashlib

from django.db import models
from django.utils import timezone

# Allowed values from API_CONTRACT.md ("Write fields").
TTL_CHOICES = (0, 900, 1800, 3600, 10800, 21600, 43200, 86400, 259200, 432000, 604800, 1209600, 2419200)
DEFAULT_TTL = 2419200
URGENCIES = ("low", "normal", "high")
# The largest wait_time per unit: 90 days in each unit.
WAIT_TIME_MAX = {"minutes": 129600, "hours": 2160, "days": 90}


def hash_key(api_key):
    """What the sandbox stores of a key: its SHA-256. Keys are random tokens, so a plain hash is
    enough to make a leaked database (or an admin page) useless for calling the API."""
    return hashlib.sha256(api_key.strip().encode()).hexdigest()


class ApiAccountQuerySet(models.QuerySet):
    def with_key(self, api_key):
        return self.filter(key_hash=hash_key(api_key))


class ApiAccount(models.Model):
    """A user of the vendor's service, as the API sees it through its key."""

    ORDER_CHOICES = [
        ("-id", "Newest first"),
        ("id", "Oldest first"),
        ("name", "Name A-Z"),
        ("-name", "Name Z-A"),
        ("-last_sent_datetime", "Last sent first"),
        ("-total_sent_push_notifications", "Most sent first"),
    ]

    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_last4 = models.CharField(max_length=4, editable=False)
    api_enabled = models.BooleanField(default=True, help_text="Off: the key answers 401.")
    flows_limit = models.IntegerField(default=1000, help_text="The plan's flow limit; -1 is unlimited.")
    personal_notifications_limit = models.IntegerField(
        default=1000, help_text="The plan's limit of personal notifications ever kept; -1 is unlimited."
    )
    order_by = models.CharField(
        max_length=40,
        choices=ORDER_CHOICES,
        default="-id",
        help_text="The list order the user picked in the vendor's own dashboard.",
    )
    email = models.EmailField(blank=True)
    timezone = models.CharField(
        max_length=64, default="UTC", help_text="The zone of every datetime the API sends this user."
    )
    analytics_is_enabled = models.BooleanField(
        default=True,
        help_text="The plan's analytics; off: no displayed, clicked or closed entries, those totals stay 0.",
    )
    ip_storage_is_enabled = models.BooleanField(
        default=True, help_text="The admin's IP storage setting; off: subscribers' IPs are answered masked."
    )

    objects = ApiAccountQuerySet.as_manager()

    def __str__(self):
        return self.name

    def set_key(self, api_key):
        self.key_hash = hash_key(api_key)
        self.key_last4 = api_key.strip()[-4:]

    @property
    def masked_key(self):
        return f"••••{self.key_last4}"


class Website(models.Model):
    account = models.ForeignKey(ApiAccount, on_delete=models.CASCADE, related_name="websites")
    name = models.CharField(max_length=100)
    scheme = models.CharField(max_length=8, default="https://")
    host = models.CharField(max_length=255)
    path = models.CharField(max_length=255, blank=True)
    total_subscribers = models.PositiveIntegerField(default=0)
    # The website's own running totals: its flows' pushes and its personal notifications.
    total_sent_push_notifications = models.PositiveBigIntegerField(default=0)
    total_displayed_push_notifications = models.PositiveBigIntegerField(default=0)
    total_clicked_push_notifications = models.PositiveBigIntegerField(default=0)
    total_closed_push_notifications = models.PositiveBigIntegerField(default=0)
    is_enabled = models.BooleanField(default=True)
    datetime = models.DateTimeField(default=timezone.now, help_text="Created.")
    # The website's VAPID key pair: the real server answers with it (API_CONTRACT.md, "Secrets").
    vapid_public_key = models.CharField(max_length=128, blank=True)
    vapid_private_key = models.CharField(max_length=128, blank=True)

    def __str__(self):
        return self.host


class Segment(models.Model):
    """Who a flow of the segment reaches. The sandbox's simple reading of the two types: a custom
    segment has explicit members; a filter segment is a rule, each of its non-empty fields a list
    of values the subscriber's must be one of (e.g. {"country_code": ["DE", "FR"],
    "device_type": ["mobile"]}; fields: country_code, device_type, browser_name)."""

    TYPE_CHOICES = [("custom", "custom"), ("filter", "filter")]
    RULE_FIELDS = ("country_code", "device_type", "browser_name")

    website = models.ForeignKey(Website, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=6, choices=TYPE_CHOICES, default="custom")
    rule = models.JSONField(default=dict, blank=True, help_text="A filter segment's rule.")
    members = models.ManyToManyField("Subscriber", blank=True, related_name="custom_segments")
    total_subscribers = models.PositiveIntegerField(default=0)

    def __str__(self):
        return self.name

    def includes(self, subscriber):
        """Whether the segment takes the subscriber in (a custom one only once made a member)."""
        if self.type == "custom":
            return self.members.filter(pk=subscriber.pk).exists()
        return all(
            getattr(subscriber, field) in self.rule[field]
            for field in self.RULE_FIELDS
            if self.rule.get(field)
        )


class Message(models.Model):
    """What a push says and how it is sent: a flow's and a personal notification's alike."""

    name = models.CharField(max_length=256)
    title = models.CharField(max_length=64)
    description = models.CharField(max_length=128)
    url = models.CharField(max_length=512, blank=True)
    image = models.CharField(max_length=64, blank=True, help_text="File name under MEDIA_ROOT/sandbox/.")
    ttl = models.PositiveIntegerField(default=DEFAULT_TTL)
    urgency = models.CharField(max_length=6, default="normal")
    is_silent = models.BooleanField(default=False)
    is_auto_hide = models.BooleanField(default=False)
    button_title_1 = models.CharField(max_length=16, blank=True)
    button_url_1 = models.CharField(max_length=512, blank=True)
    button_title_2 = models.CharField(max_length=16, blank=True)
    button_url_2 = models.CharField(max_length=512, blank=True)
    utm_source = models.CharField(max_length=128, blank=True)
    utm_medium = models.CharField(max_length=128, blank=True)
    utm_campaign = models.CharField(max_length=128, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name


class Flow(Message):
    WAIT_TIME_TYPES = [(unit, unit) for unit in WAIT_TIME_MAX]

    account = models.ForeignKey(ApiAccount, on_delete=models.CASCADE, related_name="flows")
    website = models.ForeignKey(Website, on_delete=models.CASCADE, related_name="flows")
    segment = models.CharField(max_length=20, default="all", help_text='"all" or a segment id.')
    wait_time = models.PositiveIntegerField(default=1)
    wait_time_type = models.CharField(max_length=7, choices=WAIT_TIME_TYPES, default="days")
    is_enabled = models.BooleanField(default=True)
    total_sent_push_notifications = models.PositiveBigIntegerField(default=0)
    total_displayed_push_notifications = models.PositiveBigIntegerField(default=0)
    total_clicked_push_notifications = models.PositiveBigIntegerField(default=0)
    total_closed_push_notifications = models.PositiveBigIntegerField(default=0)
    last_sent_datetime = models.DateTimeField(null=True, blank=True)
    last_datetime = models.DateTimeField(null=True, blank=True, help_text="Last edited.")
    datetime = models.DateTimeField(default=timezone.now, help_text="Created.")

    def __str__(self):
        return self.name


class Subscriber(models.Model):
    """A browser subscribed to a website's pushes (API_CONTRACT.md, "Subscribers")."""

    DEVICE_TYPES = [(kind, kind) for kind in ("desktop", "mobile", "tablet")]

    account = models.ForeignKey(ApiAccount, on_delete=models.CASCADE, related_name="subscribers")
    website = models.ForeignKey(Website, on_delete=models.CASCADE, related_name="subscribers")
    unique_endpoint_id = models.CharField(max_length=64)
    # The browser's push subscription: with it and the website's VAPID key anyone can push to it.
    endpoint_url = models.CharField(max_length=512)
    endpoint_p256dh = models.CharField(max_length=128)
    endpoint_auth = models.CharField(max_length=32)
    ip = models.CharField(max_length=45)
    custom_parameters = models.JSONField(default=dict, blank=True)
    city_name = models.CharField(max_length=64, blank=True)
    country_code = models.CharField(max_length=2, blank=True)
    continent_code = models.CharField(max_length=2, blank=True)
    os_name = models.CharField(max_length=32, blank=True)
    browser_name = models.CharField(max_length=32, blank=True)
    browser_language = models.CharField(max_length=16, blank=True)
    device_type = models.CharField(max_length=7, choices=DEVICE_TYPES, default="desktop")
    subscribed_on_url = models.CharField(max_length=512, blank=True)
    is_expired = models.BooleanField(
        default=False, help_text="The browser dropped the subscription: its push service answers 410."
    )
    total_sent_push_notifications = models.PositiveBigIntegerField(default=0)
    total_displayed_push_notifications = models.PositiveBigIntegerField(default=0)
    total_clicked_push_notifications = models.PositiveBigIntegerField(default=0)
    total_closed_push_notifications = models.PositiveBigIntegerField(default=0)
    last_sent_datetime = models.DateTimeField(null=True, blank=True)
    last_datetime = models.DateTimeField(null=True, blank=True)
    datetime = models.DateTimeField(default=timezone.now, help_text="Subscribed.")

    def __str__(self):
        return f"{self.unique_endpoint_id} on {self.website_id}"


class QueuedPush(models.Model):
    """One subscriber waiting for one flow: the server's queue, filled at subscribe time."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="queue")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="queue")
    due = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"flow {self.flow_id} to {self.subscriber_id} at {self.due}"


class SubscriberLog(models.Model):
    """One event of a subscriber's log. The ids are plain numbers, 0 when not that source: entries
    outlive the subscriber and the flow they name (and an expired_deleted entry names neither)."""

    TYPES = [
        (kind, kind)
        for kind in (
            "subscribed",
            "unsubscribed",
            "permission_denied",
            "push_notification_sent",
            "push_notification_failed",
            "displayed_notification",
            "clicked_notification",
            "closed_notification",
            "expired_deleted",
            "manually_deleted",
        )
    ]

    account = models.ForeignKey(ApiAccount, on_delete=models.CASCADE, related_name="subscriber_logs")
    website = models.ForeignKey(Website, on_delete=models.CASCADE, related_name="subscriber_logs")
    subscriber_id = models.PositiveBigIntegerField(default=0)
    flow_id = models.PositiveBigIntegerField(default=0)
    campaign_id = models.PositiveBigIntegerField(default=0)
    personal_notification_id = models.PositiveBigIntegerField(default=0)
    rss_automation_id = models.PositiveBigIntegerField(default=0)
    ip = models.CharField(max_length=45, blank=True)
    type = models.CharField(max_length=24, choices=TYPES)
    datetime = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.type} of {self.subscriber_id} at {self.datetime}"


class PersonalNotification(Message):
    """One push to one subscriber (API_CONTRACT.md, "POST /api/personal-notifications")."""

    STATUSES = [(status, status) for status in ("sent", "scheduled", "draft")]

    account = models.ForeignKey(ApiAccount, on_delete=models.CASCADE, related_name="personal_notifications")
    website = models.ForeignKey(Website, on_delete=models.CASCADE, related_name="personal_notifications")
    # A number, not a link: the record stays when its subscriber is deleted (e.g. found expired).
    subscriber_id = models.PositiveBigIntegerField()
    is_scheduled = models.BooleanField(default=False)
    is_sent = models.BooleanField(default=False)
    is_displayed = models.BooleanField(default=False)
    is_clicked = models.BooleanField(default=False)
    is_closed = models.BooleanField(default=False)
    status = models.CharField(max_length=9, choices=STATUSES, default="sent")
    scheduled_datetime = models.DateTimeField(null=True, blank=True)
    sent_datetime = models.DateTimeField(null=True, blank=True)
    last_datetime = models.DateTimeField(null=True, blank=True)
    datetime = models.DateTimeField(default=timezone.now, help_text="Created.")


class Fault(models.Model):
    """A misbehaviour the sandbox shows a key's requests (only with SANDBOX_FAULTS_ENABLED)."""

    KIND_CHOICES = [
        ("status", "Answer an HTTP status with the error body"),
        ("hang", "Wait some seconds, then answer normally"),
        ("drop", "Break the connection without a usable answer"),
        ("badjson", "Answer 200 with a body that is not JSON"),
        ("image_error", "Answer 200 with the image-error body"),
    ]

    account = models.ForeignKey(ApiAccount, on_delete=models.CASCADE, related_name="faults")
    kind = models.CharField(max_length=12, choices=KIND_CHOICES)
    status = models.PositiveSmallIntegerField(default=503, help_text='For "status".')
    seconds = models.FloatField(default=5.0, help_text='For "hang".')
    methods = models.CharField(max_length=40, blank=True, help_text='e.g. "GET,POST"; blank: every method.')
    remaining = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many more requests it affects; blank: until deleted."
    )

    def __str__(self):
        return f"{self.kind} on {self.methods or 'every method'}"

    def applies_to(self, method):
        return not self.methods or method in {m.strip().upper() for m in self.methods.split(",")}
