"""Toasts for htmx answers, carried in one HX-Trigger event that static/js/app.js listens for."""

import json

from django.utils.translation import gettext as _

EVENT = "toasts"


def add_toast(response, level, message, link=None, link_label=None):
    """Append a toast to the response's HX-Trigger header, keeping any event already there."""
    header = response.get("HX-Trigger")
    events = json.loads(header) if header else {}
    toast = {"level": level, "message": str(message)}
    if link:
        toast.update(link=str(link), link_label=str(link_label or _("Open")))
    events.setdefault(EVENT, {"items": []})["items"].append(toast)
    response["HX-Trigger"] = json.dumps(events)
    return response
