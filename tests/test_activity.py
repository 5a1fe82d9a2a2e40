"""The activity history: every write through Pushdeck is recorded with the right diff, versions
can be put back through the normal edit path, and a deleted flow can be created again."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from activity.history import changes
from activity.models import Activity, Kind
from flows_app.api import connect
from flows_app.models import Connection, Membership, Role
from sandbox.models import Flow as SandboxFlow
from sandbox.models import hash_key
from tests.helpers import HTMX, form_token, png, url, valid_form
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_posting_to, form_with, visible_text


def only_entry(**lookups):
    entries = list(Activity.objects.filter(**lookups))
    assert len(entries) == 1, entries
    return entries[0]


def diff(entry):
    return {change.field: (change.before, change.after) for change in changes(entry)}


def history(client, connection, flow_id):
    return visible_text(client.get(reverse("teams:flow_activity", args=[connection.pk, flow_id])).content)


@pytest.fixture
def flow(demo_flows):
    return demo_flows.last()


def test_a_create_is_recorded_with_its_values_and_image(logged_in, connection, sandbox_media, user):
    data = valid_form(name="Welcome", form_token=form_token(logged_in, connection))
    data["image"] = SimpleUploadedFile("hello.png", png(), "image/png")
    response = logged_in.post(url("new", connection), data)
    assert response.status_code == 302
    entry = only_entry(kind=Kind.FLOW_CREATE)
    created = SandboxFlow.objects.get(name="Welcome")
    assert (entry.flow_id, entry.flow_name, entry.website_id, entry.username) == (
        created.id,
        "Welcome",
        created.website.id,
        "marketer",
    )
    assert entry.before is None
    assert diff(entry)["title"] == (None, "Hello there")
    assert diff(entry)["image"] == (None, "added")
    assert diff(entry)["wait_time_type"] == (None, "hours")


def test_an_edit_records_only_the_changed_fields_before_and_after(logged_in, connection, flow):
    page = logged_in.get(url("edit", connection, flow.id)).content.decode()
    data = {**form_with(page, "title"), "title": "A brand new title", "image_remove": "on"}
    had_image = bool(flow.image)
    assert logged_in.post(url("edit", connection, flow.id), data).status_code == 302
    entry = only_entry(kind=Kind.FLOW_EDIT)
    expected = {"title": (flow.title, "A brand new title")}
    if had_image:
        expected["image"] = (None, "removed")
    assert diff(entry) == expected
    assert entry.flow_id == flow.id and entry.website_id == flow.website.id


def test_the_history_names_the_website_once_the_names_are_known(logged_in, connection, flow):
    page = logged_in.get(url("edit", connection, flow.id)).content.decode()
    logged_in.post(url("edit", connection, flow.id), {**form_with(page, "title"), "title": "Renamed"})
    caches["shared"].clear()
    activity = reverse("teams:activity", args=[connection.pk])
    # Before any page has read the websites, a number: the history spends no call.
    assert f"website #{flow.website.id}" in visible_text(logged_in.get(activity).content)
    logged_in.get(url("list", connection))
    for page in (activity, reverse("teams:flow_activity", args=[connection.pk, flow.id])):
        text = visible_text(logged_in.get(page).content)
        assert flow.website.name in text and f"website #{flow.website.id}" not in text


def test_a_flows_website_and_audience_read_by_name_in_its_diff(logged_in, connection, demo_flows):
    directory = connect(connection).directory(fresh=True)
    segment = directory.segments[0]
    other = next(site for site in directory.websites if site.id != segment.website_id)
    # Moved to another website and one of its segments: each side's segment is of its own website.
    Activity.objects.create(
        connection=connection,
        connection_label=connection.label,
        username="marketer",
        kind=Kind.FLOW_EDIT,
        flow_id=7,
        website_id=segment.website_id,
        before={"website_id": other.id, "segment": "all"},
        after={"website_id": segment.website_id, "segment": str(segment.id)},
    )
    page = reverse("teams:flow_activity", args=[connection.pk, 7])
    text = visible_text(logged_in.get(page).content)
    website, audience = directory.website_label(other.id), directory.website_label(segment.website_id)
    assert f"Website {website} {audience}" in text
    assert f"Send to All subscribers {segment.name}" in text
    # Without the cached names: numbers, in Pushdeck's words.
    connect(connection).forget_directory()
    text = visible_text(logged_in.get(page).content)
    assert f"Website #{other.id} #{segment.website_id}" in text
    assert f"Send to All subscribers Segment #{segment.id}" in text


def test_a_toggle_is_recorded_with_who_switched_it(logged_in, connection, flow):
    SandboxFlow.objects.filter(pk=flow.pk).update(is_enabled=True)
    response = logged_in.post(url("toggle", connection, flow.id), {"is_enabled": "0"}, **HTMX)
    assert response.status_code == 200
    entry = only_entry(kind=Kind.FLOW_TOGGLE)
    assert diff(entry) == {"is_enabled": (True, False)}
    assert entry.username == "marketer" and entry.flow_id == flow.id
    text = history(logged_in, connection, flow.id)
    assert "marketer · Flow paused" in text and "Enabled Yes No" in text
    logged_in.post(url("toggle", connection, flow.id), {"is_enabled": "1"}, **HTMX)
    text = history(logged_in, connection, flow.id)
    assert "marketer · Flow switched on" in text and "Enabled No Yes" in text
    assert "switched on or off" not in text


def bulk(client, connection, action, flows):
    """A bulk job on ``flows``, started as a person does and run by the worker to its end."""
    ids = [flow.id for flow in flows]
    response = client.post(reverse("flows:bulk", args=[connection.pk]), {"action": action, "ids": ids})
    assert response.status_code == 302, response.content[:300]
    call_command("worker", "--until-idle", "--interval", "0.05")


@pytest.mark.live
def test_a_bulk_enable_says_which_flows_it_switched_on_and_which_were_already_on(
    connection, demo_flows, django_user_model, client
):
    # A member limited to a website: the job reads each flow before its write (their websites).
    on, off = demo_flows.filter(is_enabled=True).first(), demo_flows.filter(is_enabled=False).first()
    SandboxFlow.objects.filter(pk=off.pk).update(website=on.website)
    editor = django_user_model.objects.create_user("ed")
    Membership.objects.create(connection=connection, user=editor, role=Role.EDITOR, websites=[on.website.id])
    client.force_login(editor)
    bulk(client, connection, "enable", [on, off])
    already, switched = only_entry(flow_id=on.id), only_entry(flow_id=off.id)
    assert diff(already) == {} and already.unchanged
    assert diff(switched) == {"is_enabled": (False, True)}
    text = history(client, connection, on.id)
    assert "ed · Flow already on: nothing changed" in text and "switched on" not in text
    assert "ed · Flow switched on" in history(client, connection, off.id)


@pytest.mark.live
def test_a_bulk_enable_by_a_member_of_every_website_also_says_which_were_already_on(
    logged_in, connection, demo_flows
):
    # Every job reads its flows once at its start (to name them and their websites), so the state
    # before is known whoever started it, and an entry never claims a switch that changed nothing.
    on, off = demo_flows.filter(is_enabled=True).first(), demo_flows.filter(is_enabled=False).first()
    bulk(logged_in, connection, "enable", [on, off])
    assert only_entry(flow_id=on.id).unchanged
    assert diff(only_entry(flow_id=off.id)) == {"is_enabled": (False, True)}
    text = history(logged_in, connection, on.id)
    assert "marketer · Flow already on: nothing changed" in text and "switched on" not in text
    assert "marketer · Flow switched on" in history(logged_in, connection, off.id)


def test_a_switch_to_the_state_a_page_just_read_says_nothing_changed(logged_in, connection, flow):
    SandboxFlow.objects.filter(pk=flow.pk).update(is_enabled=True)
    logged_in.get(url("detail", connection, flow.id))
    logged_in.post(url("toggle", connection, flow.id), {"is_enabled": "1"}, **HTMX)
    entry = only_entry(kind=Kind.FLOW_TOGGLE)
    assert diff(entry) == {} and entry.unchanged
    assert "marketer · Flow already on: nothing changed" in history(logged_in, connection, flow.id)


@pytest.mark.parametrize(
    "read",
    [
        lambda connection, flow: url("detail", connection, flow.id),
        lambda connection, flow: url("list", connection) + "?sort=name",
    ],
    ids=["the flow's page", "the list sorted (every flow read)"],
)
def test_a_toggle_is_named_from_what_a_page_read_lately(logged_in, connection, flow, read):
    # The server answers a switch with the flow's id alone, and nothing has named the flow before.
    assert not Activity.objects.exists()
    logged_in.get(read(connection, flow))
    logged_in.post(url("toggle", connection, flow.id), {"is_enabled": "0"}, **HTMX)
    entry = only_entry(kind=Kind.FLOW_TOGGLE)
    assert (entry.flow_name, entry.website_id) == (flow.name, flow.website.id)


def test_a_duplicate_is_recorded_as_one(logged_in, connection, flow):
    page = logged_in.get(url("duplicate", connection, flow.id)).content.decode()
    assert logged_in.post(url("new", connection), form_with(page, "form_token")).status_code == 302
    entry = only_entry(kind=Kind.FLOW_DUPLICATE)
    assert entry.flow_name == f"Copy of {flow.name}"[:256]
    assert entry.flow_id != flow.id


def test_a_refused_write_records_nothing(logged_in, connection, flow):
    logged_in.post(url("new", connection), valid_form(title="", form_token=form_token(logged_in, connection)))
    logged_in.post(url("toggle", connection, flow.id), {"is_enabled": "maybe"})
    assert not Activity.objects.exists()


def test_restore_puts_a_version_back_through_the_edit_path(logged_in, connection, flow):
    original_title = flow.title
    page = logged_in.get(url("edit", connection, flow.id)).content.decode()
    logged_in.post(url("edit", connection, flow.id), {**form_with(page, "title"), "title": "Version two"})
    page = logged_in.get(url("edit", connection, flow.id)).content.decode()
    logged_in.post(url("edit", connection, flow.id), {**form_with(page, "title"), "title": "Version three"})
    first = Activity.objects.filter(kind=Kind.FLOW_EDIT).order_by("id").first()
    assert diff(first) == {"title": (original_title, "Version two")}

    restoring = logged_in.get(reverse("teams:restore", args=[connection.pk, first.pk]))
    assert restoring.status_code == 200
    assert "The values recorded by marketer" in visible_text(restoring.content)
    form = form_with(restoring.content.decode(), "title")
    assert form["title"] == "Version two"
    assert logged_in.post(url("edit", connection, flow.id), form).status_code == 302

    flow.refresh_from_db()
    assert flow.title == "Version two"
    latest = Activity.objects.first()
    assert latest.kind == Kind.FLOW_EDIT and diff(latest) == {"title": ("Version three", "Version two")}


def test_an_edit_can_be_restored_as_it_was_before_it(logged_in, connection, flow):
    original_title = flow.title
    page = logged_in.get(url("edit", connection, flow.id)).content.decode()
    logged_in.post(url("edit", connection, flow.id), {**form_with(page, "title"), "title": "Version two"})
    edit = only_entry(kind=Kind.FLOW_EDIT)
    restore = reverse("teams:restore", args=[connection.pk, edit.pk])
    history_page = logged_in.get(
        reverse("teams:flow_activity", args=[connection.pk, flow.id])
    ).content.decode()
    assert f'href="{restore}?side=before"' in history_page and f'href="{restore}"' in history_page
    text = visible_text(history_page)
    assert "Restore as it was before this change" in text and "Restore as it was after this change" in text

    restoring = logged_in.get(restore, {"side": "before"})
    assert restoring.status_code == 200
    assert "The values the flow had before marketer changed it" in visible_text(restoring.content)
    form = form_with(restoring.content.decode(), "title")
    assert form["title"] == original_title
    assert logged_in.post(url("edit", connection, flow.id), form).status_code == 302
    flow.refresh_from_db()
    assert flow.title == original_title
    assert diff(Activity.objects.first()) == {"title": ("Version two", original_title)}


def test_only_an_edit_offers_the_version_before_it(logged_in, connection, flow):
    logged_in.post(url("toggle", connection, flow.id), {"is_enabled": "0"}, **HTMX)
    toggle = only_entry(kind=Kind.FLOW_TOGGLE)
    restore = reverse("teams:restore", args=[connection.pk, toggle.pk])
    assert logged_in.get(restore, {"side": "before"}).status_code == 404
    page = logged_in.get(reverse("teams:flow_activity", args=[connection.pk, flow.id])).content.decode()
    assert "side=before" not in page


def test_restore_is_validated_like_any_edit(logged_in, connection, flow):
    entry = Activity.objects.create(
        connection=connection,
        connection_label=connection.label,
        username="marketer",
        kind=Kind.FLOW_EDIT,
        flow_id=flow.id,
        before={"title": flow.title},
        after={"title": "x" * 80, "website_id": flow.website.id},
    )
    form = form_with(
        logged_in.get(reverse("teams:restore", args=[connection.pk, entry.pk])).content.decode(), "title"
    )
    response = logged_in.post(url("edit", connection, flow.id), form)
    assert response.status_code == 400
    flow.refresh_from_db()
    assert flow.title != "x" * 80


def test_a_deleted_flows_history_stays_and_it_can_be_created_again(logged_in, connection, flow):
    name, title = flow.name, flow.title
    response = logged_in.post(url("delete", connection, flow.id), **HTMX)
    assert response.status_code == 200
    assert not SandboxFlow.objects.filter(pk=flow.pk).exists()
    entry = only_entry(kind=Kind.FLOW_DELETE)
    assert entry.after is None and diff(entry)["title"] == (title, None)

    text = history(logged_in, connection, flow.id)
    assert f"History of “{name}”" in text and "Flow deleted" in text and "Create it again" in text
    assert "Changes made outside Pushdeck" in text

    page = logged_in.get(reverse("teams:restore", args=[connection.pk, entry.pk])).content.decode()
    form = form_with(page, "form_token")
    assert form["name"] == name and form["title"] == title
    response = logged_in.post(url("new", connection), form)
    assert response.status_code == 302
    again = SandboxFlow.objects.filter(account__key_hash=hash_key(connection.api_key)).order_by("-id").first()
    assert (again.name, again.title) == (name, title) and again.pk > flow.pk
    assert only_entry(kind=Kind.FLOW_CREATE).flow_id == again.pk


def test_connection_changes_are_recorded_and_the_key_never_is(logged_in, connection, sandbox_key):
    data = {"label": "Main shop", "server": connection.server, "api_key": sandbox_key}
    assert logged_in.post(reverse("connection_edit", args=[connection.pk]), data).status_code == 302
    entry = only_entry(kind=Kind.CONNECTION_EDIT)
    assert diff(entry) == {"label": ("Sandbox", "Main shop"), "api_key": (None, "replaced")}
    stored = str(list(Activity.objects.values_list("before", "after")))
    assert sandbox_key not in stored and sandbox_key[-4:] not in stored

    logged_in.post(reverse("connection_delete", args=[connection.pk]))
    deleted = only_entry(kind=Kind.CONNECTION_DELETE)
    assert deleted.connection is None and deleted.connection_label == "Main shop"


def test_membership_changes_are_recorded(logged_in, connection, other_user):
    members = reverse("teams:members", args=[connection.pk])
    logged_in.post(
        reverse("teams:member_add", args=[connection.pk]), {"username": "intruder", "role": "viewer"}
    )
    member = Membership.objects.get(user=other_user)
    change_url = reverse("teams:member_change", args=[connection.pk, member.pk])
    offered = form_posting_to(logged_in.get(members).content.decode(), change_url)["offered"]
    site = next(int(value) for name, value in offered if name == "websites")
    logged_in.post(change_url, {"role": "editor", "websites": [site]})
    logged_in.post(reverse("teams:member_remove", args=[connection.pk, member.pk]))
    kinds = list(Activity.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [Kind.MEMBER_ADD, Kind.MEMBER_CHANGE, Kind.MEMBER_REMOVE]
    change = Activity.objects.get(kind=Kind.MEMBER_CHANGE)
    assert diff(change) == {"role": ("viewer", "editor"), "websites": ([], [site])}
    activity = reverse("teams:activity", args=[connection.pk])
    # The members page read the connection's websites, so the history names the one allowed.
    name = connect(connection).cached_directory().website_label(site)
    text = visible_text(logged_in.get(activity).content)
    assert "Member's access changed" in text and f"every website {name}" in text
    connect(connection).forget_directory()
    assert f"every website #{site}" in visible_text(logged_in.get(activity).content)
    assert logged_in.get(members).status_code == 200


def test_the_connection_history_filters_and_pages(logged_in, connection, user, other_user):
    Membership.objects.create(connection=connection, user=other_user, role=Role.EDITOR)
    for number in range(60):
        Activity.objects.create(
            connection=connection,
            connection_label="Sandbox",
            user=user if number % 2 else other_user,
            username="marketer" if number % 2 else "intruder",
            kind=Kind.FLOW_TOGGLE,
            flow_id=100 + number % 3,
            flow_name=f"Flow {number % 3}",
            website_id=1 + number % 3,
            before={"is_enabled": True},
            after={"is_enabled": False},
        )
    page_url = reverse("teams:activity", args=[connection.pk])
    text = visible_text(logged_in.get(page_url).content)
    assert "60 changes" in text and "1 / 2" in text
    assert "10 changes" in visible_text(
        logged_in.get(page_url, {"person": other_user.pk, "flow": 100}).content
    )
    second = logged_in.get(page_url, {"website": 2, "page": 2})
    assert "20 changes" in visible_text(second.content)
    assert "intruder" in visible_text(
        logged_in.get(page_url, {"kind": "flow.toggle", "person": "nobody"}).content
    )


def test_the_history_filters_flows_and_websites_by_name(logged_in, connection, demo_flows, other_user):
    directory = connect(connection).directory(fresh=True)
    site = directory.websites[0]
    name = directory.website_label(site.id)
    for flow_id, flow_name, website_id in [
        (100, "Old name", site.id),
        (100, "Welcome", site.id),
        (100, "", site.id),
        (101, "", 999),
        (102, "Welcome", 999),
    ]:
        Activity.objects.create(
            connection=connection,
            connection_label="Sandbox",
            username="marketer",
            kind=Kind.FLOW_TOGGLE,
            flow_id=flow_id,
            flow_name=flow_name,
            website_id=website_id,
        )
    page_url = reverse("teams:activity", args=[connection.pk])

    def offered(client, **query):
        response = client.get(page_url, query)
        filters = response.context["filters"]
        choices = (filters["flow"].field.choices, filters["website"].field.choices)
        return choices, visible_text(response.content)

    (flows, websites), text = offered(logged_in)
    # The newest name each flow was recorded under; the number where two flows share a name.
    assert flows == [("", "Every flow"), (101, "Flow #101"), (100, "Welcome #100"), (102, "Welcome #102")]
    assert websites == [("", "Every website"), (999, "#999"), (site.id, name)]
    assert "5 changes" in text
    assert "3 changes" in offered(logged_in, flow=100)[1]
    # A plain form: the choice made stays chosen on the page it brings.
    assert form_with(logged_in.get(page_url, {"flow": 100}).content.decode(), "flow")["flow"] == "100"
    assert "2 changes" in offered(logged_in, website=999)[1]
    # A number the entries do not hold is ignored, like any bad value.
    assert "5 changes" in offered(logged_in, flow=555)[1]
    assert "5 changes" in offered(logged_in, website="x")[1]
    # ... alone: the filters that still fit still apply.
    assert "2 changes" in offered(logged_in, flow=555, website=999)[1]

    # A member limited to a website is offered only its flows and it.
    Membership.objects.create(connection=connection, user=other_user, role=Role.VIEWER, websites=[site.id])
    logged_in.force_login(other_user)
    assert offered(logged_in)[0] == (
        [("", "Every flow"), (100, "Welcome")],
        [("", "Every website"), (site.id, name)],
    )


def test_the_history_shows_when_the_key_can_no_longer_be_read(logged_in, connection, flow):
    page = logged_in.get(url("edit", connection, flow.id)).content.decode()
    logged_in.post(url("edit", connection, flow.id), {**form_with(page, "title"), "title": "Renamed"})
    # Sealed with an encryption key the server no longer has: the flows cannot be reached, their
    # history can, its websites still named from the cache (kept under the key's hash, not the key).
    Connection.objects.filter(pk=connection.pk).update(api_key_encrypted="v9:not-a-key-any-more")
    for page in (
        reverse("teams:activity", args=[connection.pk]),
        reverse("teams:flow_activity", args=[connection.pk, flow.id]),
    ):
        response = logged_in.get(page)
        assert response.status_code == 200, page
        text = visible_text(response.content)
        assert "Renamed" in text and flow.website.name in text and f"website #{flow.website.id}" not in text


def test_prune_removes_entries_older_than_the_age_given(connection, user, capsys):
    _, recent = (
        Activity.objects.create(
            connection=connection,
            connection_label="x",
            username="marketer",
            kind=Kind.FLOW_EDIT,
            created=moment,
        )
        for moment in (timezone.now() - timedelta(days=100), timezone.now() - timedelta(days=5))
    )
    call_command("prune_activity", "--days", "90", "--dry-run")
    assert Activity.objects.count() == 2
    call_command("prune_activity", "--days", "90")
    assert list(Activity.objects.all()) == [recent]
    assert "Deleted 1 entries older than 90 days." in capsys.readouterr().out


def test_the_history_has_no_edit_or_delete_url():
    from teams import urls

    names = {pattern.name for pattern in urls.urlpatterns}
    assert not {name for name in names if "activity" in name} - {"activity", "flow_activity"}
