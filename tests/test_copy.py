"""Copying flows to another website or connection, and exporting and importing them as JSON (#28),
end to end against the sandbox: the confirmation lists what will be created and asks what the copy
cannot decide alone, the worker creates each copy paused with the target's key, a second run
doubles nothing, and a file is checked flow by flow and field by field before anything is made."""

import base64
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from activity.models import Activity, Kind
from flows_app.api import ImageUpload, connect
from flows_app.api.records import Directory, Segment, Website
from flows_app.models import Membership, Role
from jobs import copies
from jobs.models import BulkItem, BulkJob
from sandbox.models import ApiAccount
from sandbox.models import Flow as SandboxFlow
from tests.bulk import work
from tests.helpers import make_connection, png
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import visible_text


def account_flows(key):
    return SandboxFlow.objects.filter(account__in=ApiAccount.objects.with_key(key)).order_by("id")


def websites_of(key):
    return list(ApiAccount.objects.with_key(key).get().websites.order_by("id"))


@pytest.fixture
def other(user, other_sandbox_key, sandbox_url):
    """A second connection of the same person: another account, its websites named as the first's."""
    connection = make_connection(user, other_sandbox_key)
    connect(connection).directory()
    return connection


@pytest.fixture
def northwind(demo_flows, sandbox_key):
    """The source website's flows (Northwind, shop.northwind.example), oldest first."""
    site = websites_of(sandbox_key)[0]
    return [flow for flow in reversed(demo_flows) if flow.website_id == site.id]


def copy(client, source, ids, **fields):
    return client.post(reverse("flows:bulk", args=[source.pk]), {"action": "copy", "ids": ids, **fields})


def started(response):
    assert response.status_code == 302, visible_text(response.content.decode())[:800]
    return BulkJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


# The plan, without the server: segments by name, else asked; links offered.

SOURCE = Directory(
    websites=(Website(1, "Shop", "shop.example"),),
    segments=(Segment(11, 1, "Returning customers"), Segment(12, 1, "VIP")),
)
TARGET = Directory(
    websites=(Website(2, "Shop 2", "shop2.example", path="/de"),),
    segments=(Segment(21, 2, "Returning customers"),),
)


def source(flow_id, segment, url="https://shop.example/cart", name=None):
    values = {"website_id": 1, "name": name or f"Flow {flow_id}", "segment": segment, "url": url}
    return copies.Source(flow_id, {**values, "is_enabled": True, "button_url_1": "", "button_url_2": ""})


def test_a_segment_maps_by_name_one_without_a_namesake_is_asked_and_never_becomes_all():
    sources = [source(1, "11"), source(2, "12"), source(3, "all")]
    plan = copies.plan(sources, SOURCE, TARGET, {"website": "2", "links": "keep"}, set())
    assert [item.values and item.values["segment"] for item in plan.items] == ["21", None, "all"]
    [question] = plan.segments
    assert (question.name, question.field) == ("VIP", "segment_1_12")
    assert not plan.ready
    answered = copies.plan(
        sources, SOURCE, TARGET, {"website": "2", "links": "keep", "segment_1_12": "all"}, set()
    )
    assert answered.ready and answered.items[1].values["segment"] == "all"


def test_links_to_the_source_website_are_offered_with_the_same_page_on_the_target_and_copies_start_paused():
    plan = copies.plan([source(1, "all")], SOURCE, TARGET, {"website": "2"}, set())
    [(name, change)] = plan.links
    assert (name, change.url, change.replacement) == (
        "Flow 1",
        "https://shop.example/cart",
        "https://shop2.example/de/cart",
    )
    assert not plan.ready
    replaced = copies.plan([source(1, "all")], SOURCE, TARGET, {"website": "2", "links": "replace"}, set())
    assert replaced.items[0].values["url"] == "https://shop2.example/de/cart"
    assert replaced.items[0].values["is_enabled"] is False


def test_a_flow_already_on_the_target_under_its_name_is_said_and_not_counted_as_new():
    plan = copies.plan(
        [source(1, "all"), source(2, "all")],
        SOURCE,
        TARGET,
        {"website": "2", "links": "keep"},
        {(2, "Flow 1")},
    )
    assert [item.exists for item in plan.items] == [True, False]
    assert [item.source.id for item in plan.new] == [2]


