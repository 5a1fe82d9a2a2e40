from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activity.history import record
from activity.models import Kind
from flows_app.access import ADMIN, NotAllowed, get_connection, get_own_connection
from flows_app.forms import ConnectionForm
from flows_app.models import Connection
from teams.grants import connection_refusal


@login_required
@require_GET
def connection_list(request):
    connections = Connection.objects.for_user(request.user)
    form = ConnectionForm(instance=Connection(owner=request.user))
    return render(request, "connections/list.html", {"connections": connections, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def connection_new(request):
    form = ConnectionForm(request.POST or None, instance=Connection(owner=request.user))
    return _save(request, form, Kind.CONNECTION_CREATE)


@login_required
@require_http_methods(["GET", "POST"])
def connection_edit(request, connection_id):
    connection = _whole_connection(request, connection_id)
    before = _recorded(connection)
    form = ConnectionForm(request.POST or None, instance=connection)
    return _save(request, form, Kind.CONNECTION_EDIT, before)


def _whole_connection(request, connection_id):
    """The connection, for an admin who may change it as a whole (teams.grants)."""
    connection = get_connection(request, connection_id, ADMIN)
    if refusal := connection_refusal(request.access):
        raise NotAllowed(connection, ADMIN, refusal)
    return connection


def _recorded(connection, key_replaced=False):
    """What the history keeps of a connection: never its key, only that it was replaced."""
    return {
        "label": connection.label,
        "server": connection.server,
        **({"api_key": "replaced"} if key_replaced else {}),
    }


def _save(request, form, kind, before=None):
    if request.method == "POST" and form.is_valid():
        connection = form.save()
        after = _recorded(connection, key_replaced=bool(before and form.cleaned_data.get("api_key")))
        record(request.user, connection, kind, before=before, after=after)
        if not Connection.objects.filter(owner=connection.owner, is_default=True).exists():
            connection.make_default()
        messages.success(
            request, _("Connection “%(name)s” saved; its key works.") % {"name": connection.label}
        )
        return redirect("flows:list", connection.pk)
    status = 400 if form.is_bound else 200
    return render(request, "connections/form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def connection_delete(request, connection_id):
    connection = _whole_connection(request, connection_id)
    if request.method == "GET":
        return render(request, "connections/delete.html", {"connection": connection})
    # The entry outlives the connection (its label kept), for whoever reviews the history later.
    record(request.user, connection, Kind.CONNECTION_DELETE, before=_recorded(connection))
    connection.delete()
    # The creator keeps a default while any connection of theirs is left.
    successor = Connection.objects.filter(owner=connection.owner).first()
    if connection.is_default and successor:
        successor.make_default()
    messages.success(
        request,
        _("Connection “%(name)s” deleted. Its flows are untouched on the server.")
        % {"name": connection.label},
    )
    return redirect("connections")


@login_required
@require_POST
def connection_default(request, connection_id):
    connection = get_own_connection(request, connection_id)
    connection.make_default()
    messages.success(request, _("“%(name)s” is now your default connection.") % {"name": connection.label})
    return redirect("connections")
