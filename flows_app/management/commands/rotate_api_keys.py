"""Re-seal every stored API key under the newest secret of API_KEY_ENCRYPTION_KEYS.

Rotation: put the new secret first in API_KEY_ENCRYPTION_KEYS (keep the old ones after it),
run this command, then drop the old secrets.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from flows_app import crypto
from flows_app.models import Connection


class Command(BaseCommand):
    help = "Re-encrypt every stored API key under the newest encryption secret."

    def handle(self, *args, **options):
        newest = crypto.current_key_id()
        rotated = 0
        with transaction.atomic():
            for connection in Connection.objects.select_for_update().only("id", "api_key_encrypted"):
                if crypto.key_id_of(connection.api_key_encrypted) == newest:
                    continue
                connection.api_key_encrypted = crypto.encrypt(crypto.decrypt(connection.api_key_encrypted))
                connection.save(update_fields=["api_key_encrypted"])
                rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} API key(s) under key id {newest}.")
