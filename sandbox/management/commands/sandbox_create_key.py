import secrets

from django.core.management.base import BaseCommand

from sandbox.demo import ensure_account


class Command(BaseCommand):
    help = "Create (or find) a sandbox API account with three websites and print its API key."

    def add_arguments(self, parser):
        parser.add_argument("--key", help="The API key to use (default: a new random key).")
        parser.add_argument("--name", default="Sandbox user", help="The account's name, when new.")

    def handle(self, *args, key, name, **options):
        key = key or secrets.token_hex(16)
        ensure_account(key, name)
        if options["verbosity"]:
            # The only time the key is shown: the sandbox keeps its hash.
            self.stdout.write(key)
