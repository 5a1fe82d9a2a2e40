import logging
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activity.history import changes, newest_names, record
from activity.models import Activity, Kind
from flows_app.access import ADMIN, EDITOR, cached_names, flows_api, get_connection, member_access
from flows_app.api import ApiError
from flows_app.api.records import Directory
from flows_app.create_tokens import CreateTokens
from flows_app.fields import FLOW_FIELDS
from flows_app.forms import FlowForm
from flows_app.models import Membership, Role
from teams.forms import (
    ActivityFilter,
    GroupRoleForm,
    InvitationForm,
    JoinForm,
    MemberAccessForm,
    MemberForm,
    website_choices,
)
from teams.grants import grant_refusal, invitation_holds, member_refusal
from teams.invitations import email_invitation, invited, issue
from teams.models import GroupRole, Invitation, hash_token

logger = logging.getLogger("pushdeck.teams")
PER_PAGE = 50


# Members and invitations


@login_required
@require_GET
def members(request, connection_id):
    connection, api = flows_api(request, connection_id, ADMIN)
    return _members_page(request, connection, _directory(api))


def _directory(api):
    """The connection's websites, to limit members to them by name (cached: usually no call), or
    None when they cannot be read now: the page then still works, on the ids already allowed."""
    try:
        return api.directory()
    except ApiError:
        return None


# Invitations listed beside the pending ones, newest first: the used, revoked and expired.
PAST_INVITATIONS = 20


def _members_page(
    request,
    connection,
    directory,
    member_form=None,
    invitation_form=None,
    link=None,
    row=None,
    status=200,
    emailed="",
    group_form=None,
):
    """The members page; ``row``, a member's form sent back with what it refused."""
    names = directory or Directory()
    websites = website_choices(names)
    members = connection.memberships.select_related("user")
    invitations = connection.invitations.select_related("created_by", "used_by")
    # Every pending one, however many were made since: a link that works is never out of sight.
    pending = list(invitations.pending())
    invitations = pending + list(invitations.exclude(pk__in=[i.pk for i in pending])[:PAST_INVITATIONS])
    labels = dict(website_choices(names, {n for invitation in invitations for n in invitation.websites}))
    for invitation in invitations:
        invitation.website_labels = [labels[number] for number in invitation.websites]
        invitation.revocable = invitation.state == "pending" and not grant_refusal(
            request.access, invitation.websites
        )
    context = {
        "connection": connection,
        "names_read": directory is not None,
        "members": [
            _member_row(request, member, names, row if row and row.member.pk == member.pk else None)
            for member in members
        ],
        "member_form": member_form
        or MemberForm(connection=connection, websites=websites, admin=request.access),
        "invitation_form": invitation_form or InvitationForm(websites=websites, admin=request.access),
        "invitations": invitations,
        "link": link,
        "emailed": emailed,
        "group_roles": _group_rows(request, connection, labels_of=dict(websites)),
        "group_form": group_form or GroupRoleForm(websites=websites, admin=request.access),
    }
    return render(request, "teams/members.html", context, status=status)


def _group_rows(request, connection, labels_of):
    rows = list(connection.group_roles.all())
    for mapping in rows:
        mapping.website_labels = [labels_of.get(number, f"#{number}") for number in mapping.websites]
        mapping.removable = not grant_refusal(request.access, mapping.websites)
    return rows


def _member_row(request, member, names, form=None):
    """A member, the form that changes their access, and why this admin may not (then no form)."""
    locked = member_refusal(request.connection, request.access, request.user, member)
    if locked:
        member.website_labels = [names.website_name(number) for number in member.websites]
    return member, form or _access_form(request, member, names), locked


def _access_form(request, member, directory, data=None):
    """A member's role and websites; ids are unique per member, names shared by every row."""
    return MemberAccessForm(
        data,
        initial={"role": member.role, "websites": member.websites},
        websites=website_choices(directory, member.websites),
        admin=request.access,
        member=member,
        user=request.user,
        auto_id=f"member-{member.pk}-%s",
    )


