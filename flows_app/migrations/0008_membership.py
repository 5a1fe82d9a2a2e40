"""Membership joins the core beside Connection: state only, the table stays teams_membership
(teams 0005 drops it from the teams app's state)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0004_activity_job_cancel"),
        ("flows_app", "0007_key_budget"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                choices=[("viewer", "Viewer"), ("editor", "Editor"), ("admin", "Admin")],
                                default="viewer",
                                max_length=10,
                                verbose_name="role",
                            ),
                        ),
                        ("websites", models.JSONField(blank=True, default=list, verbose_name="websites")),
                        ("created", models.DateTimeField(auto_now_add=True, verbose_name="added")),
                        (
                            "connection",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to="flows_app.connection",
                                verbose_name="connection",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="user",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "membership",
                        "verbose_name_plural": "memberships",
                        "db_table": "teams_membership",
                        "ordering": ["user__username"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("connection", "user"), name="one_membership_per_user"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
