"""Concurrent edits: the edit form remembers the flow as it was loaded. When the flow changed on the
server before the save, the user sees both versions and chooses; nothing is silently overwritten."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import all_forms, form_with, visible_text


@pytest.fixture
def flow(flow):
    flow.title, flow.button_title_2, flow.button_url_2 = "Loaded title", "", ""
    flow.save()
    return flow


def edit_url(connection, flow):
    return reverse("flows:edit", args=[connection.pk, flow.id])


def load_form(client, connection, flow):
    return form_with(client.get(edit_url(connection, flow)).content, "fingerprint")


def change_upstream(flow, **fields):
    """Someone else saves the flow (in the vendor's dashboard, or another Pushdeck user)."""
    type(flow).objects.filter(pk=flow.pk).update(**fields)


def conflict_choice(response):
    """The fields of the conflict page's "keep mine" form: the one that posts to the edit."""
    [form] = [form for form in all_forms(response.content) if "fingerprint" in dict(form["fields"])]
    return dict(form["fields"])


def test_a_change_made_upstream_meanwhile_stops_the_save_and_shows_both_versions(logged_in, connection, flow):
    mine = {**load_form(logged_in, connection, flow), "title": "My title"}
    change_upstream(flow, title="Their title", description="Their description")

    response = logged_in.post(edit_url(connection, flow), mine)

    assert response.status_code == 409
    text = visible_text(response.content)
    for value in ("Their title", "My title", "Their description", mine["description"]):
        assert value in text
    flow.refresh_from_db()
    assert (flow.title, flow.description) == ("Their title", "Their description")


def test_keeping_mine_after_a_conflict_saves_my_version(logged_in, connection, flow):
    mine = {**load_form(logged_in, connection, flow), "title": "My title"}
    change_upstream(flow, title="Their title")
    conflict = logged_in.post(edit_url(connection, flow), mine)

    saved = logged_in.post(edit_url(connection, flow), conflict_choice(conflict))

    assert saved.status_code == 302
    flow.refresh_from_db()
    assert flow.title == "My title"


def test_taking_theirs_reopens_the_form_with_their_version(logged_in, connection, flow):
    mine = {**load_form(logged_in, connection, flow), "title": "My title"}
    change_upstream(flow, title="Their title")
    conflict = logged_in.post(edit_url(connection, flow), mine)
    assert edit_url(connection, flow) in conflict.content.decode()
    assert load_form(logged_in, connection, flow)["title"] == "Their title"


def test_a_second_change_upstream_after_the_conflict_page_is_a_conflict_again(logged_in, connection, flow):
    mine = {**load_form(logged_in, connection, flow), "title": "My title"}
    change_upstream(flow, title="Their title")
    conflict = logged_in.post(edit_url(connection, flow), mine)
    change_upstream(flow, title="Their second title")

    again = logged_in.post(edit_url(connection, flow), conflict_choice(conflict))

    assert again.status_code == 409
    assert "Their second title" in visible_text(again.content)
    flow.refresh_from_db()
    assert flow.title == "Their second title"


def test_numbers_moving_upstream_are_not_a_conflict(logged_in, connection, flow):
    mine = {**load_form(logged_in, connection, flow), "title": "My title"}
    change_upstream(flow, total_sent_push_notifications=flow.total_sent_push_notifications + 50)
    assert logged_in.post(edit_url(connection, flow), mine).status_code == 302
    flow.refresh_from_db()
    assert flow.title == "My title"


def test_a_toggle_upstream_is_a_conflict_too(logged_in, connection, flow):
    mine = {**load_form(logged_in, connection, flow), "title": "My title"}
    change_upstream(flow, is_enabled=not flow.is_enabled)
    assert logged_in.post(edit_url(connection, flow), mine).status_code == 409


def test_the_conflict_keeps_the_chosen_image_and_keeping_mine_sends_it(logged_in, connection, flow):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), (1, 2, 3)).save(buffer, "PNG")
    mine = {**load_form(logged_in, connection, flow), "title": "My title"}
    change_upstream(flow, title="Their title")
    image = SimpleUploadedFile("mine.png", buffer.getvalue(), content_type="image/png")
    conflict = logged_in.post(edit_url(connection, flow), {**mine, "image": image})
    choice = conflict_choice(conflict)
    assert choice.get("image_token")

    logged_in.post(edit_url(connection, flow), choice)

    flow.refresh_from_db()
    assert flow.title == "My title"
    assert flow.image.endswith(".png")


@pytest.mark.live
def test_two_people_saving_the_same_flow_at_once_one_saves_the_other_meets_the_conflict(
    client, user, connection, flow, settings
):
    """Issue 10, item 6: both loaded the same version and save at the same moment. Without one
    check-and-write per flow, both were told "saved" and the first change was lost."""
    from concurrent.futures import ThreadPoolExecutor

    from django.test import Client

    # Each call of the sandbox takes a while, so that the two saves overlap.
    settings.SANDBOX_LATENCY_MS = 300
    client.force_login(user)
    loaded = load_form(client, connection, flow)

    def save(title):
        editor = Client()
        editor.force_login(user)
        return editor.post(edit_url(connection, flow), {**loaded, "title": title}).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(save, ["Anna's title", "Ben's title"]))
    assert statuses == [302, 409]
    flow.refresh_from_db()
    assert flow.title in ("Anna's title", "Ben's title")


def test_a_save_that_cannot_get_its_turn_says_so_and_keeps_the_input(logged_in, connection, flow, settings):
    from django.core.cache import caches

    from flows_app.api import connect

    settings.FLOWS_API_TIMEOUT = 0.1
    api = connect(connection)
    caches["shared"].set(f"pushdeck:flow-lock:{api.client.fingerprint}:{flow.id}", "someone else", 60)
    mine = {**load_form(logged_in, connection, flow), "title": "My title"}
    response = logged_in.post(edit_url(connection, flow), mine)
    assert response.status_code == 409
    assert "Someone else is saving this flow right now" in visible_text(response.content)
    assert response.context["form"]["title"].value() == "My title"


def test_the_comparison_names_choices_as_the_form_does_not_by_their_raw_values(logged_in, connection, flow):
    mine = {**load_form(logged_in, connection, flow), "ttl": "86400", "urgency": "high"}
    change_upstream(flow, ttl=259200, urgency="low")

    response = logged_in.post(edit_url(connection, flow), mine)

    assert response.status_code == 409
    text = visible_text(response.content)
    assert "Keep trying to deliver for differs 3 days 1 day" in text
    assert "Urgency differs Low High" in text
    assert not {"86400", "259200", "high", "low"} & set(text.split())