@login_required
@require_POST
def member_add(request, connection_id):
    connection, api = flows_api(request, connection_id, ADMIN)
    directory = _directory(api)
    form = MemberForm(
        request.POST,
        connection=connection,
        websites=website_choices(directory or Directory()),
        admin=request.access,
    )
    if not form.is_valid():
        return _members_page(request, connection, directory, member_form=form, status=400)
    member = Membership.objects.create(
        connection=connection,
        user=form.user,
        role=form.cleaned_data["role"],
        websites=form.cleaned_data["websites"],
    )
    record(request.user, connection, Kind.MEMBER_ADD, after=_recorded(member))
    messages.success(
        request,
        _("%(name)s can now use “%(label)s”.")
        % {"name": form.user.get_username(), "label": connection.label},
    )
    return redirect("teams:members", connection.pk)


def _recorded(member):
    return {"username": member.user.get_username(), "role": member.role, "websites": member.websites}


def _member(connection, member_id):
    return get_object_or_404(Membership.objects.select_related("user"), connection=connection, pk=member_id)


def _last_admin(request, connection, member):
    """Whether taking admin away from this member would leave the connection without one (and
    then says so). Called in a transaction: the admins' rows stay locked until it ends, so two
    admins demoting each other at once cannot both succeed."""
    admins = list(
        connection.memberships.select_for_update().filter(role=Role.ADMIN).values_list("pk", flat=True)
    )
    if member.role == Role.ADMIN and admins == [member.pk]:
        messages.error(request, _("A connection keeps at least one admin: make someone else admin first."))
        return True
    return False


def _revoke_invitations_of(request, connection, member):
    """An admin who leaves or stops being admin takes their pending invitations along: each is
    revoked, and recorded as such."""
    made = list(connection.invitations.pending().filter(created_by=member.user))
    connection.invitations.filter(pk__in=[invitation.pk for invitation in made]).update(
        revoked=timezone.now()
    )
    for invitation in made:
        record(request.user, connection, Kind.INVITATION_REVOKE, before=invited(invitation))


@login_required
@require_POST
def member_change(request, connection_id, member_id):
    connection, api = flows_api(request, connection_id, ADMIN)
    directory = _directory(api)
    with transaction.atomic():
        member = _member(connection, member_id)
        form = _access_form(request, member, directory or Directory(), request.POST)
        if not form.is_valid():
            return _members_page(request, connection, directory, row=form, status=400)
        if form.cleaned_data["role"] != Role.ADMIN and _last_admin(request, connection, member):
            return redirect("teams:members", connection.pk)
        before = _recorded(member)
        member.role, member.websites = form.cleaned_data["role"], form.cleaned_data["websites"]
        member.save(update_fields=["role", "websites"])
        if member.role != Role.ADMIN:
            _revoke_invitations_of(request, connection, member)
    if _recorded(member) != before:
        record(request.user, connection, Kind.MEMBER_CHANGE, before=before, after=_recorded(member))
    messages.success(request, _("%(name)s's access saved.") % {"name": member.user.get_username()})
    return redirect("teams:members", connection.pk)


@login_required
@require_POST
def member_remove(request, connection_id, member_id):
    connection = get_connection(request, connection_id, ADMIN)
    with transaction.atomic():
        member = _member(connection, member_id)
        refusal = member_refusal(connection, request.access, request.user, member)
        if refusal:
            messages.error(request, refusal)
            return redirect("teams:members", connection.pk)
        if _last_admin(request, connection, member):
            return redirect("teams:members", connection.pk)
        _revoke_invitations_of(request, connection, member)
        member.delete()
    record(request.user, connection, Kind.MEMBER_REMOVE, before=_recorded(member))
    messages.success(request, _("%(name)s no longer has access.") % {"name": member.user.get_username()})
    if member.user_id == request.user.pk:
        return redirect("connections")
    return redirect("teams:members", connection.pk)