def test_a_selection_over_several_websites_maps_each_source_website_to_a_target_of_its_own():
    two = SOURCE._replace(websites=(*SOURCE.websites, Website(3, "Blog", "blog.example")))
    targets = TARGET._replace(websites=(*TARGET.websites, Website(4, "Blog 2", "blog.example")))
    sources = [
        source(1, "all"),
        source(2, "all")._replace(values={**source(2, "all").values, "website_id": 3}),
    ]
    answers = {"website": "2", "target_3": "4", "links": "keep"}
    plan = copies.plan(sources, two, targets, answers, set())
    assert [item.values["website_id"] for item in plan.items] == [2, 4]
    assert [(site, chosen) for site, _name, chosen, _field in plan.websites] == [(1, 2), (3, 4)]
    # A target website the person may not write to (absent from their view of the target) is asked.
    assert not copies.plan(sources, two, TARGET, {"website": "2", "target_3": "4"}, set()).ready


# Copies end to end


@pytest.mark.live  # the worker
def test_a_copy_to_another_connection_maps_segments_by_name_starts_paused_keeps_the_order_and_records_its_origin(
    logged_in, connection, other, northwind, sandbox_key, other_sandbox_key
):
    target_site = websites_of(other_sandbox_key)[0]
    ids = [flow.id for flow in northwind]
    page = copy(logged_in, connection, ids, connection=other.pk, website=target_site.id)
    text = visible_text(page.content.decode())
    assert page.status_code == 200 and f"Copy {len(ids)} flows to Other?" in text
    # Same website names on both accounts: the host is the same, so no links are asked about.
    assert "Links to the old website" not in text and "has no segment called" not in text
    job = started(
        copy(logged_in, connection, ids, connection=other.pk, website=target_site.id, confirmed="1")
    )
    assert (job.connection, job.source, job.action) == (other, connection, "copy")
    work()
    made = list(account_flows(other_sandbox_key))
    assert [flow.name for flow in made] == [flow.name for flow in northwind]
    assert not any(flow.is_enabled for flow in made)
    by_name = {segment.id: segment.name for segment in websites_of(sandbox_key)[0].segments.all()}
    target_segments = {segment.name: str(segment.id) for segment in target_site.segments.all()}
    for original, copied in zip(northwind, made, strict=True):
        expected = "all" if original.segment == "all" else target_segments[by_name[int(original.segment)]]
        assert (copied.website_id, copied.segment, copied.title, copied.url) == (
            target_site.id,
            expected,
            original.title,
            original.url,
        )
        assert (copied.ttl, copied.urgency, copied.utm_campaign, copied.is_silent) == (
            original.ttl,
            original.urgency,
            original.utm_campaign,
            original.is_silent,
        )
    entry = Activity.objects.filter(kind=Kind.FLOW_COPY, connection=other).order_by("id").first()
    assert entry.after["copied_from"] == f"#{northwind[0].id} “{northwind[0].name}” · Sandbox"
    assert set(job.items.values_list("state", flat=True)) == {BulkItem.State.DONE}
    # Nothing was written with the source's key.
    assert account_flows(sandbox_key).count() == 40


def test_every_match_of_a_list_filtered_by_website_is_copied_the_copys_website_being_the_last_one_posted(
    logged_in, connection, other, demo_flows, sandbox_key, other_sandbox_key
):
    site, target = websites_of(sandbox_key)[0], websites_of(other_sandbox_key)[0]
    # As the bar posts it: the list's query first (its website filter), the copy's website last.
    data = {
        "action": "copy",
        "match": "1",
        "website": [site.id, target.id],
        "connection": other.pk,
        "confirmed": "1",
    }
    job = started(logged_in.post(reverse("flows:bulk", args=[connection.pk]), data))
    on_site = set(demo_flows.filter(website=site).values_list("id", flat=True))
    assert set(job.items.values_list("flow_id", flat=True)) == on_site
    assert set(job.items.values_list("website_id", flat=True)) == {target.id}


