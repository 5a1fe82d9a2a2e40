from django.core.management.base import BaseCommand, CommandError

from sandbox.demo import create_flows, ensure_people
from sandbox.models import ApiAccount


class Command(BaseCommand):
    help = (
        "Give a sandbox account realistic demo flows, up to --flows in all; an account's first demo "
        "flows come with 90 days of history: subscribers, sends and their logs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--key", required=True, help="The account's API key (see sandbox_create_key).")
        parser.add_argument("--flows", type=int, default=40, help="How many flows the account should have.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the account's flows and history (subscribers, logs) first.",
        )

    def handle(self, *args, key, flows, reset, **options):
        account = ApiAccount.objects.with_key(key).first()
        if account is None:
            raise CommandError("No sandbox account has that key: run sandbox_create_key --key first.")
        if reset:
            account.flows.all().delete()
            account.subscribers.all().delete()
            account.subscriber_logs.all().delete()
            account.personal_notifications.all().delete()
            account.websites.update(
                total_sent_push_notifications=0,
                total_displayed_push_notifications=0,
                total_clicked_push_notifications=0,
                total_closed_push_notifications=0,
            )
        ensure_people(account)
        missing = max(flows - account.flows.count(), 0)
        created = create_flows(account, missing) if missing else 0
        if options["verbosity"]:
            self.stdout.write(
                f"Created {created} flows; the account has {account.flows.count()} "
                f"and {account.subscribers.count()} subscribers."
            )