@login_required
@require_POST
def invitation_new(request, connection_id):
    connection, api = flows_api(request, connection_id, ADMIN)
    directory = _directory(api)
    form = InvitationForm(
        request.POST, websites=website_choices(directory or Directory()), admin=request.access
    )
    if not form.is_valid():
        return _members_page(request, connection, directory, invitation_form=form, status=400)
    invitation, link = issue(request, connection, **form.cleaned_data)
    record(request.user, connection, Kind.INVITATION_CREATE, after=invited(invitation))
    emailed = invitation.email and email_invitation(request, invitation, invitation.email, link)
    return _members_page(request, connection, directory, link=link, emailed=emailed)


@login_required
@require_POST
def group_roles(request, connection_id):
    """Add a group's role, or remove one (``remove``: its id), on the members page."""
    connection, api = flows_api(request, connection_id, ADMIN)
    directory = _directory(api)
    if "remove" in request.POST:
        mapping = connection.group_roles.filter(pk=request.POST["remove"]).first()
        if mapping and not grant_refusal(request.access, mapping.websites):
            mapping.delete()
            record(request.user, connection, Kind.MEMBER_REMOVE, before=_group(mapping))
            messages.success(request, _("Group %(group)s no longer gives access.") % {"group": mapping.group})
        return redirect("teams:members", connection.pk)
    form = GroupRoleForm(
        request.POST, websites=website_choices(directory or Directory()), admin=request.access
    )
    if form.is_valid() and connection.group_roles.filter(group=form.cleaned_data["group"]).exists():
        form.add_error("group", _("This group already has a role here: remove it first."))
    if not form.is_valid():
        return _members_page(request, connection, directory, group_form=form, status=400)
    mapping = GroupRole.objects.create(connection=connection, created_by=request.user, **form.cleaned_data)
    record(request.user, connection, Kind.MEMBER_ADD, after=_group(mapping))
    messages.success(
        request, _("Members of %(group)s get this role at their next sign-in.") % {"group": mapping.group}
    )
    return redirect("teams:members", connection.pk)


def _group(mapping):
    return {"group": mapping.group, "role": mapping.role, "websites": mapping.websites}


@login_required
@require_POST
def invitation_revoke(request, connection_id, invitation_id):
    connection = get_connection(request, connection_id, ADMIN)
    invitation = get_object_or_404(connection.invitations, pk=invitation_id)
    # What an admin could not grant, they cannot take back either.
    if refusal := grant_refusal(
        request.access, invitation.websites, cached_names(request, connection).website_name
    ):
        messages.error(request, refusal)
        return redirect("teams:members", connection.pk)
    revoked = connection.invitations.pending().filter(pk=invitation_id).update(revoked=timezone.now())
    if revoked:
        record(request.user, connection, Kind.INVITATION_REVOKE, before=invited(invitation))
        messages.success(request, _("Invitation revoked: its link no longer works."))
    else:
        messages.info(request, _("That invitation was already used, revoked or expired."))
    return redirect("teams:members", connection.pk)


