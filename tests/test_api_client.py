"""The client against the sandbox over real HTTP: every operation and every quirk of the contract."""

import time

import pytest
import requests

from flows_app.api import (
    FlowsClient,
    ImageUpload,
    NotFound,
    RateLimited,
    Rejected,
    Unauthorized,
    Unavailable,
    connect,
)
from sandbox.models import ApiAccount, Fault, Website
from tests.helpers import make_flows, png

REQUIRED = {"name": "Welcome", "title": "Hello", "description": "Thanks for subscribing"}


@pytest.fixture
def website(account):
    return Website.objects.filter(account=account).order_by("id").first()


def create(api, website, **fields):
    flow_id, _ = api.create_flow({"website_id": website.id, **REQUIRED, **fields})
    return flow_id


def test_list_walks_pages_with_meta(api, sandbox_key):
    make_flows(sandbox_key, 23)
    first = api.list_flows(1, 10)
    assert (first.total, first.total_pages, len(first.flows), first.has_next) == (23, 3, 10, True)
    last = api.list_flows(3, 10)
    assert (len(last.flows), last.has_next, last.has_previous) == (3, False, True)
    assert len({flow.id for flow in api.iter_flows(results_per_page=10)}) == 23


@pytest.mark.parametrize("total_field", ["total", "total_results"])
def test_both_names_of_the_list_count_are_understood(api, sandbox_key, settings, total_field):
    settings.SANDBOX_TOTAL_FIELD = total_field
    make_flows(sandbox_key, 12)
    assert api.list_flows(1, 10).total == 12


def test_all_flows_fetches_the_remaining_pages_concurrently(api, sandbox_key):
    make_flows(sandbox_key, 35)
    # 10 a page would be 4 calls; all_flows asks for 1000 a page, so one call covers 35.
    flows = api.all_flows(pool_size=3)
    assert len({flow.id for flow in flows}) == 35
    assert api.calls == 1


def test_all_flows_with_a_known_count_asks_for_every_page_in_one_wave(api, sandbox_key):
    make_flows(sandbox_key, 35)
    flows = api.all_flows(pool_size=4, results_per_page=10, expected_total=35)
    assert len({flow.id for flow in flows}) == 35
    assert api.calls == 4


def test_all_flows_with_a_stale_count_still_fetches_the_pages_added_since(api, sandbox_key):
    make_flows(sandbox_key, 35)
    flows = api.all_flows(pool_size=4, results_per_page=10, expected_total=12)
    assert len({flow.id for flow in flows}) == 35
    assert api.calls == 4


def test_in_background_returns_once_the_request_is_on_its_way(connection, sandbox_key):
    """A view renders its page while the call runs on another thread; the call's request must
    have left by then, or the view's rendering (holding the interpreter lock) would delay it."""
    make_flows(sandbox_key, 12)
    service = connect(connection)
    for page in (1, 2, 3):
        listing = service.in_background(service.list_flows, page, 10, fresh=True)
        assert service.calls == page, "returned before the request was sent"
        assert listing.result().page == page


def test_in_background_returns_at_once_when_no_request_is_needed(connection, sandbox_key):
    make_flows(sandbox_key, 12)
    service = connect(connection)
    service.list_flows(1, 10)
    cached = service.in_background(service.list_flows, 1, 10)
    assert cached.result(timeout=5).total == 12
    refused = service.in_background(service.get_flow, "not a number")
    with pytest.raises(ValueError):
        refused.result(timeout=5)
    assert service.calls == 1


def test_the_service_remembers_the_list_count_for_a_whole_connection_fetch(connection, sandbox_key):
    make_flows(sandbox_key, 35)
    service = connect(connection)
    assert service.list_flows(1, 10).total == 35
    seen = []
    original = service.client.all_flows
    service.client.all_flows = lambda **kwargs: seen.append(kwargs["expected_total"]) or original(**kwargs)
    assert len(service.all_flows()) == 35
    assert seen == [35]


def test_all_flows_refuses_work_that_would_overrun_the_rate_budget(api, sandbox_key, settings):
    settings.SANDBOX_RATE_LIMIT = 3
    make_flows(sandbox_key, 40)
    with pytest.raises(RateLimited, match="would overrun the key's budget"):
        api.all_flows(pool_size=2, results_per_page=10)
    assert api.calls == 1


def test_create_returns_the_id_and_the_flow_reads_back_typed(api, website):
    flow_id = create(api, website, url="https://shop.example/welcome", wait_time=3, wait_time_type="hours")
    flow = api.get_flow(flow_id)
    assert (flow.id, flow.name, flow.website_id, flow.wait_label) == (
        flow_id,
        "Welcome",
        website.id,
        "3 hours",
    )
    assert flow.url == "https://shop.example/welcome"
    assert flow.is_enabled is True


def test_create_answered_with_the_whole_flow_is_read_too(api, website, settings):
    settings.SANDBOX_CREATE_ANSWER = "flow"
    flow_id, flow = api.create_flow({"website_id": website.id, **REQUIRED})
    assert flow is not None and flow.id == flow_id and flow.title == "Hello"


def test_create_with_silent_and_auto_hide_off_keeps_them_off(api, website):
    flow = api.get_flow(create(api, website, is_silent=False, is_auto_hide=False))
    assert (flow.settings.is_silent, flow.settings.is_auto_hide) == (False, False)


