"""Accounts and connections, end to end against the sandbox (in-process: tests/inprocess.py)."""

import re

import pytest
from django.urls import reverse

from flows_app.models import SANDBOX, Connection
from tests.helpers import make_connection
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import visible_text


def add(client, label="Shop", server=SANDBOX, api_key=""):
    return client.post(reverse("connection_new"), {"label": label, "server": server, "api_key": api_key})


# Logging in


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "connections", "connection_new"])
def test_every_page_needs_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_logging_in_through_the_form_opens_the_default_connections_flows(client, connection):
    response = client.post(
        "/accounts/login/", {"username": "marketer", "password": "correct horse battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("flows:list", args=[connection.pk])
    assert b'id="flows-table"' in response.content


@pytest.mark.django_db
def test_logout_is_a_post(logged_in):
    assert logged_in.get("/accounts/logout/").status_code == 405
    response = logged_in.post("/accounts/logout/")
    assert response.status_code == 302
    assert logged_in.get(reverse("connections")).status_code == 302


@pytest.mark.django_db
def test_too_many_failed_logins_lock_the_account_with_a_friendly_429(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "marketer", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "marketer", "password": "correct horse battery"})
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many attempts" in text
    assert "try again in 15 minutes" in text


@pytest.mark.django_db
def test_home_without_connections_goes_to_the_connections_page(logged_in):
    assert logged_in.get("/").url == reverse("connections")


# Adding and checking keys


def test_adding_a_connection_checks_the_key_with_one_list_call(
    logged_in, user, sandbox_key, sandbox_url, upstream
):
    response = add(logged_in, api_key=sandbox_key)
    connection = Connection.objects.get(owner=user)
    assert response.status_code == 302
    assert response.url == reverse("flows:list", args=[connection.pk])
    assert [(call.method, call.params) for call in upstream] == [("GET", {"page": 1, "results_per_page": 10})]
    assert connection.api_key == sandbox_key
    assert connection.is_default, "the first connection becomes the default"


def test_a_key_the_server_refuses_is_an_error_on_the_key_field(logged_in, user, sandbox_key, sandbox_url):
    response = add(logged_in, label="Main shop", api_key="not-a-real-key-1234")
    assert response.status_code == 400
    form = response.context["form"]
    assert "rejected this API key" in form.errors["api_key"][0]
    assert form["label"].value() == "Main shop"
    assert form["server"].value() == SANDBOX
    assert b"not-a-real-key-1234" not in response.content, "a key is never echoed back"
    assert not Connection.objects.filter(owner=user).exists()


@pytest.mark.django_db
def test_an_unreachable_server_says_so_and_keeps_the_form(logged_in, settings):
    settings.SANDBOX_URL = "http://127.0.0.1:9/sandbox"
    response = add(logged_in, label="Main shop", api_key="whatever-key-0000")
    assert response.status_code == 400
    assert "could not be reached" in response.context["form"].non_field_errors()[0]
    assert response.context["form"]["label"].value() == "Main shop"


def test_the_key_is_write_only_and_only_its_last_four_are_shown(logged_in, connection, sandbox_key):
    for url in (reverse("connections"), reverse("connection_edit", args=[connection.pk])):
        html = logged_in.get(url).content.decode()
        assert sandbox_key not in html
        assert connection.masked_key in html
        assert not re.search(r'type="password"[^>]*value="', html)


def test_editing_with_a_blank_key_keeps_the_key_and_makes_no_call(
    logged_in, connection, sandbox_key, upstream
):
    url = reverse("connection_edit", args=[connection.pk])
    response = logged_in.post(url, {"label": "Renamed", "server": SANDBOX, "api_key": ""})
    assert response.status_code == 302
    connection.refresh_from_db()
    assert (connection.label, connection.api_key) == ("Renamed", sandbox_key)
    assert upstream == []


def test_replacing_the_key_checks_the_new_one(logged_in, connection, other_sandbox_key, upstream):
    url = reverse("connection_edit", args=[connection.pk])
    logged_in.post(url, {"label": "Sandbox", "server": SANDBOX, "api_key": other_sandbox_key})
    connection.refresh_from_db()
    assert connection.api_key == other_sandbox_key
    assert connection.masked_key.endswith(other_sandbox_key[-4:])
    assert len(upstream) == 1


def test_delete_asks_first_then_deletes(logged_in, connection):
    url = reverse("connection_delete", args=[connection.pk])
    confirm = logged_in.get(url)
    assert confirm.status_code == 200
    assert b"Delete connection" in confirm.content
    assert Connection.objects.filter(pk=connection.pk).exists()
    assert logged_in.post(url).status_code == 302
    assert not Connection.objects.filter(pk=connection.pk).exists()


def test_the_connections_page_confirms_a_delete_in_a_dialog_that_posts_to_that_connection(
    logged_in, connection
):
    page = logged_in.get(reverse("connections")).content.decode()
    dialog = re.search(rf'<dialog id="delete-connection-{connection.pk}".*?</dialog>', page, re.S)
    assert dialog, "no delete dialog for the connection"
    assert f'action="{reverse("connection_delete", args=[connection.pk])}"' in dialog.group(0)
    assert f"Delete “{connection.label}”?" in visible_text(dialog.group(0))


def test_marking_a_default_puts_it_first_on_the_home_page(logged_in, user, connection, other_sandbox_key):
    second = make_connection(user, other_sandbox_key, label="Second")
    assert logged_in.post(reverse("connection_default", args=[second.pk])).status_code == 302
    assert Connection.objects.get(owner=user, is_default=True) == second
    home = logged_in.get("/").content.decode()
    assert home.index("Second") < home.index(connection.label), "the default comes first on the overview"
    assert logged_in.get(reverse("connection_default", args=[second.pk])).status_code == 405


# Isolation: another user's connection does not exist for you


ISOLATED = [
    ("GET", "connection_edit", ()),
    ("POST", "connection_edit", ()),
    ("GET", "connection_delete", ()),
    ("POST", "connection_delete", ()),
    ("POST", "connection_default", ()),
    ("GET", "flows:list", ()),
    ("GET", "flows:new", ()),
    ("POST", "flows:new", ()),
    ("GET", "flows:detail", (1,)),
    ("GET", "flows:edit", (1,)),
    ("POST", "flows:edit", (1,)),
    ("POST", "flows:toggle", (1,)),
    ("GET", "flows:delete", (1,)),
    ("POST", "flows:delete", (1,)),
    ("GET", "flows:duplicate", (1,)),
    ("GET", "flows:export", ()),
    ("GET", "flows:segments", ()),
    ("GET", "websites", ()),
]


@pytest.mark.parametrize(("method", "name", "extra"), ISOLATED)
def test_another_users_connection_answers_404(client, other_user, connection, upstream, method, name, extra):
    client.force_login(other_user)
    url = reverse(name, args=[connection.pk, *extra])
    response = client.get(url) if method == "GET" else client.post(url, {"is_enabled": "1", "label": "x"})
    assert response.status_code == 404
    assert upstream == [], "nothing is asked of the server on another user's behalf"
    assert Connection.objects.filter(pk=connection.pk, label="Sandbox").exists()