@require_http_methods(["GET", "POST"])
def join(request, token):
    """An invitation's link. Someone signed in joins as themselves; someone without an account
    chooses a username and a password, or, where password sign-in is off (PASSWORD_LOGIN=0), signs
    in with the identity provider first and comes back here to join."""
    invitation = Invitation.objects.select_related("connection").filter(token_hash=hash_token(token)).first()
    if invitation and invitation.state == "pending" and not _maker_may_grant(invitation):
        # Its maker left or lost the right by a way that did not revoke it (the admin site, a
        # deleted account): revoked now, as removing them from the members page does.
        Invitation.objects.filter(pk=invitation.pk).update(revoked=timezone.now())
        invitation.revoked = timezone.now()
    if invitation is None or invitation.state != "pending":
        state = invitation.state if invitation else "unknown"
        return render(request, "teams/join.html", {"gone": state}, status=410 if invitation else 404)
    if request.user.is_authenticated:
        return _join_as_signed_in(request, invitation)
    if not settings.PASSWORD_LOGIN:
        return render(request, "teams/join.html", {"invitation": invitation, "with_provider": True})
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if not _claim(invitation):
                return render(request, "teams/join.html", {"gone": "used"}, status=410)
            user = _new_account(form, invitation)
            _accept(invitation, user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return _joined(request, invitation)
    status = 400 if form.is_bound else 200
    return render(request, "teams/join.html", {"form": form, "invitation": invitation}, status=status)


def _join_as_signed_in(request, invitation):
    connection = invitation.connection
    if connection and (
        connection.owner_id == request.user.pk or connection.memberships.filter(user=request.user).exists()
    ):
        # The link stays for someone else: it gives no one more access than they already have.
        messages.info(request, _("You already use “%(label)s”.") % {"label": connection.label})
        return redirect("flows:list", connection.pk)
    if request.method == "GET":
        return render(request, "teams/join.html", {"invitation": invitation, "as_signed_in": True})
    with transaction.atomic():
        if not _claim(invitation):
            return render(request, "teams/join.html", {"gone": "used"}, status=410)
        _accept(invitation, request.user)
    return _joined(request, invitation)


def _claim(invitation):
    # Claimed in the same statement that checks it: one link, one account, even twice sent.
    return Invitation.objects.pending().filter(pk=invitation.pk).update(used=timezone.now())


def _new_account(form, invitation):
    user = form.save(commit=False)
    user.email = invitation.email
    user.save()
    return user


def _accept(invitation, user):
    Invitation.objects.filter(pk=invitation.pk).update(used_by=user)
    if invitation.connection is None:
        return
    Membership.objects.create(
        connection=invitation.connection, user=user, role=invitation.role, websites=invitation.websites
    )
    record(
        user,
        invitation.connection,
        Kind.INVITATION_ACCEPT,
        after={"username": user.get_username(), **invited(invitation)},
    )


def _joined(request, invitation):
    if invitation.connection is None:
        messages.success(request, _("Welcome to Pushdeck!"))
        return redirect("home")
    messages.success(request, _("Welcome! You joined “%(label)s”.") % {"label": invitation.connection.label})
    return redirect("flows:list", invitation.connection.pk)


def _maker_may_grant(invitation):
    """Whether its maker may still make it: an admin holding what it grants on its connection, or,
    for an account only, a site admin still."""
    maker = invitation.created_by
    if invitation.connection is None:
        return bool(maker and maker.is_active and maker.is_staff)
    return invitation_holds(maker and member_access(invitation.connection, maker), invitation)


# Activity


def _visible_entries(request, connection):
    entries = Activity.objects.filter(connection=connection)
    if request.access.limited:
        # Entries of other websites, and those of the connection as a whole, are not theirs.
        entries = entries.filter(website_id__in=request.access.websites)
    return entries


def _page(request, entries):
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    _name_flows(page.object_list)
    page.entries = [(entry, changes(entry, request.access.is_admin)) for entry in page.object_list]
    return page


def _name_flows(entries):
    """A toggle's answer may not carry the flow's name: show the newest name recorded for it."""
    unnamed = [entry for entry in entries if entry.flow_id and not entry.flow_name]
    if not unnamed:
        return
    names = newest_names(
        Activity.objects.filter(
            connection_id=unnamed[0].connection_id, flow_id__in={entry.flow_id for entry in unnamed}
        )
    )
    for entry in unnamed:
        entry.flow_name = names.get(entry.flow_id, "")


@login_required
@require_GET
def connection_activity(request, connection_id):
    connection = get_connection(request, connection_id)
    directory = cached_names(request, connection)
    entries = _visible_entries(request, connection)
    people = entries.exclude(user=None).values_list("user_id", "username").distinct().order_by("username")
    filters = ActivityFilter(
        request.GET,
        people=list(people),
        flows=_flow_choices(entries),
        websites=_website_choices(entries, directory),
    )
    page = _page(request, filters.filtered(entries))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "connection": connection,
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "directory": directory,
    }
    return render(request, "teams/activity.html", context)


