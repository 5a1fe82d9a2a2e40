"""What a hostile server or staff member could do, and the wording of each failure (issue 10, items
7, 8 and 12; issue 11, item 4): one message per problem, accurate to what happened."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from flows_app.models import Connection
from sandbox.models import Flow as SandboxFlow
from tests.helpers import fault, form_token, url, valid_form
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import what_the_user_reads

# 7. The admin (and every other path) keeps connections on the configured servers


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="correct horse battery")
    client.force_login(admin)
    return client


def test_the_admin_cannot_point_a_connection_at_another_server(admin_client, connection):
    change = reverse("admin:flows_app_connection_change", args=[connection.pk])
    response = admin_client.post(
        change,
        {
            "owner": connection.owner.pk,
            "label": "Sandbox",
            "server": "http://169.254.169.254",
            "is_default": "on",
        },
    )
    assert response.status_code == 200
    assert "is not one of the servers this site allows" in response.content.decode()
    connection.refresh_from_db()
    assert connection.server == "sandbox"


def test_no_other_save_path_can_store_a_server_off_the_list(connection):
    connection.server = "http://10.0.0.1:6379"
    with pytest.raises(ValidationError, match="not one of the servers"):
        connection.save()
    connection.refresh_from_db()
    assert connection.server == "sandbox"


def test_making_a_connection_the_default_still_works(connection):
    connection.is_default = False
    connection.save(update_fields=["is_default"])
    connection.make_default()
    assert Connection.objects.get(pk=connection.pk).is_default


# 8. Only http(s) URLs from upstream become links


def test_a_javascript_url_from_upstream_is_shown_as_text_not_as_a_link(logged_in, connection, demo_flows):
    flow = demo_flows.first()
    SandboxFlow.objects.filter(pk=flow.pk).update(
        url="javascript:alert(document.cookie)",
        button_title_1="Go",
        button_url_1=" JaVaScRiPt:alert(1)",
        button_title_2="Shop",
        button_url_2="https://shop.example/new",
    )
    response = logged_in.get(url("detail", connection, flow.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert not re.search(r'href="\s*javascript:', html, re.IGNORECASE)
    assert "javascript:alert(document.cookie)" in what_the_user_reads(response)
    assert 'href="https://shop.example/new"' in html


# Wording (issue 11, item 4) and item 12's read answered 4xx


def test_a_javascript_url_in_the_form_gets_one_message(logged_in, connection):
    response = logged_in.post(url("new", connection), valid_form(url="javascript:alert(1)"))
    assert response.status_code == 400
    assert response.context["form"].errors["url"] == [
        "Enter a web address starting with http:// or https://."
    ]


@pytest.mark.parametrize(
    ("wait", "unit", "message"),
    [("200", "days", "At most 90 days."), ("3000", "hours", "At most 2,160 hours (90 days).")],
)
def test_a_wait_too_long_says_the_limit_once(logged_in, connection, wait, unit, message):
    response = logged_in.post(url("new", connection), valid_form(wait_time=wait, wait_time_type=unit))
    assert response.context["form"].errors["wait_time"] == [message]


def test_a_refused_connection_says_nothing_was_sent_not_that_the_flow_may_exist(
    logged_in, connection, settings
):
    token = form_token(logged_in, connection)
    settings.FLOWS_API_SERVERS = ["http://127.0.0.1:9"]
    Connection.objects.filter(pk=connection.pk).update(server="http://127.0.0.1:9")
    response = logged_in.post(url("new", connection), valid_form(form_token=token))
    text = what_the_user_reads(response)
    assert "The flows server could not be reached. Nothing was sent." in text
    assert "may have been" not in text


def test_a_timeout_says_how_long_the_user_waited_in_our_words(logged_in, connection, sandbox_key, settings):
    settings.FLOWS_API_TIMEOUT = 0.4
    fault(sandbox_key, kind="hang", seconds=1.2)
    text = what_the_user_reads(logged_in.get(url("list", connection)))
    assert re.search(r"The server did not answer within 1 s\.", text)
    assert "The server said" not in text
    assert "could not be reached" not in text


@pytest.mark.parametrize(
    ("fields", "headline"),
    [
        ({"kind": "status", "status": 503}, "The flows server had a problem (HTTP 503)."),
        ({"kind": "badjson"}, "The server sent something unexpected."),
        ({"kind": "status", "status": 400}, "The server refused to answer (HTTP 400)."),
    ],
)
def test_each_failure_of_a_read_is_named_for_what_happened(
    logged_in, connection, sandbox_key, fields, headline
):
    fault(sandbox_key, **fields)
    text = what_the_user_reads(logged_in.get(url("list", connection)))
    assert headline in text
    assert "could not be reached" not in text
    assert "Nothing was changed" not in text


def test_the_rate_limit_page_says_its_wait_once(logged_in, connection, sandbox_key):
    fault(sandbox_key, kind="status", status=429)
    response = logged_in.get(url("list", connection))
    assert response.status_code == 429
    assert len(re.findall(r"\d+ seconds", what_the_user_reads(response))) == 1


# Issue 22, item 9: ids beyond the database's integers are no ids (not a 500)


def test_a_thirty_digit_id_in_a_bulk_post_is_refused_with_a_message(logged_in, connection, demo_flows):
    beyond = str(10**30)
    response = logged_in.post(
        reverse("flows:bulk", args=[connection.pk]), {"action": "pause", "ids": [beyond]}, follow=True
    )
    assert response.status_code == 200
    assert f"“{beyond[:20]}” is not a flow id." in what_the_user_reads(response)
    assert not connection.jobs.exists()


def test_a_thirty_digit_website_in_the_lists_query_is_left_out_with_a_note(logged_in, connection, demo_flows):
    beyond = str(10**30)
    response = logged_in.get(reverse("flows:list", args=[connection.pk]), {"website": beyond})
    assert response.status_code == 200
    assert f"“{beyond}” is not a website; the website filter was left out." in what_the_user_reads(response)
