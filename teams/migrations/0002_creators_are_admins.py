"""Every connection made before teams existed keeps working: its creator becomes its admin."""

from django.db import migrations


def creators_are_admins(apps, schema_editor):
    Connection = apps.get_model("flows_app", "Connection")
    Membership = apps.get_model("teams", "Membership")
    Membership.objects.bulk_create(
        [
            Membership(connection_id=pk, user_id=owner_id, role="admin")
            for pk, owner_id in Connection.objects.values_list("pk", "owner_id")
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("teams", "0001_initial"), ("flows_app", "0001_initial")]

    operations = [migrations.RunPython(creators_are_admins, migrations.RunPython.noop)]
