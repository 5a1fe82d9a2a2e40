"""The stub_client at the HTTP boundary: what crosses the wire, and answers the sandbox never gives."""

import time

import pytest

from flows_app.api import FlowsClient, ImageUpload, RateLimited, Rejected, Unauthorized, Unavailable
from tests.stub_server import Answer

# Every request is counted in the key's budget, which is kept in the database.
pytestmark = pytest.mark.django_db

FLOW = {
    "id": 7,
    "website_id": 2,
    "name": "Welcome",
    "title": "Hi",
    "description": "Thanks for subscribing",
    "settings": {"is_silent": "1", "is_auto_hide": 0, "ttl": 3600},
    "is_enabled": 1,
    "total_displayed_push_notifications": 200,
    "total_clicked_push_notifications": 15,
    "last_sent_datetime": "2026-11-01 10:00:00",
}


def test_every_request_carries_the_bearer_key_and_user_agent(stub, stub_client):
    stub_client.list_flows()
    headers = stub.requests[0].headers
    assert headers["Authorization"] == "Bearer key-abcdef-123456"
    assert headers["User-Agent"].startswith("Pushdeck/")


def test_list_passes_page_and_size_and_reads_total_from_the_vendor_page_shape(stub, stub_client):
    stub.answer(
        Answer(
            body={"data": [FLOW], "meta": {"page": 3, "results_per_page": 10, "total": 41, "total_pages": 5}}
        )
    )
    page = stub_client.list_flows(3, 10)
    assert stub.requests[0].path == "/api/flows/?page=3&results_per_page=10"
    assert (page.page, page.total, page.total_pages, page.has_next) == (3, 41, 5, True)
    flow = page.flows[0]
    assert flow.settings.is_silent is True and flow.settings.is_auto_hide is False
    assert flow.is_enabled is True
    assert flow.click_rate == pytest.approx(0.075)
    assert flow.last_sent_datetime.year == 2026


def test_a_redirect_is_never_followed_so_the_key_stays_home(stub, stub_client):
    stub.answer(Answer(status=302, headers={"Location": stub.url + "/elsewhere"}))
    with pytest.raises(Unavailable):
        stub_client.get_flow(7)
    assert [r.path for r in stub.requests] == ["/api/flows/7"]


def test_a_200_that_is_not_json_is_unavailable_not_a_crash(stub, stub_client):
    stub.answer(Answer(body="<html>Maintenance</html>"))
    with pytest.raises(Unavailable, match="could not be read"):
        stub_client.get_flow(7)


def test_a_200_without_data_is_not_taken_for_success(stub, stub_client):
    stub.answer(Answer(body={"id": 7}))
    with pytest.raises(Unavailable):
        stub_client.create_flow({"name": "x"})


def test_an_image_error_answered_with_200_is_a_rejection_with_the_servers_words(stub, stub_client):
    stub.answer(Answer(body={"message": ["The file type is not allowed."], "status": "error", "details": []}))
    with pytest.raises(Rejected, match="The file type is not allowed."):
        stub_client.create_flow({"name": "x"}, image=ImageUpload("a.png", b"png", "image/png"))


def test_a_401_on_a_write_is_the_servers_validation_message_not_a_bad_key(stub, stub_client):
    stub.answer(
        Answer(status=401, body={"errors": [{"title": "The title field is required.", "status": 401}]})
    )
    with pytest.raises(Rejected, match="The title field is required."):
        stub_client.create_flow({"name": "x"})


def test_a_401_no_access_on_a_write_is_still_a_bad_key(stub, stub_client):
    stub.answer(
        Answer(status=401, body={"errors": [{"title": "You do not have access to the API.", "status": 401}]})
    )
    with pytest.raises(Unauthorized):
        stub_client.update_flow(7, {"name": "x"})


