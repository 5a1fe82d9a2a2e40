"""The one door to a user's connections: every view looks a connection up through here.

A connection is shared through memberships (teams.models): a user who is not a member of it gets
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

from flows_app.api import Page, connect
from flows_app.models import Connection
from teams.models import Role

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
    request.access = Access(Role(connection.role), frozenset(connection.member_websites or ()))
    if not request.access.can(role):
        raise NotAllowed(connection, role)
    return connection


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
    """The connection and the flows API reached through it."""
    connection = get_connection(request, connection_id, role)
    return connection, connect(connection)


def visible(request, flow):
    """The flow, if the member may see its website; 404 otherwise, as for a missing flow."""
    if not request.access.sees(flow.website_id):
        raise Http404("No such flow.")
    return flow


def visible_flows(request, flows):
    """Only the flows of the websites the member may see (all of them for most members)."""
    return [flow for flow in flows if request.access.sees(flow.website_id)]


def check_website(request, form, field="website_id"):
    """Refuses, on the form, a write naming a website the member is limited away from."""
    website_id = form.cleaned_data.get(field)
    if website_id is not None and not request.access.sees(website_id):
        allowed = ", ".join(f"#{number}" for number in sorted(request.access.websites))
        form.add_error(field, _("You may only change flows of websites %(allowed)s.") % {"allowed": allowed})
    return form.is_valid()


def list_flows(request, api):
    """The list call for this member: one API page for most; for a member limited to some
    websites, every flow fetched and the page cut from the ones they may see, so that pages and
    counts hold their websites only (the API has no website filter, API_CONTRACT.md)."""
    if not request.access.limited:
        return api.list_flows

    def limited_page(page, per_page, fresh=False):
        flows = visible_flows(request, api.all_flows(fresh=fresh))
        total_pages = math.ceil(len(flows) / per_page)
        shown = tuple(flows[(page - 1) * per_page : page * per_page])
        return Page(
            flows=shown, page=page, results_per_page=per_page, total=len(flows), total_pages=total_pages
        )

    return limited_page