@pytest.mark.live  # the worker
def test_a_second_run_of_the_same_copy_says_each_flow_is_there_already_and_doubles_nothing(
    logged_in, connection, other, northwind, other_sandbox_key
):
    target_site = websites_of(other_sandbox_key)[0]
    ids = [flow.id for flow in northwind[:3]]
    fields = {"connection": other.pk, "website": target_site.id, "confirmed": "1"}
    started(copy(logged_in, connection, ids, **fields))
    work()
    page = copy(logged_in, connection, ids, connection=other.pk, website=target_site.id)
    assert visible_text(page.content.decode()).count("Already there: left as it is") == 3
    second = started(copy(logged_in, connection, ids, **fields))
    work()
    assert account_flows(other_sandbox_key).count() == 3
    assert {item.shown_message for item in second.items.all()} == {
        "Already on the target website: not copied again."
    }


@pytest.mark.live  # the worker
def test_a_copy_to_another_website_asks_about_links_and_missing_segments_before_it_creates_anything(
    logged_in, connection, northwind, sandbox_key
):
    grind = websites_of(sandbox_key)[1]
    on_grind = set(account_flows(sandbox_key).filter(website=grind).values_list("name", flat=True))
    flow = next(flow for flow in northwind if flow.segment != "all" and flow.name not in on_grind)
    fields = {"website": grind.id, "confirmed": "1"}
    page = copy(logged_in, connection, [flow.id], **fields)
    text = visible_text(page.content.decode())
    assert page.status_code == 400 and "Answer the questions marked below first" in text
    assert "has no segment called" in text and f"{flow.url} → https://blog.dailygrind.example/" in text
    question = f"segment_{flow.website_id}_{flow.segment}"
    before = account_flows(sandbox_key).count()
    coffee = grind.segments.get(name="Coffee lovers")
    started(copy(logged_in, connection, [flow.id], links="replace", **{question: coffee.id}, **fields))
    work()
    made = account_flows(sandbox_key).last()
    assert account_flows(sandbox_key).count() == before + 1
    assert (made.website_id, made.segment, made.is_enabled) == (grind.id, str(coffee.id), False)
    assert made.url.startswith("https://blog.dailygrind.example/")


@pytest.mark.live  # the worker
def test_the_image_is_re_uploaded_with_the_copy(logged_in, connection, other, northwind, other_sandbox_key):
    flow = northwind[0]
    connect(connection).update_flow(flow.id, {}, ImageUpload("garden.png", png(40, 20), "image/png"))
    target_site = websites_of(other_sandbox_key)[0]
    page = copy(logged_in, connection, [flow.id], connection=other.pk, website=target_site.id)
    assert "with its image" in visible_text(page.content.decode())
    started(
        copy(logged_in, connection, [flow.id], connection=other.pk, website=target_site.id, confirmed="1")
    )
    work()
    made = account_flows(other_sandbox_key).get()
    flow.refresh_from_db()
    assert made.image and made.image != flow.image


# Roles on both sides


def test_a_viewer_of_the_target_may_not_copy_to_it_and_a_stranger_to_it_gets_404(
    connection, other, northwind, django_user_model, other_sandbox_key
):
    person = django_user_model.objects.create_user("viewer", password="correct horse battery")
    Membership.objects.create(connection=connection, user=person, role=Role.EDITOR)
    client = Client()
    client.force_login(person)
    site = websites_of(other_sandbox_key)[0].id
    assert copy(client, connection, [northwind[0].id], connection=other.pk, website=site).status_code == 404
    Membership.objects.create(connection=other, user=person, role=Role.VIEWER)
    assert copy(client, connection, [northwind[0].id], connection=other.pk, website=site).status_code == 403
    assert not account_flows(other_sandbox_key).exists()