def test_writes_are_multipart_with_booleans_as_one_and_zero(stub, stub_client):
    stub.answer(Answer(body={"data": {"id": 7}}))
    stub_client.update_flow(7, {"is_enabled": False, "is_silent": True, "name": "Nouveau"})
    request = stub.requests[0]
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    body = request.body.decode()
    assert 'name="is_enabled"\r\n\r\n0\r\n' in body
    assert 'name="is_silent"\r\n\r\n1\r\n' in body
    assert "true" not in body.lower().replace("nouveau", "")


def test_create_leaves_out_false_silent_and_auto_hide_because_presence_turns_them_on(stub, stub_client):
    stub.answer(Answer(status=201, body={"data": FLOW}))
    flow_id, flow = stub_client.create_flow(
        {"name": "x", "is_silent": False, "is_auto_hide": True, "is_enabled": False}
    )
    body = stub.requests[0].body.decode()
    assert 'name="is_silent"' not in body
    assert 'name="is_auto_hide"\r\n\r\n1\r\n' in body
    assert 'name="is_enabled"\r\n\r\n0\r\n' in body
    assert (flow_id, flow.name) == (7, "Welcome")


def test_the_image_travels_as_a_file_part_named_and_typed_as_it_is(stub, stub_client):
    stub.answer(Answer(body={"data": {"id": 9}}))
    flow_id, flow = stub_client.create_flow(
        {"name": "x"}, image=ImageUpload("photo.webp", b"RIFFxxxxWEBP", "image/webp")
    )
    body = stub.requests[0].body
    assert b'name="image"; filename="photo.webp"\r\nContent-Type: image/webp' in body
    assert (flow_id, flow) == (9, None)


def test_get_is_retried_on_503_then_succeeds(stub, stub_client):
    stub.answer(Answer(status=503, body="busy"), Answer(body={"data": FLOW}))
    assert stub_client.get_flow(7).name == "Welcome"
    assert stub_client.calls == 2


def test_a_create_is_never_retried(stub, stub_client):
    stub.answer(Answer(status=503, body="busy"), Answer(body={"data": {"id": 1}}))
    with pytest.raises(Unavailable):
        stub_client.create_flow({"name": "x"})
    assert len(stub.requests) == 1


def test_a_429_with_a_short_reset_is_waited_out_for_a_read(stub, stub_client):
    limited = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}
    stub.answer(
        Answer(status=429, headers=limited, body={"errors": [{"title": "Slow down", "status": 429}]}),
        Answer(body={"data": FLOW}, headers={"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59"}),
    )
    started = time.monotonic()
    assert stub_client.get_flow(7).id == 7
    assert 1 <= time.monotonic() - started < 2
    assert stub_client.budget.remaining == 59


def test_a_429_with_a_long_reset_says_when_and_blocks_further_calls_locally(stub, stub_client):
    stub.answer(
        Answer(
            status=429,
            headers={"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "42"},
            body={
                "errors": [
                    {"title": "You reached the limit of requests in one minute, please wait.", "status": 429}
                ]
            },
        )
    )
    with pytest.raises(RateLimited) as caught:
        stub_client.list_flows()
    assert caught.value.retry_after == 42
    with pytest.raises(RateLimited) as again:
        stub_client.get_flow(7)
    assert 40 <= again.value.retry_after <= 42
    assert len(stub.requests) == 1


def test_a_spent_budget_stops_requests_before_the_server_refuses_them(stub, stub_client):
    stub.answer(
        Answer(body={"data": FLOW}, headers={"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0"})
    )
    stub_client.get_flow(7)
    with pytest.raises(RateLimited):
        stub_client.get_flow(7)
    assert len(stub.requests) == 1


def test_5xx_keeps_failing_gives_up_after_bounded_attempts(stub, stub_client):
    stub.answer(Answer(status=502, body="bad gateway"))
    with pytest.raises(Unavailable, match="HTTP 502"):
        stub_client.list_flows()
    assert len(stub.requests) == 3


def test_a_server_that_is_not_listening_is_unavailable():
    stub_client = FlowsClient("http://127.0.0.1:9", "key", timeout=1)
    with pytest.raises(Unavailable, match="connection"):
        stub_client.list_flows()
