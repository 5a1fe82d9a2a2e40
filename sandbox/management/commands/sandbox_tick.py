import time

from django.core.management.base import BaseCommand

from sandbox.demo import tick
from sandbox.models import ApiAccount, Flow


class Command(BaseCommand):
    help = "Advance the stats of enabled sandbox flows, as if their notifications were being sent."

    def add_arguments(self, parser):
        parser.add_argument("--key", help="Only this account's flows (default: every account).")
        parser.add_argument("--loop", type=float, metavar="SECONDS", help="Keep ticking, this often.")

    def handle(self, *args, key, loop, **options):
        flows = (
            Flow.objects.filter(account__in=ApiAccount.objects.with_key(key)) if key else Flow.objects.all()
        )
        try:
            while True:
                self.stdout.write(f"Advanced {tick(flows)} flows.")
                if not loop:
                    return
                time.sleep(loop)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