@pytest.mark.live  # the worker
def test_a_member_limited_on_the_source_copies_only_their_websites_flows_and_on_the_target_only_to_theirs(
    connection, other, demo_flows, django_user_model, sandbox_key, other_sandbox_key
):
    person = django_user_model.objects.create_user("limited", password="correct horse battery")
    mine, theirs = websites_of(sandbox_key)[:2]
    target_mine, target_theirs = websites_of(other_sandbox_key)[:2]
    Membership.objects.create(connection=connection, user=person, role=Role.VIEWER, websites=[mine.id])
    Membership.objects.create(connection=other, user=person, role=Role.EDITOR, websites=[target_mine.id])
    client = Client()
    client.force_login(person)
    own = next(flow for flow in demo_flows if flow.website_id == mine.id)
    foreign = next(flow for flow in demo_flows if flow.website_id == theirs.id)
    page = copy(client, connection, [own.id, foreign.id], connection=other.pk, website=target_theirs.id)
    text = visible_text(page.content.decode())
    assert "Copy 1 flow to Other?" in text and foreign.name not in text.replace(own.name, "")
    # The target's other website is not offered, and not taken when posted.
    assert target_theirs.name not in text
    job = started(
        copy(client, connection, [own.id], connection=other.pk, website=target_mine.id, confirmed="1")
    )
    work()
    assert account_flows(other_sandbox_key).get().website_id == target_mine.id
    # The owner of the target sees the job; a member of the target alone (not of the source) does not.
    stranger = django_user_model.objects.create_user("target-only", password="correct horse battery")
    Membership.objects.create(connection=other, user=stranger, role=Role.ADMIN)
    outsider = Client()
    outsider.force_login(stranger)
    assert outsider.get(reverse("jobs:detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 200


# Export and import


def exported(client, connection, query=""):
    response = client.get(reverse("flows:export_json", args=[connection.pk]) + query)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    return response.content


def upload(content, name="flows.json"):
    file = io.BytesIO(content)
    file.name = name
    return file


def import_page(client, connection, content, website, **fields):
    return client.post(
        reverse("flows:import", args=[connection.pk]), {"file": upload(content), "website": website, **fields}
    )


@pytest.mark.live  # the worker
def test_an_export_imported_on_another_connection_is_a_dry_run_first_then_a_job_of_paused_copies(
    logged_in, connection, other, demo_flows, sandbox_key, other_sandbox_key
):
    site = websites_of(sandbox_key)[0]
    content = exported(logged_in, connection, f"?website={site.id}")
    document = json.loads(content)
    assert (document["format"], document["version"]) == ("pushdeck.flows", 1)
    assert [website["name"] for website in document["websites"]] == [site.name]
    target_site = websites_of(other_sandbox_key)[0]
    page = import_page(logged_in, other, content, target_site.id)
    text = visible_text(page.content.decode())
    count = len(document["flows"])
    assert page.status_code == 200 and f"Import {count} flows from flows.json?" in text
    assert "A dry run: nothing is created until you confirm below." in text
    assert not account_flows(other_sandbox_key).exists()
    token = page.context["token"]
    response = logged_in.post(
        reverse("flows:import", args=[other.pk]),
        {"token": token, "website": target_site.id, "confirmed": "1"},
    )
    job = started(response)
    assert job.action == "import" and job.source_label == "flows.json"
    work()
    made = account_flows(other_sandbox_key)
    assert sorted(flow.name for flow in made) == sorted(flow["name"] for flow in document["flows"])
    assert not made.filter(is_enabled=True).exists()


def test_each_problem_of_a_file_is_named_by_flow_and_field_and_nothing_is_created(
    logged_in, connection, other, demo_flows, other_sandbox_key
):
    document = json.loads(exported(logged_in, connection))
    document["flows"][0]["title"] = "x" * 65
    document["flows"][1]["url"] = "javascript:alert(1)"
    document["flows"][2]["wait_time"] = 91
    document["flows"][2]["wait_time_type"] = "days"
    page = import_page(logged_in, other, json.dumps(document).encode(), websites_of(other_sandbox_key)[0].id)
    text = visible_text(page.content.decode())
    assert page.status_code == 400 and "The file has 3 problems; nothing was created." in text
    first, second = document["flows"][0]["name"], document["flows"][1]["name"]
    assert f"Flow 1 ({first}) · Title: Ensure this value has at most 64 characters (it has 65)." in text
    assert f"Flow 2 ({second}) · Link: Enter a web address starting with http:// or https://." in text
    assert "· Send after: At most 90 days." in text
    assert not account_flows(other_sandbox_key).exists()


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"{not json", "The file is not JSON"),
        (b'{"format": "something else"}', "This is not a file of flows exported by Pushdeck."),
        (
            b'{"format": "pushdeck.flows", "version": 2, "flows": []}',
            "version 2; this Pushdeck reads version 1",
        ),
        (b'{"format": "pushdeck.flows", "version": 1, "flows": []}', "The file holds no flows."),
        (
            b'{"format": "pushdeck.flows", "version": 1, "flows": [{}], "websites": 3}',
            "list of websites is missing",
        ),
    ],
)
def test_a_malformed_file_is_refused_with_what_is_wrong(logged_in, connection, website, content, said):
    page = import_page(logged_in, connection, content, website.id)
    assert page.status_code == 400 and said in visible_text(page.content.decode())