def _flow_choices(entries):
    """The entries' flows, each by the newest name recorded for it ("Flow #id" when none was), its
    number added where two share a name."""
    names = newest_names(entries)
    flow_ids = entries.exclude(flow_id=None).values_list("flow_id", flat=True).distinct().order_by()
    named = {flow_id: names.get(flow_id, "") for flow_id in flow_ids}
    shared = Counter(named.values())

    def label(flow_id, name):
        if not name:
            return _("Flow #%(number)s") % {"number": flow_id}
        return f"{name} #{flow_id}" if shared[name] > 1 else name

    choices = [(flow_id, label(flow_id, name)) for flow_id, name in named.items()]
    return sorted(choices, key=lambda choice: choice[1].casefold())


def _website_choices(entries, directory):
    """The entries' websites, by the cached names (see flows_app.access.cached_names)."""
    numbers = entries.exclude(website_id=None).values_list("website_id", flat=True).distinct().order_by()
    return sorted(
        ((number, directory.website_name(number)) for number in numbers),
        key=lambda choice: choice[1].casefold(),
    )


@login_required
@require_GET
def flow_activity(request, connection_id, flow_id):
    connection = get_connection(request, connection_id)
    entries = Activity.objects.filter(connection=connection, flow_id=flow_id)
    visible = _visible_entries(request, connection).filter(flow_id=flow_id)
    if entries.exists() and not visible.exists():
        raise Http404("No such flow.")
    page = _page(request, visible)
    context = {
        "connection": connection,
        "page": page,
        "flow_id": flow_id,
        # Named as last recorded where the member may look: a name given on a website they may
        # not see is that website's history.
        "flow_name": newest_names(visible).get(flow_id) or f"#{flow_id}",
        "deleted": entries.values_list("kind", flat=True).first() == Kind.FLOW_DELETE,
        "directory": cached_names(request, connection),
    }
    return render(request, "teams/activity.html", context)


@login_required
@require_GET
def restore(request, connection_id, entry_id):
    """A recorded version back on the flow form: it is saved through the normal edit (or, for a
    deleted flow, create) path, validated there and recorded as a new entry. An edit's version
    after it by default; ``?side=before``, the version before it."""
    connection, api = flows_api(request, connection_id, EDITOR)
    entry = get_object_or_404(_visible_entries(request, connection), pk=entry_id)
    if entry.kind == Kind.FLOW_DELETE:
        values = {name: entry.before[name] for name in FLOW_FIELDS if name in entry.before}
        form = FlowForm(
            user=request.user,
            directory=api.directory(),
            initial={**values, "form_token": CreateTokens(request.user).issue()},
        )
        context = {"connection": connection, "form": form, "restoring": entry}
        return render(request, "flows/form.html", context)
    before = request.GET.get("side") == "before"
    if not (entry.restorable_before if before else entry.restorable):
        raise Http404("This entry holds no whole version of the flow.")
    current = api.get_flow(entry.flow_id, fresh=True)
    version = entry.before if before else entry.after
    values = {name: version[name] for name in FLOW_FIELDS if name in version}
    form = FlowForm(
        user=request.user,
        directory=api.directory(),
        editing=True,
        initial={**FlowForm.initial_for(current), **values},
    )
    context = {
        "connection": connection,
        "form": form,
        "flow": current,
        "restoring": entry,
        "restoring_before": before,
    }
    return render(request, "flows/form.html", context)
