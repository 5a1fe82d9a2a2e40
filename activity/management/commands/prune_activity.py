"""Removes activity entries older than a given age: the one way entries leave the history."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from activity.models import Activity


class Command(BaseCommand):
    help = "Delete activity history entries older than --days days (an admin's task, run from the shell)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True, help="Keep the entries of the last N days.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would go, delete nothing.")

    def handle(self, *args, days, dry_run, **options):
        if days < 1:
            raise CommandError("--days must be 1 or more: the history of today is always kept.")
        old = Activity.objects.filter(created__lt=timezone.now() - timedelta(days=days))
        if dry_run:
            self.stdout.write(f"{old.count()} entries older than {days} days would be deleted.")
            return
        deleted, _ = old.delete()
        self.stdout.write(f"Deleted {deleted} entries older than {days} days.")
