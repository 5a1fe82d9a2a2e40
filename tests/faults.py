"""The ways the flows API misbehaves, as sandbox faults, and what a user must be told for each."""

from django.conf import settings

from sandbox.models import ApiAccount, Fault
from tests import inprocess

# Short enough to keep the suite fast; a hang lasts longer than the whole budget of a call.
HANG_TIMEOUT = 0.3
UNREACHABLE = r"had a problem \(HTTP 5\d\d\)|did not answer within \d+ s|connection to the server broke|sent something unexpected"

# name: (the sandbox Fault's fields, a pattern of what the user reads)
FAULTS = {
    "401": ({"kind": "status", "status": 401}, r"refused this connection.s API key|rejected this API key"),
    "404": ({"kind": "status", "status": 404}, r"does not exist|not found"),
    "429": ({"kind": "status", "status": 429}, r"(Try|Ready) again in \d+ seconds?"),
    "500": ({"kind": "status", "status": 500}, UNREACHABLE),
    "502": ({"kind": "status", "status": 502}, UNREACHABLE),
    "503": ({"kind": "status", "status": 503}, UNREACHABLE),
    "hang": ({"kind": "hang", "seconds": 2 * HANG_TIMEOUT}, UNREACHABLE),
    "drop": ({"kind": "drop"}, UNREACHABLE),
    "not-json": ({"kind": "badjson"}, UNREACHABLE),
    "200-status-error": ({"kind": "image_error"}, r"refused the change|sent something unexpected"),
}


def inject(api_key, fault, settings=None, **overrides):
    """Make the sandbox misbehave for this key; a hang lowers FLOWS_API_TIMEOUT to match."""
    fields, _ = FAULTS[fault]
    if fault == "hang" and settings is not None:
        settings.FLOWS_API_TIMEOUT = HANG_TIMEOUT
    return Fault.objects.create(account=ApiAccount.objects.with_key(api_key).get(), **{**fields, **overrides})


def expected_message(fault):
    return FAULTS[fault][1]


def hang_seconds(fault):
    """How long to wait, after a test, for hung sandbox answers to end before the database is flushed:
    none in the fast tier, where the sandbox answered in the test's thread before the page did."""
    if settings.SANDBOX_URL == inprocess.URL:
        return 0
    return FAULTS[fault][0].get("seconds", 0)
