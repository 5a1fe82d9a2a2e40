"""Access from the identity provider's groups (OIDC_GROUPS_CLAIM): at each sign-in with the
provider, the person's memberships that came from groups are set to what their groups are mapped
to now, and removed where no group of theirs is mapped any more. A mapping is worth what its maker
may still grant, as an invitation is (teams.grants); a connection's creator stays its admin, and a
membership granted by hand is left as it is."""

from django.db import transaction

from activity.history import record
from activity.models import Kind
from flows_app.access import member_access
from flows_app.models import Membership, Role
from teams.grants import invitation_holds
from teams.models import GroupMembership, GroupRole


def _granted(mappings):
    """The strongest role of the mappings and the websites they give together ([]: every one)."""
    role = max((Role(mapping.role) for mapping in mappings), key=lambda role: role.rank)
    strongest = [mapping for mapping in mappings if mapping.role == role]
    if any(not mapping.websites for mapping in strongest):
        return role, []
    return role, sorted({number for mapping in strongest for number in mapping.websites})


@transaction.atomic
def follow(user, groups):
    groups = {str(group) for group in groups or ()}
    mapped = {}
    for mapping in GroupRole.objects.filter(group__in=groups).select_related("connection", "created_by"):
        if invitation_holds(
            mapping.created_by and member_access(mapping.connection, mapping.created_by), mapping
        ):
            mapped.setdefault(mapping.connection, []).append(mapping)
    from_groups = {
        membership.connection_id: membership
        for membership in Membership.objects.filter(user=user, from_groups__isnull=False).select_related(
            "connection", "user"
        )
    }
    for connection, mappings in mapped.items():
        if connection.owner_id == user.pk:
            continue
        role, websites = _granted(mappings)
        membership = from_groups.pop(connection.pk, None)
        if membership is None:
            if Membership.objects.filter(connection=connection, user=user).exists():
                continue
            membership = Membership.objects.create(
                connection=connection, user=user, role=role, websites=websites
            )
            GroupMembership.objects.create(membership=membership)
            record(user, connection, Kind.MEMBER_ADD, after=_access(membership))
        elif (membership.role, membership.websites) != (role, websites):
            before = _access(membership)
            membership.role, membership.websites = role, websites
            membership.save(update_fields=["role", "websites"])
            record(user, connection, Kind.MEMBER_CHANGE, before=before, after=_access(membership))
    # No group of theirs gives these any more.
    for membership in from_groups.values():
        record(user, membership.connection, Kind.MEMBER_REMOVE, before=_access(membership))
        membership.delete()


def _access(membership):
    return {
        "username": membership.user.get_username(),
        "role": membership.role,
        "websites": membership.websites,
        "from_groups": True,
    }
