from django.core.management.base import BaseCommand

from jobs.worker import Worker


class Command(BaseCommand):
    help = "Run the background worker: queued tasks, periodic work, a heartbeat (jobs/worker.py)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds to wait when nothing is queued (default 1)."
        )
        parser.add_argument(
            "--until-idle", action="store_true", help="Stop once no task is ready (tests, one-off runs)."
        )

    def handle(self, *, interval, until_idle, **options):
        Worker(interval=interval, until_idle=until_idle).run()
