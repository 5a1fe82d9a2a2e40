"""Flows as a JSON file, and back: the versioned format of ``export.json``, ``manage.py
export_flows`` and the import (docs/EXPORT.md describes it for people and other programs).

Writing is a plain dump of what the connection holds. Reading trusts nothing: the file may come
from another server, an older Pushdeck or a text editor, so its shape is checked first and every
flow is then held to the API's own limits by the flow form's checks (flows_app/forms.py), each
problem named by flow and field. The file names each flow's website and segment by their ids in
its own ``websites`` and ``segments``, which the import maps to the target's by name
(jobs/copies.py), as a copy between connections does.
"""

import base64
import binascii
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from flows_app.api.records import Directory, Segment, Website
from flows_app.fields import FLOW_FIELDS, flow_values
from flows_app.forms import FlowForm
from flows_app.images import read_image

FORMAT = "pushdeck.flows"
VERSION = 1
# What each flow of the file holds besides its id and image: the form's fields (website and
# segment as ids of the file's own lists).
FIELDS = FLOW_FIELDS


def document(flows, directory, label, images=None):
    """The export of ``flows`` (api.Flow), their websites and segments named from ``directory``.
    ``images`` maps a flow to its image embedded (an api.ImageUpload), or None to reference it by
    its address."""
    sites = {flow.website_id for flow in flows}
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "connection": label,
        "websites": [
            {"id": site.id, "name": site.name, "host": site.host, "scheme": site.scheme, "path": site.path}
            for site in directory.websites
            if site.id in sites
        ],
        "segments": [
            {"id": segment.id, "website_id": segment.website_id, "name": segment.name}
            for segment in directory.segments
            if segment.website_id in sites
        ],
        "flows": [{"id": flow.id, **flow_values(flow), "image": _image(flow, images)} for flow in flows],
    }


def _image(flow, images):
    if not flow.image_url:
        return None
    upload = images(flow) if images else None
    if upload is None:
        return {"url": flow.image_url}
    return {
        "name": upload.filename,
        "content_type": upload.content_type,
        "data": base64.b64encode(upload.content).decode(),
    }


class Problem(ValueError):
    """What is wrong with a file as a whole (its shape, its size): nothing of it can be read."""


class Read:
    """A file read: its flows (id, values, image), its websites and segments as a Directory, and
    each problem found in a flow as ``(flow number, flow name, field label, message)``."""

    def __init__(self):
        self.flows = []
        self.directory = Directory()
        self.problems = []


def check_size(size):
    if size > settings.IMPORT_MAX_BYTES:
        raise Problem(
            _("The file is %(size)s; an import takes at most %(max)s.")
            % {"size": filesizeformat(size), "max": filesizeformat(settings.IMPORT_MAX_BYTES)}
        )


def read(data):
    """The flows of an export ``data`` (bytes), checked; Problem when the file cannot be read."""
    check_size(len(data))
    try:
        loaded = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise Problem(_("The file is not JSON (%(error)s): export it again.") % {"error": error}) from None
    if not isinstance(loaded, dict) or loaded.get("format") != FORMAT:
        raise Problem(_("This is not a file of flows exported by Pushdeck."))
    version = loaded.get("version")
    if version != VERSION:
        raise Problem(
            _("The file's format is version %(version)s; this Pushdeck reads version %(known)s.")
            % {"version": version, "known": VERSION}
        )
    flows = loaded.get("flows")
    if not isinstance(flows, list) or not flows:
        raise Problem(_("The file holds no flows."))
    if len(flows) > settings.IMPORT_MAX_FLOWS:
        raise Problem(
            _("The file holds %(count)d flows; an import takes at most %(max)d.")
            % {"count": len(flows), "max": settings.IMPORT_MAX_FLOWS}
        )
    found = Read()
    found.directory = Directory(
        websites=tuple(_records(loaded.get("websites"), _website, _("websites"))),
        segments=tuple(_records(loaded.get("segments"), _segment, _("segments"))),
    )
    seen = set()
    for number, raw in enumerate(flows, start=1):
        _flow(found, number, raw, seen)
    return found


def _records(items, make, what):
    if not isinstance(items, list):
        raise Problem(_("The file's list of %(what)s is missing.") % {"what": what})
    try:
        return [make(item) for item in items]
    except (TypeError, ValueError, KeyError, AttributeError):
        raise Problem(_("The file's list of %(what)s is damaged.") % {"what": what}) from None


def _website(item):
    scheme, path = str(item.get("scheme") or "https://"), str(item.get("path") or "")
    return Website(int(item["id"]), str(item["name"]), str(item["host"]), scheme, path)


def _segment(item):
    return Segment(int(item["id"]), int(item["website_id"]), str(item["name"]))


def _flow(found, number, raw, seen):
    if not isinstance(raw, dict):
        found.problems.append((number, "", "", _("This is not a flow.")))
        return
    name = str(raw.get("name") or "")[:256]

    def problem(field, message):
        found.problems.append((number, name, field, message))

    flow_id = raw.get("id")
    if not isinstance(flow_id, int) or isinstance(flow_id, bool) or flow_id < 1 or flow_id in seen:
        problem("id", _("Each flow needs an id of its own (a whole number), once in the file."))
        return
    seen.add(flow_id)
    data = {field: raw[field] for field in FIELDS if raw.get(field) is not None}
    form = FlowForm(data, user=None, directory=found.directory)
    if not form.is_valid():
        for field, messages in form.errors.items():
            label = FlowForm.label_of(field) if field in FlowForm.base_fields else ""
            for message in messages:
                problem(label, message)
        return
    try:
        image = _image_of(raw.get("image"))
    except ValidationError as error:
        problem(FlowForm.label_of("image"), " ".join(error.messages))
        return
    found.flows.append((flow_id, form.values(), image))


def _image_of(image):
    """A flow's image as the file holds it, checked: None, its address, or the picture itself
    (within the size and pixels any upload is held to)."""
    if image is None:
        return None
    if isinstance(image, dict) and isinstance(image.get("url"), str) and "data" not in image:
        return {"url": image["url"]}
    if not isinstance(image, dict) or not isinstance(image.get("data"), str):
        raise ValidationError(_("The image is neither an address nor a picture."))
    # Base64 takes 4 characters for 3 bytes: a larger text is refused before it is decoded.
    if len(image["data"]) * 3 // 4 > settings.IMAGE_MAX_BYTES:
        raise ValidationError(
            _("The image is larger than %(max)s.") % {"max": filesizeformat(settings.IMAGE_MAX_BYTES)}
        )
    try:
        content = base64.b64decode(image["data"], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(_("The image's data is damaged.")) from None
    upload = read_image(SimpleUploadedFile(str(image.get("name") or "image"), content))
    return {"name": upload.filename, "content_type": upload.content_type, "data": image["data"]}
