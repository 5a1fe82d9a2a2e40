"""A flow's fields as Pushdeck names and shows them: its editable values under the API's parameter
names (what the form edits, the history records and a bulk job writes), and the labels of the
values with fixed choices. For the form, the worker, the history and the templates alike."""

import hashlib
import json

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy, ngettext_lazy, pgettext_lazy

from flows_app.api import Flow
from flows_app.api.records import TTL_CHOICES, WAIT_LABELS


def flow_values(flow):
    """The editable fields of a Flow under the API's parameter names: what the form edits."""
    s = flow.settings
    return {
        "website_id": flow.website_id,
        "name": flow.name,
        "title": flow.title,
        "description": flow.description,
        "url": flow.url,
        "wait_time": flow.wait_time,
        "wait_time_type": flow.wait_time_type,
        "button_title_1": s.button_title_1,
        "button_url_1": s.button_url_1,
        "button_title_2": s.button_title_2,
        "button_url_2": s.button_url_2,
        "is_silent": s.is_silent,
        "is_auto_hide": s.is_auto_hide,
        "ttl": s.ttl,
        "urgency": s.urgency,
        "utm_source": s.utm_source,
        "utm_medium": s.utm_medium,
        "utm_campaign": s.utm_campaign,
        "segment": flow.segment,
        "is_enabled": flow.is_enabled,
    }


# The editable fields, in the order the comparison page lists them.
FLOW_FIELDS = tuple(flow_values(Flow(id=0, website_id=0, name="", title="", description="")))


def fingerprint(flow):
    """A hash of what an edit could overwrite. Stats are left out: they move on their own."""
    state = {**flow_values(flow), "image_url": flow.image_url}
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()[:32]


# What the server may replace with something else though the form checked it: the connection's
# websites and segments can change on the server after the form offered them. Every other field
# the form holds to the server's own limits, so the server keeps it as sent.
SUBSTITUTABLE = {"website_id", "segment"}


# A duration in its largest whole unit, in the reader's language and plural form.
DURATION_UNITS = (
    (604800, ngettext_lazy("%(count)s week", "%(count)s weeks", "count")),
    (86400, WAIT_LABELS["days"]),
    (3600, WAIT_LABELS["hours"]),
    (60, WAIT_LABELS["minutes"]),
    (1, ngettext_lazy("%(count)s second", "%(count)s seconds", "count")),
)
# The two ends of the server's TTL choices say what they mean, not only how long.
TTL_ENDS = {
    0: gettext_lazy("Now or never (drop it if it cannot be delivered at once)"),
    2419200: gettext_lazy("Up to 4 weeks (the longest)"),
}
URGENCY_LABELS = {
    "low": pgettext_lazy("urgency", "Low"),
    "normal": pgettext_lazy("urgency", "Normal"),
    "high": pgettext_lazy("urgency", "High"),
}


def duration(seconds):
    """``seconds`` as "3 hours", "1 week": the largest unit it is a whole number of."""
    size, words = next((size, words) for size, words in DURATION_UNITS if seconds % size == 0)
    return words % {"count": seconds // size}


def ttl_label(seconds):
    """A TTL choice as a person reads it (the detail page shows any value the server holds)."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return seconds
    return TTL_ENDS.get(seconds) or duration(seconds)


# Lazy: each label is read in the language of the request that draws it.
TTL_LABELS = {ttl: lazy(ttl_label, str)(ttl) for ttl in TTL_CHOICES}
