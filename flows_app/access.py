"""The one door to a user's connections: every view looks a connection up through here.

A connection is shared through memberships (models.Membership): a user who is not a member of it gets
404, as for a connection that does not exist; a member whose role is below what the page needs
gets 403 (a readable page, or a toast for htmx). A member may also be limited to some of the
connection's websites: a flow of another website answers 404 to them, and a write naming one is
refused. Views say which role they need and let this module decide.
"""

import math
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from flows_app.api import NotFound, Page, Rejected, connect
from flows_app.api.records import Directory, FlowSet
from flows_app.api.service import cached_directory
from flows_app.models import Connection, Role
from flows_app.text import word_list

VIEWER, EDITOR, ADMIN = Role.VIEWER, Role.EDITOR, Role.ADMIN


class NotAllowed(PermissionDenied):
    """A member asked for more than their role allows (ApiErrorMiddleware renders it)."""

    def __init__(self, connection, needed, reason=None):
        self.connection = connection
        self.needed = Role(needed)
        super().__init__(
            reason
            or _("Your role on “%(label)s” is %(role)s; this needs %(needed)s.")
            % {"label": connection.label, "role": Role(connection.role).label, "needed": self.needed.label}
        )


@dataclass(frozen=True)
class Access:
    """What the current user may do with the current connection (request.access)."""

    role: Role
    websites: frozenset = frozenset()

    def can(self, needed):
        return self.role.allows(needed)

    @property
    def can_edit(self):
        return self.can(EDITOR)

    @property
    def is_admin(self):
        return self.can(ADMIN)

    @property
    def limited(self):
        return bool(self.websites)

    def sees(self, website_id):
        return not self.websites or int(website_id) in self.websites


def get_connection(request, connection_id, role=VIEWER):
    """The user's connection with this id, if their role there is at least ``role``.

    The connection is also kept on the request so that the error middleware can link an
    Unauthorized answer to the page where its key is replaced, and the access on request.access
    so that templates show only the controls the user may use.
    """
    # One query serves the lookup and the page's connection menu (see user_connections).
    request.user_connections = list(Connection.objects.for_user(request.user))
    connection = next((item for item in request.user_connections if item.pk == int(connection_id)), None)
    if connection is None:
        raise Http404("No such connection.")
    request.connection = connection
    request.access = access_of(connection)
    if not request.access.can(role):
        raise NotAllowed(connection, role)
    return connection


def access_of(connection):
    """The user's access to one of their connections (as Connection.objects.for_user gives it)."""
    return Access(Role(connection.role), frozenset(connection.member_websites or ()))


def connection_api(connection):
    """The flows API of one of the user's connections (from Connection.objects.for_user), as the
    member may see it: for pages that show several connections at once."""
    return scoped(connect(connection), access_of(connection))


def get_own_connection(request, connection_id):
    """A connection the user created: its default-ness is theirs alone (Connection.is_default)."""
    connection = get_connection(request, connection_id)
    if connection.owner_id != request.user.pk:
        raise NotAllowed(
            connection,
            connection.role,
            _("Only the person who added a connection can make it their default."),
        )
    return connection


def flows_api(request, connection_id, role=VIEWER):
    """The connection and the flows API reached through it, as the member may see it."""
    connection = get_connection(request, connection_id, role)
    return connection, scoped(connect(connection), request.access)


def cached_names(request, connection):
    """The connection's websites and segments as the member may see them, when a page of the flows
    read them lately (else none: pages then name a website by its number). Spends no call, and
    opens no key (one that cannot be decrypted any more is when people look at what was done)."""
    directory = cached_directory(connection) or Directory()
    return visible_directory(directory, request.access.websites) if request.access.limited else directory


def visible_directory(directory, websites):
    """``directory`` with only the ``websites`` (ids) a limited member sees, and their segments."""
    return directory._replace(
        websites=tuple(site for site in directory.websites if site.id in websites),
        segments=tuple(segment for segment in directory.segments if segment.website_id in websites),
    )


def member_access(connection, user):
    """What a member may do, outside a request (background work done for them); None once they
    are no longer a member, so work queued before they left stops."""
    membership = connection.memberships.filter(user=user).first()
    return membership and Access(Role(membership.role), frozenset(membership.websites))


def scoped(api, access):
    """The flows API as this member sees it: all of it, or only the websites they are limited to.
    Background work done for a member (bulk jobs) goes through here too."""
    return WebsiteScoped(api, access.websites) if access.limited else api


