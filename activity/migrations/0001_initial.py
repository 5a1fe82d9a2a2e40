"""Activity gets its own app: state only, the table and its index stay teams_activity's (teams 0005
drops it from the teams app's state)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("teams", "0004_activity_job_cancel"),
        ("flows_app", "0008_membership"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Activity",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "connection_label",
                            models.CharField(max_length=100, verbose_name="connection name"),
                        ),
                        ("username", models.CharField(max_length=150, verbose_name="username")),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("flow.create", "Flow created"),
                                    ("flow.edit", "Flow edited"),
                                    ("flow.toggle", "Flow switched on or off"),
                                    ("flow.duplicate", "Flow duplicated"),
                                    ("flow.delete", "Flow deleted"),
                                    ("connection.create", "Connection added"),
                                    ("connection.edit", "Connection edited"),
                                    ("connection.delete", "Connection deleted"),
                                    ("member.add", "Member added"),
                                    ("member.change", "Member's access changed"),
                                    ("member.remove", "Member removed"),
                                    ("invitation.create", "Invitation made"),
                                    ("invitation.revoke", "Invitation revoked"),
                                    ("invitation.accept", "Invitation accepted"),
                                    ("job.cancel", "Bulk job cancelled"),
                                ],
                                max_length=30,
                                verbose_name="change",
                            ),
                        ),
                        (
                            "flow_id",
                            models.PositiveBigIntegerField(blank=True, null=True, verbose_name="flow ID"),
                        ),
                        ("flow_name", models.CharField(blank=True, max_length=256, verbose_name="flow name")),
                        (
                            "website_id",
                            models.PositiveBigIntegerField(blank=True, null=True, verbose_name="website ID"),
                        ),
                        ("before", models.JSONField(blank=True, null=True, verbose_name="before")),
                        ("after", models.JSONField(blank=True, null=True, verbose_name="after")),
                        (
                            "created",
                            models.DateTimeField(
                                db_index=True, default=django.utils.timezone.now, verbose_name="time"
                            ),
                        ),
                        (
                            "connection",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="activity",
                                to="flows_app.connection",
                                verbose_name="connection",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="user",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "activity entry",
                        "verbose_name_plural": "activity",
                        "db_table": "teams_activity",
                        "ordering": ["-created", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["connection", "flow_id", "-created"],
                                name="teams_activ_connect_3febe8_idx",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
