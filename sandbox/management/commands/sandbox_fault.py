"""Make the sandbox misbehave as a real server can, for one key: to see and demo how the
dashboard takes a 503, a slow answer, a dropped connection or an unreadable body."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sandbox.models import ApiAccount, Fault

KINDS = [kind for kind, _ in Fault.KIND_CHOICES]


class Command(BaseCommand):
    help = (
        "Inject a fault into a sandbox key's answers (kinds: "
        + ", ".join(KINDS)
        + "), list them (--list) or remove them (--clear). Needs SANDBOX_FAULTS_ENABLED=1 to take effect."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", nargs="?", choices=KINDS, help="What the sandbox does.")
        parser.add_argument("--key", required=True, help="The sandbox API key it applies to.")
        parser.add_argument("--status", type=int, default=503, help="For status: the HTTP status (503).")
        parser.add_argument("--seconds", type=float, default=5.0, help="For hang: the delay (5 s).")
        parser.add_argument("--methods", default="", help="e.g. GET or POST,DELETE (default: every method).")
        parser.add_argument(
            "--times", type=int, help="How many requests it affects (default: until cleared)."
        )
        parser.add_argument("--list", action="store_true", help="Show the key's faults.")
        parser.add_argument("--clear", action="store_true", help="Remove every fault of the key.")

    def handle(self, *args, kind, key, status, seconds, methods, times, list, clear, **options):
        account = ApiAccount.objects.with_key(key).first()
        if account is None:
            raise CommandError("No sandbox account has this key (sandbox_create_key makes one).")
        if clear:
            removed, _ = account.faults.all().delete()
            self.stdout.write(f"Removed {removed} fault(s).")
            return
        if not list:
            if kind is None:
                raise CommandError("Name a kind of fault, or use --list or --clear.")
            if not 100 <= status <= 599:
                raise CommandError("--status must be an HTTP status, 100 to 599.")
            if times is not None and times < 1:
                raise CommandError("--times must be 1 or more.")
            Fault.objects.create(
                account=account,
                kind=kind,
                status=status,
                seconds=seconds,
                methods=methods.upper(),
                remaining=times,
            )
            if not settings.SANDBOX_FAULTS_ENABLED:
                self.stderr.write("Saved, but SANDBOX_FAULTS_ENABLED is off: the sandbox ignores faults.")
        for fault in account.faults.order_by("id"):
            left = "until cleared" if fault.remaining is None else f"{fault.remaining} more request(s)"
            detail = {"status": f" {fault.status}", "hang": f" {fault.seconds:g} s"}.get(fault.kind, "")
            self.stdout.write(f"{fault.kind}{detail} on {fault.methods or 'every method'}, {left}")
