import random
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from sandbox import engine
from sandbox.models import ApiAccount


class Command(BaseCommand):
    help = (
        "Run the sandbox's engine once (or --loop): visitors subscribe, due pushes and scheduled "
        "personal notifications are sent, logs older than the retention are purged."
    )

    def add_arguments(self, parser):
        parser.add_argument("--key", help="Only this account's websites and flows (default: every account).")
        parser.add_argument("--loop", type=float, metavar="SECONDS", help="Keep ticking, this often.")
        parser.add_argument("--seed", type=int, help="Seed the engine's draws (default: a new one each run).")

    def handle(self, *args, key, loop, seed, **options):
        accounts = ApiAccount.objects.with_key(key) if key else None
        rng = random.Random(seed)
        try:
            while True:
                done = engine.tick(timezone.now(), rng, accounts)
                self.stdout.write(
                    f"Subscribed {done['subscribed']}, sent {done['sent']}, purged {done['purged']} log entries."
                )
                if not loop:
                    return
                time.sleep(loop)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
