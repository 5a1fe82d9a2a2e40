"""What an admin may give others on a connection, and whose access they may change: the one rule
behind every way access is given or taken (a member's row, adding someone by username, an
invitation, its use, a removal) and behind changing the connection itself.

An admin of every website may do all of it. An admin limited to some websites may grant no more
than they hold: some of their own websites, never "every website" (which no website ticked
means); they may not change their own membership, a member whose access reaches beyond theirs, or
the connection itself (its name, server, key: every website's). The connection's creator stays an
admin of every website, whoever asks: the connection runs on their API key.

``access`` is what the admin holds (flows_app.access.Access: ``role``, ``websites``, ``limited``).
"""

from django.utils.translation import gettext as _

from flows_app.models import Role
from flows_app.untranslated import with_names


def grant_refusal(access, websites, name=str):
    """Why an admin with ``access`` may not grant access to ``websites`` (ids; empty: every
    website), or None when they may. ``name`` names a website by its id, for the message. The
    messages naming someone or something are safe strings, the names marked untranslated."""
    if not access.limited or (websites and set(websites) <= access.websites):
        return None
    return with_names(
        _("You may grant access only to the websites you have: %(websites)s."),
        websites=", ".join(name(number) for number in sorted(access.websites)),
    )


def member_refusal(connection, access, user, member, role=None, websites=()):
    """Why ``user``, an admin with ``access``, may not give ``member`` the ``role`` on
    ``websites`` (remove them, with ``role`` None), or None when they may. The websites granted
    are checked apart, by grant_refusal, next to the field that holds them."""
    name = member.user.get_username()
    if member.user_id == connection.owner_id and (role != Role.ADMIN or websites):
        return with_names(
            _(
                "%(name)s added this connection, which runs on their API key: they stay its admin, of every website."
            ),
            name=name,
        )
    if not access.limited:
        return None
    if member.user_id == user.pk:
        return _("You may not change your own access: an admin of every website can.")
    if not member.websites or not set(member.websites) <= access.websites:
        return with_names(
            _("%(name)s has access beyond your websites: only an admin of every website can change it."),
            name=name,
        )
    return None


def invitation_holds(maker, invitation):
    """Whether ``invitation`` may still be used: an invitation is worth what its maker may grant
    now, ``maker`` being their Access (None once they are no longer a member). One made by an
    admin since removed, demoted or limited does not outlive what they hold."""
    return maker is not None and maker.can(Role.ADMIN) and grant_refusal(maker, invitation.websites) is None


def connection_refusal(access):
    """Why an admin with ``access`` may not rename, re-key or delete the connection, or None."""
    if access.limited:
        return _("Only an admin of every website can change or delete the connection itself.")
    return None
