from django.core.management.base import BaseCommand

from trends.snapshots import snapshot_all


class Command(BaseCommand):
    help = (
        "Take a snapshot of every connection's flows now (the worker does it every STATS_SNAPSHOT_MINUTES)."
    )

    def handle(self, *args, **options):
        # Run by hand, it takes one now even when the worker took this period's, and waits for each
        # key's budget as long as that takes (still leaving the people's reserve), where the worker
        # would put the snapshot off to its next period: nothing is skipped.
        taken, _, failed = snapshot_all(max_wait=None, on_demand=True)
        self.stdout.write(f"Snapshots taken: {taken}; failed: {failed}.")
