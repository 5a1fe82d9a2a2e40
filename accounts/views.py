import logging
from functools import wraps
from urllib.parse import urlencode

import requests
from allauth.account.internal.flows.login import perform_password_login
from allauth.account.models import Login
from allauth.account.utils import perform_login
from allauth.mfa.models import Authenticator
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import breakglass, people
from accounts.forms import PeopleInvitationForm
from accounts.models import PersonEvent
from accounts.signals import PROVIDER, SIGNED_IN_WITH
from flows_app.access import Access
from flows_app.forms import LoginForm
from flows_app.ids import as_id
from flows_app.models import Membership, Role
from teams.grants import grant_refusal
from teams.models import Invitation

logger = logging.getLogger("pushdeck.signin")


class SignInView(auth_views.LoginView):
    """Django's login form, then allauth's stages (the second factor), beside the provider's button.
    With PASSWORD_LOGIN=0 the page offers the provider only and a posted password is refused."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if not settings.PASSWORD_LOGIN:
            return self.render_to_response(self.get_context_data(password_off=True), status=403)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        # As allauth's own password form does: the password is recorded as this session's way in
        # (setting up a second factor right after needs no password again), then its stages run.
        user = form.get_user()
        login = Login(user=user, redirect_url=self.get_success_url())
        return perform_password_login(self.request, {"username": user.get_username()}, login)


def password_login_only(view):
    """A page of passwords (resetting one): gone when PASSWORD_LOGIN=0, where the provider is the
    only way in and a password set here would open another."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.PASSWORD_LOGIN:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _end_session_url(request):
    """The provider's end-session address for this client, or None when it offers none (or cannot
    be reached: signing out of Pushdeck never waits on it)."""
    try:
        config = OpenIDConnectOAuth2Adapter(request, settings.OIDC_PROVIDER_ID).openid_config
    except (requests.RequestException, ValueError):
        logger.warning("sign-out: the provider's configuration could not be read")
        return None
    endpoint = config.get("end_session_endpoint")
    if not endpoint:
        return None
    back = request.build_absolute_uri(reverse("login"))
    query = urlencode({"client_id": settings.OIDC_CLIENT_ID, "post_logout_redirect_uri": back})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


@require_POST
def sign_out(request):
    with_provider = request.session.get(SIGNED_IN_WITH) == PROVIDER and settings.OIDC_ISSUER
    logout(request)
    end_session = _end_session_url(request) if with_provider else None
    return redirect(end_session or settings.LOGOUT_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def break_glass(request, token):
    """The operator's way in when the provider is down or password sign-in is off: a one-use link
    `manage.py break_glass` prints, valid for a few minutes."""
    user = breakglass.user_for(token)
    if user is None:
        # Used, expired or never made: a stateless link cannot tell which, so a 404 for all.
        return render(request, "accounts/break_glass.html", {"gone": True}, status=404)
    if request.method == "POST":
        logger.warning("break-glass sign-in used for user %s", user.pk)
        people.log(None, user, PersonEvent.Action.BREAK_GLASS)
        messages.warning(request, _("Signed in with a break-glass link."))
        return perform_login(request, user, redirect_url=reverse("home"))
    return render(request, "accounts/break_glass.html", {"person": user})


def _site_admin(request):
    # Not a page anyone else may know of: 404, as for an address that names nothing.
    if not request.user.is_staff:
        raise Http404


@login_required
@require_GET
def people_page(request):
    _site_admin(request)
    return _people(request)


def _pending_invitations(user):
    """The pending invitations this site admin may revoke: every one for an account only, and
    those of the connections they administer that grant no more than they hold there."""
    held = {
        member.connection_id: Access(Role(member.role), frozenset(member.websites))
        for member in Membership.objects.filter(user=user, role=Role.ADMIN)
    }
    return [
        invitation
        for invitation in Invitation.objects.pending().select_related("connection", "created_by")
        if invitation.connection_id is None
        or (
            invitation.connection_id in held
            and not grant_refusal(held[invitation.connection_id], invitation.websites)
        )
    ]


def _people(request, status=200, invite_form=None, link=None, emailed=""):
    accounts = (
        get_user_model().objects.order_by("-is_active", "username").prefetch_related("socialaccount_set")
    )
    with_factor = set(
        Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list("user_id", flat=True)
    )
    context = {
        "people": [(person, person.pk in with_factor) for person in accounts],
        "events": PersonEvent.objects.all()[:100],
        "password_login": settings.PASSWORD_LOGIN,
        "invite_form": invite_form or PeopleInvitationForm(admin=request.user),
        "invitations": _pending_invitations(request.user),
        "link": link,
        "emailed": emailed,
    }
    return render(request, "accounts/people.html", context, status=status)


@login_required
@require_POST
def people_invite(request):
    _site_admin(request)
    form = PeopleInvitationForm(request.POST, admin=request.user)
    if not form.is_valid():
        return _people(request, status=400, invite_form=form)
    link, emailed = people.invite(request, form.cleaned_data["email"], **form.grant())
    # The page itself, not a redirect: the link is shown this once (only its hash is kept).
    return _people(request, link=link, emailed=emailed)


@login_required
@require_POST
def people_invitation_revoke(request, invitation_id):
    _site_admin(request)
    invitation = next((i for i in _pending_invitations(request.user) if i.pk == invitation_id), None)
    if invitation and people.revoke(request.user, invitation):
        messages.success(request, _("Invitation revoked: its link no longer works."))
    else:
        messages.info(request, _("That invitation was already used, revoked or expired."))
    return redirect("people")


ACTIONS = {"deactivate", "reactivate", "reset"}


@login_required
@require_POST
def people_change(request):
    _site_admin(request)
    # An id that is no number (or beyond the database's) names no account: the 400 below, not a 500.
    number = as_id(request.POST.get("person", ""))
    person = number and get_user_model().objects.filter(pk=number).first()
    action = request.POST.get("action")
    if person is None or action not in ACTIONS:
        messages.error(request, _("That account or action is not one Pushdeck knows."))
        return _people(request, status=400)
    if person == request.user and action == "deactivate":
        messages.error(request, _("You cannot deactivate your own account."))
        return _people(request, status=400)
    name = person.get_username()
    if action == "deactivate":
        handed, revoked = people.deactivate(request.user, person)
        messages.success(
            request,
            _(
                "%(name)s is deactivated: signed out everywhere, %(revoked)s pending invitations revoked, %(handed)s connections handed over."
            )
            % {"name": name, "revoked": revoked, "handed": len(handed)},
        )
    elif action == "reactivate":
        people.reactivate(request.user, person)
        messages.success(request, _("%(name)s can sign in again.") % {"name": name})
    elif people.send_password_reset(request, person):
        messages.success(request, _("A password reset link was sent to %(email)s.") % {"email": person.email})
    else:
        messages.error(
            request,
            _("%(name)s has no e-mail address or no password here (they sign in with the provider).")
            % {"name": name},
        )
    return redirect("people")
