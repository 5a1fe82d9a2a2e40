"""Set up the demo of `make run`: a user, a sandbox key with demo flows, and a connection to it."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from flows_app.models import SANDBOX, Connection
from sandbox.models import ApiAccount, SubscriberLog
from sandbox.models import Flow as SandboxFlow
from trends.demo import backfill

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "pushdeck-demo"  # noqa: S105 -- a local demo account, printed on purpose
DEMO_API_KEY = "demo-sandbox-key-7f3a9c2e5b1d4f60"
TOTALS = (
    "total_sent_push_notifications",
    "total_displayed_push_notifications",
    "total_clicked_push_notifications",
    "total_closed_push_notifications",
)
# Which of the four figures each kind of log entry counts in (a failed push is an attempt, so sent).
FIGURE_OF_LOG = {
    "push_notification_sent": 0,
    "push_notification_failed": 0,
    "displayed_notification": 1,
    "clicked_notification": 2,
    "closed_notification": 3,
}
HISTORY_DAYS = 28


class Command(BaseCommand):
    help = "Create (idempotently) the demo user, a sandbox API key with demo flows, and a connection."

    def add_arguments(self, parser):
        parser.add_argument("--flows", type=int, default=40)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, flows, host, port, **options):
        if not settings.SANDBOX_ENABLED:
            raise CommandError("The demo runs on the sandbox: set SANDBOX_ENABLED=1.")
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        # Reset every time, so the printed password is always the one that works.
        user.set_password(DEMO_PASSWORD)
        user.save()
        call_command("sandbox_create_key", "--key", DEMO_API_KEY, verbosity=0)
        call_command("sandbox_demo", "--key", DEMO_API_KEY, "--flows", str(flows), verbosity=0)
        connection = Connection.objects.for_user(user).filter(server=SANDBOX).first()
        if connection is None:
            connection = Connection(owner=user, label="Demo shop (sandbox)", server=SANDBOX)
            connection.set_api_key(DEMO_API_KEY)
            connection.save()
            connection.make_default()
        self._backfill_history(connection)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nPushdeck demo ready: http://{host}:{port}/\n"
                f"  username: {DEMO_USERNAME}\n  password: {DEMO_PASSWORD}\n"
            )
        )

    def _backfill_history(self, connection):
        """Four weeks of trends read from the sandbox's own logs, hour by hour, so the charts tell
        the story the flows' totals and the logs tell."""
        account = ApiAccount.objects.with_key(DEMO_API_KEY)
        flows = SandboxFlow.objects.filter(account__in=account).values_list(
            "id", "website_id", "name", *TOTALS
        )
        since = timezone.now() - dt.timedelta(days=HISTORY_DAYS + 1)
        counted = (
            SubscriberLog.objects.filter(
                account__in=account, flow_id__gt=0, datetime__gte=since, type__in=FIGURE_OF_LOG
            )
            .annotate(hour=TruncHour("datetime", tzinfo=dt.UTC))
            .values_list("flow_id", "hour", "type")
            .annotate(count=Count("id"))
        )
        hourly = {}
        for flow_id, hour, kind, count in counted:
            figures = hourly.setdefault((flow_id, hour), [0, 0, 0, 0])
            figures[FIGURE_OF_LOG[kind]] += count
        shown = backfill(connection, [(*row[:3], row[3:]) for row in flows], hourly, days=HISTORY_DAYS)
        if shown:
            self.stdout.write(
                "Back-filled four weeks of history for the trends charts from the sandbox's logs."
            )
