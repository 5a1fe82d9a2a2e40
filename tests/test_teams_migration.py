"""Connections made before teams existed keep working: the migration makes each one's creator its
admin, so they still see it, edit it and can share it."""

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("teams", "0001_initial"), ("flows_app", "0001_initial")]
AFTER = [("teams", "0002_creators_are_admins")]


@pytest.fixture
def migrator(transactional_db):
    executor = MigrationExecutor(db)
    yield executor
    # Every app back at its latest migration, for the tests that follow.
    executor = MigrationExecutor(db)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_every_existing_connections_creator_becomes_its_admin(migrator):
    executor = migrator
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User = apps.get_model("auth", "User")
    Connection = apps.get_model("flows_app", "Connection")
    ana, bob = (User.objects.create(username=name) for name in ("ana", "bob"))
    made = [
        Connection.objects.create(
            owner=owner, label=label, server="sandbox", api_key_encrypted="x", api_key_last4="1234"
        )
        for owner, label in ((ana, "Shop"), (ana, "Blog"), (bob, "Store"))
    ]
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Membership = apps.get_model("teams", "Membership")
    members = Membership.objects.order_by("connection_id").values_list(
        "connection_id", "user__username", "role", "websites"
    )
    assert list(members) == [
        (made[0].pk, "ana", "admin", []),
        (made[1].pk, "ana", "admin", []),
        (made[2].pk, "bob", "admin", []),
    ]
