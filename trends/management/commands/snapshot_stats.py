from django.core.management.base import BaseCommand

from trends.snapshots import snapshot_all


class Command(BaseCommand):
    help = (
        "Take a snapshot of every connection's flows now (the worker does it every STATS_SNAPSHOT_MINUTES)."
    )

    def handle(self, *args, **options):
        taken, skipped, failed = snapshot_all()
        self.stdout.write(
            f"Snapshots taken: {taken}; already taken this period: {skipped}; failed: {failed}."
        )
