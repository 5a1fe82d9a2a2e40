"""The People page: a site admin deactivates an account (its sessions end, its pending invitations
are revoked, the connections it created keep working under another admin), reactivates it, sends a
password reset over real SMTP; every such step is in the audit trail; nobody else sees the page."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from flows_app.models import Connection, Membership, Role
from teams.models import Invitation
from tests.helpers import is_logged_in
from tests.pages import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def site_admin(django_user_model):
    return django_user_model.objects.create_user("root", password="a long admin passphrase", is_staff=True)


@pytest.fixture
def admin_client(site_admin):
    client = Client()
    client.force_login(site_admin)
    return client


def change(client, person, action):
    return client.post("/people/change/", {"person": person.pk, "action": action})


def test_only_a_site_admin_has_a_people_page(logged_in, admin_client, user):
    assert logged_in.get("/people/").status_code == 404
    assert change(logged_in, user, "deactivate").status_code == 404
    assert "marketer" in visible_text(admin_client.get("/people/").content)


def test_deactivating_ends_the_sessions_revokes_invitations_and_hands_connections_over(
    admin_client, site_admin, user, django_user_model
):
    deputy = django_user_model.objects.create_user("deputy", password="x")
    connection = Connection(owner=user, label="Shop", server="sandbox", is_default=True)
    connection.set_api_key("k" * 32)
    connection.save()
    Membership.objects.create(connection=connection, user=deputy, role=Role.ADMIN)
    pending = Invitation(connection=connection, created_by=user, expires=timezone.now() + timedelta(days=7))
    pending.issue_token()
    pending.save()
    theirs = Client()
    theirs.force_login(user)
    assert is_logged_in(theirs)

    assert change(admin_client, user, "deactivate").status_code == 302
    assert not is_logged_in(theirs), "their session ended"
    connection.refresh_from_db()
    pending.refresh_from_db()
    assert connection.owner == deputy, "handed to its admin of every website"
    assert Membership.objects.get(connection=connection, user=deputy).role == Role.ADMIN
    assert pending.revoked is not None
    page = visible_text(admin_client.get("/people/").content)
    assert "Deactivated: marketer · by root" in page
    assert "Connection Shop handed to deputy" in page and "1 pending invitation revoked" in page
    assert (
        Client()
        .post("/accounts/login/", {"username": "marketer", "password": "correct horse battery"})
        .status_code
        == 200
    )

    assert change(admin_client, user, "reactivate").status_code == 302
    assert not is_logged_in(theirs), "a reactivation signs no old session in again"
    again = Client().post("/accounts/login/", {"username": "marketer", "password": "correct horse battery"})
    assert again.status_code == 302
    assert "Reactivated: marketer · by root" in visible_text(admin_client.get("/people/").content)


def test_a_connection_with_no_other_admin_goes_to_the_site_admin_who_deactivates(
    admin_client, site_admin, user
):
    connection = Connection(owner=user, label="Alone", server="sandbox")
    connection.set_api_key("k" * 32)
    connection.save()
    change(admin_client, user, "deactivate")
    connection.refresh_from_db()
    assert connection.owner == site_admin
    assert Membership.objects.get(connection=connection, user=site_admin).role == Role.ADMIN


def test_a_site_admin_cannot_deactivate_themselves(admin_client, site_admin):
    response = change(admin_client, site_admin, "deactivate")
    assert response.status_code == 400 and "You cannot deactivate your own account." in visible_text(
        response.content
    )
    site_admin.refresh_from_db()
    assert site_admin.is_active


def test_a_password_reset_sent_from_the_people_page_arrives_over_smtp(admin_client, user, smtp):
    user.email = "marketer@example.com"
    user.save()
    assert change(admin_client, user, "reset").status_code == 302
    [mail] = smtp.messages
    assert mail["To"] == "marketer@example.com"
    assert re.search(r"/accounts/password/reset/key/\S+/", mail.get_body().get_content())
    assert "Password reset sent: marketer · by root" in visible_text(admin_client.get("/people/").content)


def test_an_account_without_an_address_gets_no_reset_and_the_page_says_why(admin_client, user, smtp):
    response = admin_client.post("/people/change/", {"person": user.pk, "action": "reset"}, follow=True)
    assert "marketer has no e-mail address or no password here" in visible_text(response.content)
    assert smtp.messages == []