def test_create_with_silent_on_turns_it_on(api, website):
    flow = api.get_flow(create(api, website, is_silent=True))
    assert (flow.settings.is_silent, flow.settings.is_auto_hide) == (True, False)


def test_create_disabled_stays_disabled_because_false_travels_as_zero(api, website):
    assert api.get_flow(create(api, website, is_enabled=False)).is_enabled is False


def test_update_changes_only_the_fields_sent(api, website):
    flow_id = create(api, website, url="https://shop.example/a", is_silent=True)
    api.update_flow(flow_id, {"title": "New title", "is_silent": False})
    flow = api.get_flow(flow_id)
    assert (flow.title, flow.settings.is_silent) == ("New title", False)
    assert (flow.name, flow.url, flow.description) == (
        "Welcome",
        "https://shop.example/a",
        REQUIRED["description"],
    )


def test_update_answered_with_the_whole_flow_returns_it(api, website, settings):
    settings.SANDBOX_UPDATE_ANSWER = "flow"
    flow_id = create(api, website)
    returned_id, flow = api.update_flow(flow_id, {"is_enabled": False})
    assert (returned_id, flow.is_enabled) == (flow_id, False)


def test_an_image_is_stored_and_served_and_can_be_removed(api, website):
    image = ImageUpload("banner.png", png(64, 48, color="#3366ff"), "image/png")
    flow_id, _ = api.create_flow({"website_id": website.id, **REQUIRED}, image=image)
    flow = api.get_flow(flow_id)
    assert flow.image_url
    served = requests.get(flow.image_url, timeout=5)
    assert served.status_code == 200 and served.content == image.content

    api.update_flow(flow_id, {}, remove_image=True)
    assert api.get_flow(flow_id).image_url == ""


def test_an_image_the_server_refuses_is_a_rejection_with_its_message(api, website):
    with pytest.raises(Rejected) as caught:
        api.create_flow(
            {"website_id": website.id, **REQUIRED}, image=ImageUpload("notes.txt", b"hi", "text/plain")
        )
    assert caught.value.message


def test_a_missing_required_field_is_rejected_with_the_servers_message_not_a_bad_key(api, website):
    with pytest.raises(Rejected, match="name"):
        api.create_flow({"website_id": website.id, "title": "t", "description": "d", "name": ""})


def test_the_plans_flow_limit_is_a_rejection(api, website, account):
    account.flows_limit = 1
    account.save()
    create(api, website)
    with pytest.raises(Rejected):
        create(api, website)


def test_delete_then_the_flow_is_gone(api, website):
    flow_id = create(api, website)
    assert api.delete_flow(flow_id) is None
    with pytest.raises(NotFound):
        api.get_flow(flow_id)


def test_another_keys_flow_is_not_found(api, sandbox_url, other_sandbox_key):
    other = FlowsClient(sandbox_url, other_sandbox_key, timeout=2)
    other_website = Website.objects.filter(account__in=ApiAccount.objects.with_key(other_sandbox_key)).first()
    flow_id = create(other, other_website)
    with pytest.raises(NotFound):
        api.get_flow(flow_id)
    with pytest.raises(NotFound):
        api.delete_flow(flow_id)


def test_a_wrong_key_is_unauthorized(sandbox_url, sandbox_key):
    with pytest.raises(Unauthorized, match="do not have access"):
        FlowsClient(sandbox_url, "not-a-key", timeout=2).list_flows()


def test_a_disabled_key_is_unauthorized_even_on_a_write(api, account, website):
    account.api_enabled = False
    account.save()
    with pytest.raises(Unauthorized):
        api.create_flow({"website_id": website.id, **REQUIRED})


def test_the_rate_limit_is_read_and_a_spent_budget_is_not_spent_again(api, settings):
    settings.SANDBOX_RATE_LIMIT = 3
    # The server's word alone: one spender may take the whole minute here.
    settings.BUDGET_PERSON_SHARE, settings.BUDGET_WRITE_SHARE = 100, 0
    api.list_flows()
    assert (api.budget.limit, api.budget.remaining) == (3, 2)
    api.list_flows()
    api.list_flows()
    with pytest.raises(RateLimited) as caught:
        api.list_flows()
    assert 0 < caught.value.retry_after <= 60
    assert api.calls == 3


def test_a_read_is_retried_through_a_passing_503(api, account):
    Fault.objects.create(account=account, kind="status", status=503, remaining=1)
    assert api.list_flows().page == 1
    assert api.calls == 2


def test_a_create_is_not_retried_through_a_503(api, account, website):
    Fault.objects.create(account=account, kind="status", status=503, remaining=1)
    with pytest.raises(Unavailable):
        create(api, website)
    assert api.calls == 1
    assert not account.flows.exists()


def test_a_hang_ends_within_the_deadline(sandbox_url, sandbox_key, account):
    Fault.objects.create(account=account, kind="hang", seconds=1.5)
    client = FlowsClient(sandbox_url, sandbox_key, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(Unavailable, match="did not answer"):
        client.list_flows()
    assert time.monotonic() - started < client.deadline + 0.5


@pytest.mark.parametrize("kind", ["drop", "badjson"])
def test_a_dropped_connection_or_a_body_that_is_not_json_is_unavailable(api, account, kind):
    Fault.objects.create(account=account, kind=kind)
    with pytest.raises(Unavailable):
        api.get_flow(1)
