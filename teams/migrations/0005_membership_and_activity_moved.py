"""Membership moved to flows_app (0008) and Activity to its own app (activity 0001), by state
only: their tables keep their names, and so their rows; the content types (which admin log entries
and permissions point at) follow them."""

from django.db import migrations

MOVED = {"membership": "flows_app", "activity": "activity"}


def relabel(apps, moves):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, (old, new) in moves.items():
        # Where the new label has one already (a post_migrate ran in between), it is kept.
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def relabel_content_types(apps, schema_editor):
    relabel(apps, {model: ("teams", app) for model, app in MOVED.items()})


def relabel_content_types_back(apps, schema_editor):
    relabel(apps, {model: (app, "teams") for model, app in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("flows_app", "0008_membership"),
        ("activity", "0001_initial"),
        ("teams", "0004_activity_job_cancel"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name="activity",
                    name="teams_activ_connect_3febe8_idx",
                ),
                migrations.RemoveConstraint(
                    model_name="membership",
                    name="one_membership_per_user",
                ),
                migrations.RemoveField(
                    model_name="membership",
                    name="connection",
                ),
                migrations.RemoveField(
                    model_name="membership",
                    name="user",
                ),
                migrations.DeleteModel(
                    name="Activity",
                ),
                migrations.DeleteModel(
                    name="Membership",
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, relabel_content_types_back),
    ]
