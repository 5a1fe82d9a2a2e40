"""Copies of flows made in bulk: to another website of the connection, to a website of another
connection (of another server too), or from an exported file (#28).

Why here, in the background layer, and not a feature app of its own: a copy is one more bulk
action of the list's bulk bar (``action=copy`` to flows/bulk/), run by the same worker in the same
paced, resumable slices with one outcome per flow. Everything it needs lies below (the copy rule
of flows_app/copying.py, the image re-upload of flows_app/images.py, the file format of
flows_app/transfer.py, the history), so jobs/bulk.py calls it directly and needs no registry.

A copy is planned when it is asked for, with the reading side's key (the person's budget): the
source flows, both websites' segments and the target's flows (what is there already). The plan
holds every flow as it will be created; the worker only writes, with the target's key, within
its budget (docs/BUDGET.md). Re-fetching an image is a plain file read, not an API call.

- Each copy starts paused (flows_app/copying.py says why).
- Its audience is the target website's segment of the same name; one without is asked, never
  silently "all" (flows_app.copying.segment_by_name).
- Links to the source website are shown and replaced, or kept, as the person chooses.
- A flow already on the target website under the same name is said and left, not doubled: a
  second run of the same copy, or the run of a worker that took over from one killed mid-way.
- Flows are created in the order the source created them (oldest first): a sequence keeps its
  order on the target website, as the server lists it.
"""

import base64
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from activity.history import record
from activity.models import Kind
from flows_app.access import member_access
from flows_app.api import Flow, Rejected, connect
from flows_app.copying import copy_of, relinked, segment_by_name
from flows_app.fields import flow_values
from flows_app.images import copy_image, read_image
from jobs.models import BulkJob, note

CREATING = {BulkJob.Action.COPY, BulkJob.Action.IMPORT}
LINK_CHOICES = ("replace", "keep")


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Source(NamedTuple):
    """A flow to copy: its id where it comes from, its fields (flows_app.fields.flow_values),
    and its image as flows_app/transfer.py holds one (its address, or the picture), or None."""

    id: int
    values: dict
    image: dict | None = None

    @classmethod
    def of(cls, flow):
        return cls(flow.id, flow_values(flow), {"url": flow.image_url} if flow.image_url else None)


class Planned(NamedTuple):
    source: Source
    # The flow to create; None while its website or its audience is still to choose.
    values: dict | None
    links: tuple
    # Already on the target website under this name: left as it is.
    exists: bool
    # Its audience on the target, by name.
    audience: str = ""

    def stored(self, origin):
        """What a job's item keeps of it (BulkItem.copy); ``origin`` names where it came from."""
        return {
            "values": self.values,
            "image": self.source.image,
            "from": origin,
            "from_website": self.source.values["website_id"],
        }


class SegmentQuestion(NamedTuple):
    website_id: int
    segment: str
    name: str
    target_id: int
    # The answer, where one was given ("all" or a segment id of the target website).
    chosen: str | None
    field: str


class Plan(NamedTuple):
    items: list
    # Each source website, its name, the target website chosen for it (None: to choose), the field.
    websites: list
    # The audiences whose target has no segment of their name, asked.
    segments: list
    # (flow name, LinkChange) of every link that points at its source website.
    links: list
    link_choice: str | None

    @property
    def ready(self):
        """Nothing left to choose: every website and audience known, and the links decided."""
        return (
            all(target for _site, _name, target, _field in self.websites)
            and all(question.chosen for question in self.segments)
            and (not self.links or self.link_choice is not None)
        )

    @property
    def new(self):
        return [item for item in self.items if not item.exists]

    @property
    def existing(self):
        return [item for item in self.items if item.exists]


