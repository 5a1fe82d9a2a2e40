"""A flow's message as one personal notification (API_CONTRACT.md, "POST
/api/personal-notifications"): the same title, text, link, buttons and switches, its UTM values
as the notification's own utm_* fields (the server appends them to the links when it sends, as it
does for a flow's pushes: appending them here too would double them)."""

from django.utils.translation import gettext as _

TEXTS = (
    "title",
    "description",
    "url",
    "button_title_1",
    "button_url_1",
    "button_title_2",
    "button_url_2",
    "utm_source",
    "utm_medium",
    "utm_campaign",
)
# Read by the server by presence: sent only when on (FlowsClient leaves out those that are off).
SWITCHES = ("is_silent", "is_auto_hide")
# What an immediate send uses whatever is sent: four weeks, normal.
IMMEDIATE_TTL, IMMEDIATE_URGENCY = 2419200, "normal"


def notification_fields(values, website_id, subscriber_id):
    """The personal notification's fields for flow ``values`` (flows_app.fields.flow_values' names)."""
    name = values.get("name") or values.get("title") or ""
    fields = {
        "website_id": int(website_id),
        "subscriber_id": int(subscriber_id),
        # Only the vendor's own dashboard shows it: says where the record came from.
        "name": (_("Pushdeck test: %(name)s") % {"name": name})[:256],
    }
    fields.update({name: values[name] for name in TEXTS if values.get(name)})
    fields.update({name: True for name in SWITCHES if values.get(name)})
    return fields


def ignored_delivery(ttl, urgency):
    """Whether a flow sets a delivery a test cannot show: an immediate send ignores both."""
    try:
        ttl = int(ttl)
    except (TypeError, ValueError):
        return False
    return ttl != IMMEDIATE_TTL or (urgency or IMMEDIATE_URGENCY) != IMMEDIATE_URGENCY