def test_a_file_over_the_size_or_the_flow_count_is_refused_and_so_is_an_oversized_image(
    logged_in, connection, demo_flows, website, settings
):
    content = exported(logged_in, connection)
    settings.IMPORT_MAX_BYTES = len(content) - 1
    page = import_page(logged_in, connection, content, website.id)
    assert "an import takes at most" in visible_text(page.content.decode())
    settings.IMPORT_MAX_BYTES, settings.IMPORT_MAX_FLOWS = 10**7, 39
    page = import_page(logged_in, connection, content, website.id)
    assert "The file holds 40 flows; an import takes at most 39." in visible_text(page.content.decode())
    settings.IMPORT_MAX_FLOWS, settings.IMAGE_MAX_BYTES = 1000, 100
    document = json.loads(content)
    picture = base64.b64encode(png(64, 64)).decode()
    document["flows"][0]["image"] = {"name": "big.png", "content_type": "image/png", "data": picture}
    page = import_page(logged_in, connection, json.dumps(document).encode(), website.id)
    assert "· Image: The image is larger than 100 bytes." in visible_text(page.content.decode())


@pytest.mark.live  # the worker
def test_export_and_import_commands_do_the_same_from_the_shell(
    connection, other, user, demo_flows, sandbox_key, other_sandbox_key, tmp_path
):
    site = websites_of(sandbox_key)[0]
    pictured = demo_flows.filter(website=site).first()
    connect(connection).update_flow(pictured.id, {}, ImageUpload("garden.png", png(40, 20), "image/png"))
    path = tmp_path / "flows.json"
    query = f"website={site.id}"
    call_command(
        "export_flows",
        connection.pk,
        "--query",
        query,
        "--embed-images",
        "-o",
        str(path),
        stderr=io.StringIO(),
    )
    document = json.loads(path.read_text())
    count = len(document["flows"])
    [embedded] = [flow["image"] for flow in document["flows"] if flow["image"]]
    assert base64.b64decode(embedded["data"]) == png(40, 20) and embedded["content_type"] == "image/png"
    target = websites_of(other_sandbox_key)[0].id
    out = io.StringIO()
    arguments = ["import_flows", other.pk, str(path), "--website", target, "--user", user.username]
    call_command(*arguments, "--dry-run", stdout=out)
    assert out.getvalue().count("new, paused") == count and not account_flows(other_sandbox_key).exists()
    call_command(*arguments, stdout=io.StringIO())
    work()
    assert account_flows(other_sandbox_key).count() == count
    assert account_flows(other_sandbox_key).get(name=pictured.name).image
    with pytest.raises(CommandError, match="is no editor"):
        call_command("import_flows", other.pk, str(path), "--website", target, "--user", "nobody")


@pytest.mark.live  # the worker
def test_a_copy_whose_person_left_the_source_connection_stops_at_its_next_slice(
    connection, other, northwind, django_user_model, other_sandbox_key
):
    person = django_user_model.objects.create_user("both", password="correct horse battery")
    Membership.objects.create(connection=connection, user=person, role=Role.VIEWER)
    Membership.objects.create(connection=other, user=person, role=Role.EDITOR)
    client = Client()
    client.force_login(person)
    site = websites_of(other_sandbox_key)[0].id
    job = started(
        copy(client, connection, [northwind[0].id], connection=other.pk, website=site, confirmed="1")
    )
    Membership.objects.filter(connection=connection, user=person).delete()
    work()
    job.refresh_from_db()
    assert job.state == BulkJob.State.STOPPED
    assert "both is no longer a member of “Sandbox”, which the flows are copied from." in visible_text(
        job.shown_message
    )
    assert not account_flows(other_sandbox_key).exists()