def plan(sources, source_directory, target_directory, answers, existing):
    """The copies of ``sources`` (Source) from the websites and segments of ``source_directory``
    to those of ``target_directory``, as far as ``answers`` (the confirmation's fields: a
    ``website`` for every flow, a ``target_<website>`` for a source website's, a
    ``segment_<website>_<segment>`` for an audience, ``links``) decide them. ``existing`` holds
    ``(website id, name)`` of every flow on the target."""
    default = _as_int(answers.get("website"))
    sites = sorted({source.values["website_id"] for source in sources})
    targets, websites = {}, []
    for site in sites:
        field = f"target_{site}"
        chosen = _as_int(answers.get(field)) or default
        targets[site] = chosen if target_directory.website(chosen) else None
        websites.append((site, source_directory.website_label(site), targets[site], field))
    audiences, questions = {}, []
    for site, segment in sorted({(s.values["website_id"], str(s.values["segment"])) for s in sources}):
        target = targets[site]
        if target is None:
            continue
        offered = target_directory.segments_of(target)
        mapped = segment_by_name(segment, source_directory.segments_of(site), offered)
        field = f"segment_{site}_{segment}"
        answer = answers.get(field)
        if answer == "all" or answer in {str(item.id) for item in offered}:
            mapped = answer
        elif mapped is None:
            named = source_directory.segment(site, segment)
            name = named.name if named else f"#{segment}"
            questions.append(SegmentQuestion(site, segment, name, target, None, field))
        audiences[site, segment] = mapped
    link_choice = answers.get("links") if answers.get("links") in LINK_CHOICES else None
    items, links = [], []
    for source in sorted(sources, key=lambda source: source.id):
        site = source.values["website_id"]
        target = targets[site]
        audience = audiences.get((site, str(source.values["segment"])))
        if target is None:
            items.append(Planned(source, None, (), False))
            continue
        made = copy_of(
            {**source.values, "segment": audience},
            source_directory.website(site),
            target_directory.website(target),
        )
        exists = (target, made.values["name"]) in existing
        if not exists:
            # Shown while its audience is still asked: one page shows every question.
            links.extend((source.values["name"], change) for change in made.links)
        if audience is None:
            items.append(Planned(source, None, made.links, exists))
            continue
        values = relinked(made.values, made.links) if link_choice == "replace" else made.values
        label = target_directory.segment_label(target, audience)
        items.append(Planned(source, values, made.links, exists, label))
    # Answers of questions no longer asked are not kept: the plan asks what it needs.
    questions = [q._replace(chosen=audiences.get((q.website_id, q.segment))) for q in questions]
    return Plan(items, websites, questions, links, link_choice)


def existing_names(every):
    """``(website id, name)`` of every flow of a set: what a copy checks before it creates."""
    return {(flow.website_id, flow.name) for flow in every}


def origin(connection, flow_id, name):
    """How the history names the flow a copy came from (the connection's name as it is now)."""
    return f"#{flow_id} “{name}” · {connection}"


# Run by the worker (jobs/bulk.py), one item at a time.


def source_refusal(job):
    """Why the person the copy runs for may no longer read its source connection (a note), or
    None: roles and website limits hold on both sides, checked at every slice."""
    if job.action != BulkJob.Action.COPY:
        return None
    user = job.run_as
    if job.source is None:
        return note(gettext_noop("The connection the flows were copied from was deleted: the job stopped."))
    if user is None or member_access(job.source, user) is None:
        return note(
            gettext_noop("%(user)s is no longer a member of “%(label)s”, which the flows are copied from."),
            user=user.get_username() if user else "",
            label=job.source.label,
        )
    return None


class NotReadable(Rejected):
    """A source flow on a website the person may no longer see."""


def create(job, item, api, pacer, known, max_wait):
    """Create the item's copy on the job's connection (``api``, the person's view of it) and
    record it; ``known`` holds (website id, name) of the target's flows and gains the new one.
    Returns ``(new flow id or None, note fields)``; None when the flow was there already."""
    planned = item.copy
    values = planned["values"]
    if (values["website_id"], values["name"]) in known:
        return None, note(gettext_noop("Already on the target website: not copied again."))
    if job.action == BulkJob.Action.COPY:
        access = member_access(job.source, job.run_as)
        if access is None or not access.sees(planned["from_website"]):
            raise NotReadable(_("Its website is not one you may see on the connection it comes from."), 403)
    upload, problem = _image(job, api, planned.get("image"))
    flow_id, flow = pacer.call(api.create_flow, values, upload, max_wait=max_wait)
    known.add((values["website_id"], values["name"]))
    kept = flow_values(flow) if flow else values
    after = {**kept, **({"image": "added"} if upload else {}), "copied_from": planned["from"]}
    record(job.run_as, job.connection, Kind.FLOW_COPY, flow_id=flow_id, after=after)
    if problem:
        return flow_id, note(gettext_noop("Copied, paused, without its image: %(reason)s"), reason=problem)
    return flow_id, note(gettext_noop("Copied as flow #%(id)s, paused."), id=flow_id)


def _image(job, api, image):
    """The copy's image as an upload, and why not when it could not be had: re-fetched from its
    address (flows_app.images.copy_image, with the source's client: a copy to another server
    reads it from the one it is on) or decoded from the file."""
    if not image:
        return None, ""
    if "url" in image:
        reader = connect(job.source, background=True) if job.source else api
        return copy_image(
            reader, Flow(id=0, website_id=0, name="", title="", description="", image_url=image["url"])
        )
    try:
        content = base64.b64decode(image["data"])
        return read_image(SimpleUploadedFile(image.get("name") or "image", content)), ""
    except (ValidationError, ValueError) as error:
        return None, " ".join(getattr(error, "messages", [str(error)]))