class OtherWebsite(NotFound):
    """A flow of a website the member is limited away from: missing to a page (a 404 like any
    missing flow), but a bulk job says why it left the flow alone rather than "already deleted"."""


class WebsiteScoped:
    """The flows API of a connection limited to some of its websites, for every caller alike: a
    flow of another website is missing (NotFound, a 404 like any missing flow), lists, counts and
    whole-connection reads hold their websites only, and a write naming another website is refused.
    The API has no website filter (API_CONTRACT.md), so a list page is cut from every flow, read
    through the shared cache (each whole set's share of the member's websites is kept with it)."""

    def __init__(self, api, websites):
        self._api = api
        self.websites = websites
        # The website of each flow read in this view: a write right after costs no second read.
        self._website_of = {}

    def __getattr__(self, name):
        # Everything that is not a read or a write of flows (budget, calls, fetched_at...).
        return getattr(self._api, name)

    def _sees(self, website_id):
        return website_id is not None and int(website_id) in self.websites

    def _check_write(self, fields):
        website_id = fields.get("website_id")
        if website_id is not None and not self._sees(website_id):
            raise Rejected(
                _("You may only change flows of websites %(allowed)s.") % {"allowed": self.allowed}, 403
            )

    @property
    def allowed(self):
        return word_list(f"#{number}" for number in sorted(self.websites))

    def get_flow(self, flow_id, fresh=False):
        flow = self._api.get_flow(flow_id, fresh=fresh)
        self._website_of[int(flow_id)] = flow.website_id
        self._check_read(flow_id)
        return flow

    def _check_read(self, flow_id):
        website_id = self._website_of.get(int(flow_id))
        if website_id is None:
            website_id = self.get_flow(flow_id).website_id
        if not self._sees(website_id):
            raise OtherWebsite(_("No such flow."), 404)

    def remember_website(self, flow_id, website_id):
        """A flow's website read elsewhere (a bulk job keeps what it read at its start): a write to
        it is checked without reading it again."""
        self._website_of[int(flow_id)] = website_id

    def _visible(self, flows):
        return [flow for flow in flows if self._sees(flow.website_id)]

    def _visible_set(self, every):
        def build(every):
            return FlowSet(self._visible(every), every.read_at)

        return every.derived(("websites", self.websites), build)

    def all_flows(self, **kwargs):
        return self._visible(self._api.all_flows(**kwargs))

    def every_flow(self, fresh=False):
        return self._visible_set(self._api.every_flow(fresh=fresh))

    def cached_every_flow(self):
        every = self._api.cached_every_flow()
        return None if every is None else self._visible_set(every)

    def _own(self, directory):
        return visible_directory(directory, self.websites)

    def directory(self, fresh=False):
        return self._own(self._api.directory(fresh))

    def names(self, fresh=False):
        return self._own(self._api.names(fresh))

    def cached_directory(self):
        directory = self._api.cached_directory()
        return None if directory is None else self._own(directory)

    def cached_flow(self, flow_id):
        flow = self._api.cached_flow(flow_id)
        return flow if flow is not None and self._sees(flow.website_id) else None

    def list_flows(self, page=1, results_per_page=25, fresh=False):
        flows = self.every_flow(fresh)
        shown = tuple(flows[(page - 1) * results_per_page : page * results_per_page])
        total_pages = math.ceil(len(flows) / results_per_page)
        return Page(
            flows=shown,
            page=page,
            results_per_page=results_per_page,
            total=len(flows),
            total_pages=total_pages,
        )

    def create_flow(self, fields, *args, **kwargs):
        self._check_write(fields)
        return self._api.create_flow(fields, *args, **kwargs)

    def update_flow(self, flow_id, changes, *args, **kwargs):
        self._check_read(flow_id)
        self._check_write(changes)
        return self._api.update_flow(flow_id, changes, *args, **kwargs)

    def delete_flow(self, flow_id):
        self._check_read(flow_id)
        return self._api.delete_flow(flow_id)


def check_website(request, form, field="website_id"):
    """Refuses, on the form (next to the field), a write naming a website the member is limited
    away from; WebsiteScoped refuses it anyway for any other caller."""
    website_id = form.cleaned_data.get(field)
    if website_id is not None and not request.access.sees(website_id):
        allowed = word_list(f"#{number}" for number in sorted(request.access.websites))
        form.add_error(field, _("You may only change flows of websites %(allowed)s.") % {"allowed": allowed})
    return form.is_valid()
