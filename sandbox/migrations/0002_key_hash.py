"""The sandbox stores a hash of each API key instead of the key (issue 10, item 12)."""

import hashlib

from django.db import migrations, models


def hash_keys(apps, schema_editor):
    ApiAccount = apps.get_model("sandbox", "ApiAccount")
    for account in ApiAccount.objects.all():
        key = account.api_key.strip()
        account.key_hash = hashlib.sha256(key.encode()).hexdigest()
        account.key_last4 = key[-4:]
        account.save(update_fields=["key_hash", "key_last4"])


class Migration(migrations.Migration):
    dependencies = [("sandbox", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="apiaccount",
            name="key_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="apiaccount",
            name="key_last4",
            field=models.CharField(editable=False, max_length=4, default=""),
            preserve_default=False,
        ),
        # A key cannot be recovered from its hash: going back leaves the accounts without keys.
        migrations.RunPython(hash_keys, migrations.RunPython.noop),
        migrations.RemoveField(model_name="apiaccount", name="api_key"),
        migrations.AlterField(
            model_name="apiaccount",
            name="key_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]
