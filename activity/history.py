"""The activity history: every write made through Pushdeck, who made it and what it changed.

`record` is the one way in, for views and for background jobs alike. Flow entries keep the
flow's editable fields (the API's parameter names, flows_app.fields.FLOW_FIELDS) before and after
the write; an image is noted as "added", "replaced" or "removed", never kept; an API key is
noted as "replaced", never kept.
"""

from dataclasses import dataclass

from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from activity.models import Activity
from flows_app.forms import FlowForm
from flows_app.models import Role

IMAGE = "image"
# Fields recorded beside the flow form's, as the forms call them.
LABELS = {
    "api_key": _("API key"),
    "websites": _("Websites"),
    "image": _("Image"),
    "role": _("Role"),
    "username": _("Username"),
    "note": _("For"),
    "label": _("Name"),
    "server": _("Server"),
    "is_enabled": _("Enabled"),
    "job": _("Job"),
    # A copy's origin (jobs/copies.py): the flow and the connection or file it came from.
    "copied_from": _("Copied from"),
}
# How a write changed what is not kept (see image_change; the API key is only ever "replaced").
CHANGED = {"added": _("added"), "replaced": _("replaced"), "removed": _("removed")}


def record(user, connection, kind, *, flow_id=None, before=None, after=None):
    """Append one entry: ``user`` made a write of ``kind`` (activity.models.Kind) on ``connection``.

    For a flow, pass its id and its fields ``before`` and ``after`` the write (None for the side
    that does not exist: before a create, after a delete); its name and website are read from
    them. Callers record only writes the server accepted.
    """
    values = after or before or {}
    return Activity.objects.create(
        connection=connection,
        connection_label=connection.label,
        user=user,
        username=user.get_username(),
        kind=kind,
        flow_id=flow_id,
        flow_name=str(values.get("name") or last_flow_name(connection, flow_id))[:256],
        website_id=values.get("website_id"),
        before=before,
        after=after,
    )


def toggle_values(flow, on):
    """A switch's entry, before and after: the flow switched ``on`` (or off), named when known.

    ``flow`` is what the writer knows of the flow: its fields read before the write (a dict, as
    flows_app.fields.flow_values names them: what a bulk job read at its start, or a page lately),
    whose ``is_enabled`` is the state before, so that a switch to the state it already had reads
    as nothing changed; or a Flow, the write's answer (the state after it), or None. The state
    before is then not known, and not claimed (the history says "set to", not "switched").
    """
    if isinstance(flow, dict):
        identity = {name: flow[name] for name in ("name", "website_id") if name in flow}
        was = {"is_enabled": flow["is_enabled"]} if "is_enabled" in flow else {}
    else:
        identity = {"name": flow.name, "website_id": flow.website_id} if flow else {}
        was = {}
    return {**identity, **was}, {**identity, "is_enabled": on}


def newest_names(entries):
    """{flow id: the newest name recorded for it} among ``entries``: what the history calls a flow
    whose write's answer did not carry its name. One row per flow and name."""
    named = entries.exclude(flow_id=None).exclude(flow_name="").values("flow_id", "flow_name")
    # Oldest first, so that the newest name of each flow is the one kept.
    return {row["flow_id"]: row["flow_name"] for row in named.annotate(last=Max("created")).order_by("last")}


def last_flow_name(connection, flow_id):
    """The flow's name as last recorded, for a write whose answer did not carry it."""
    if flow_id is None:
        return ""
    return newest_names(Activity.objects.filter(connection=connection, flow_id=flow_id)).get(flow_id, "")


def image_change(upload, remove_image, had_image):
    """How a write changed the flow's image, as the history says it ("" when it did not)."""
    if upload is not None:
        return "replaced" if had_image else "added"
    if remove_image and had_image:
        return "removed"
    return ""


def field_label(name):
    """A recorded field's name as the forms call it."""
    field = FlowForm.base_fields.get(name)
    return LABELS.get(name) or (field and field.label) or name.replace("_", " ").capitalize()


def value_label(name, value):
    """A recorded value as the forms offer it (a unit, a role, "replaced"), in the reader's
    language; None for a value that is the user's own text or a number."""
    if name == "role" and value in Role.values:
        return Role(value).label
    if name in (IMAGE, "api_key") and value in CHANGED:
        return CHANGED[value]
    field = FlowForm.base_fields.get(name)
    return dict(getattr(field, "choices", ())).get(value) if value not in ("", None) else None


@dataclass(frozen=True)
class Change:
    field: str
    before: object
    after: object
    # The website each side's flow was on, which names its segment.
    website_before: int | None = None
    website_after: int | None = None


# Recorded fields only admins read: an invitation's note ("who it is for", which the form promises
# only admins see) is a name or an email address.
ADMINS_ONLY = {"note"}


def changes(entry, admin=True):
    """The fields an entry changed, in the order they were recorded: a readable diff; for a
    reader who is not an admin (``admin`` False), without the fields only admins see."""
    before, after = entry.before or {}, entry.after or {}
    fields = [field for field in dict.fromkeys([*before, *after]) if admin or field not in ADMINS_ONLY]
    if not entry.before or not entry.after:
        # A creation or a deletion: every field it had (empty ones add nothing to read).
        values = after or before
        shown = [field for field in fields if values.get(field) not in ("", None)]
    else:
        shown = [field for field in fields if before.get(field) != after.get(field)]
    websites = (before.get("website_id", entry.website_id), after.get("website_id", entry.website_id))
    return [Change(field, before.get(field), after.get(field), *websites) for field in shown]
