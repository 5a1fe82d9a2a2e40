"""What a site admin does to an account on the People page, each step kept in the audit trail
(accounts.models.PersonEvent)."""

from importlib import import_module

from allauth.account.forms import ResetPasswordForm
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from accounts.models import PersonEvent
from activity.history import record
from activity.models import Kind
from flows_app.models import Connection, Membership, Role
from teams.invitations import email_invitation, invited, issue
from teams.models import Invitation


def log(actor, person, action, name=None, **detail):
    """An entry of the trail; ``name`` stands for the person where there is no account yet."""
    return PersonEvent.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        person=person,
        person_name=name or person.get_username(),
        action=action,
        detail=detail,
    )


def _granted(invitation):
    if invitation.connection is None:
        return {}
    return {
        "connection": invitation.connection.label,
        "role": invitation.role,
        "websites": invitation.websites,
    }


def invite(request, email, **grant):
    """One invitation, of the connections' kind, made and e-mailed: the link (shown to copy
    whatever the mail did) and the address it went to ("" when it could not be sent)."""
    invitation, link = issue(request, email=email, **grant)
    if invitation.connection is not None:
        record(request.user, invitation.connection, Kind.INVITATION_CREATE, after=invited(invitation))
    emailed = email_invitation(request, invitation, email, link)
    log(
        request.user,
        None,
        PersonEvent.Action.INVITE,
        name=email,
        emailed=bool(emailed),
        **_granted(invitation),
    )
    return link, emailed


def revoke(actor, invitation):
    """Revokes a pending invitation; False when it was used, revoked or expired meanwhile."""
    if not Invitation.objects.pending().filter(pk=invitation.pk).update(revoked=timezone.now()):
        return False
    if invitation.connection is not None:
        record(actor, invitation.connection, Kind.INVITATION_REVOKE, before=invited(invitation))
    log(actor, None, PersonEvent.Action.INVITATION_REVOKE, name=invitation.email, **_granted(invitation))
    return True


def _heir(connection, actor, person):
    """Who keeps a connection its creator leaves: its first admin of every website still active,
    or else the site admin deactivating them."""
    admin = (
        Membership.objects.filter(connection=connection, role=Role.ADMIN, websites=[], user__is_active=True)
        .exclude(user=person)
        .select_related("user")
        .order_by("created", "pk")
        .first()
    )
    return admin.user if admin else actor


def end_sessions(person):
    """Every session of the account, deleted from the cache and the database. Django already lets
    no inactive account through, but a session kept would be signed in again by a reactivation."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(person.pk):
            store(session.session_key).delete()


@transaction.atomic
def deactivate(actor, person):
    """The account can no longer sign in and its sessions end; its pending invitations are
    revoked; the connections it created keep working, handed to another admin."""
    person.is_active = False
    person.save(update_fields=["is_active"])
    end_sessions(person)
    revoked = Invitation.objects.pending().filter(created_by=person).update(revoked=timezone.now())
    handed = []
    for connection in Connection.objects.filter(owner=person):
        heir = _heir(connection, actor, person)
        connection.owner, connection.is_default = heir, False
        connection.save(update_fields=["owner", "is_default"])
        # A creator is its admin of every website, for good: so is the one who takes it over.
        Membership.objects.update_or_create(
            connection=connection, user=heir, defaults={"role": Role.ADMIN, "websites": []}
        )
        record(
            actor,
            connection,
            Kind.CONNECTION_EDIT,
            before={"owner": person.get_username()},
            after={"owner": heir.get_username()},
        )
        handed.append({"connection": connection.label, "to": heir.get_username()})
    log(actor, person, PersonEvent.Action.DEACTIVATE, handed=handed, invitations_revoked=revoked)
    return handed, revoked


def reactivate(actor, person):
    person.is_active = True
    person.save(update_fields=["is_active"])
    log(actor, person, PersonEvent.Action.REACTIVATE)


def send_password_reset(request, person):
    """allauth's reset mail, as if they had asked for it; False when they have no address or no
    password of Pushdeck's (an account of the provider)."""
    if not person.email or not person.has_usable_password() or not person.is_active:
        return False
    form = ResetPasswordForm(data={"email": person.email})
    if not form.is_valid():
        return False
    form.save(request)
    log(request.user, person, PersonEvent.Action.PASSWORD_RESET)
    return True
