import ipaddress
import logging

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model, login, logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.adapters import refused
from accounts.signals import PROXY, SIGNED_IN_WITH

logger = logging.getLogger("pushdeck.signin")

# Set once a session's person is known to have a second factor: one query per session, not per page.
_HAS_SECOND_FACTOR = "pushdeck_has_second_factor"
# What someone without a second factor may still reach: setting one up (after their password
# again), signing out, the pages' files.
_OPEN = (
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/static/",
    "/jsi18n/",
    "/healthz",
)


def second_factor_required(get_response):
    """MFA_REQUIRED=1: a password account without a second factor is sent to set one up (TOTP) at
    its next page, whatever it asks for. Sign-ins with the provider are the provider's to secure."""

    def middleware(request):
        if settings.MFA_REQUIRED and _must_set_up(request):
            return redirect(reverse("mfa_activate_totp"))
        return get_response(request)

    return middleware


def _must_set_up(request):
    user = request.user
    if (
        not user.is_authenticated
        or request.session.get(SIGNED_IN_WITH)
        or request.session.get(_HAS_SECOND_FACTOR)
    ):
        return False
    if request.path.startswith(_OPEN) or not user.has_usable_password():
        return False
    kinds = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
    if Authenticator.objects.filter(user=user, type__in=kinds).exists():
        request.session[_HAS_SECOND_FACTOR] = True
        return False
    return True


def proxy_sign_in(get_response):
    """REMOTE_USER_HEADER: an authenticating proxy in front names the signed-in person in a header,
    believed only on a request from one of TRUSTED_PROXY_ADDRESSES (anyone can send a header). The
    account is made at its first request, as at a first sign-in with the provider; a session the
    proxy began ends when a request comes without the header or names someone else."""

    def middleware(request):
        if not settings.REMOTE_USER_HEADER:
            return get_response(request)
        named = request.META.get("HTTP_" + settings.REMOTE_USER_HEADER.upper().replace("-", "_"), "").strip()
        from_proxy = request.session.get(SIGNED_IN_WITH) == PROXY
        if named and not _from_trusted_proxy(request):
            logger.warning(
                "a %s header came from an address not trusted: refused", settings.REMOTE_USER_HEADER
            )
            return refused(
                request,
                _(
                    "This request names who is signed in, but it did not come through the proxy Pushdeck trusts."
                ),
            )
        if from_proxy and request.user.is_authenticated and request.user.get_username() != named:
            logout(request)
        if named and not request.user.is_authenticated:
            user, _made = get_user_model().objects.get_or_create(username=named[:150])
            if _made:
                user.set_unusable_password()
                user.save()
            if not user.is_active:
                return refused(
                    request, _("This account is deactivated. Ask a site admin of Pushdeck to reactivate it.")
                )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SIGNED_IN_WITH] = PROXY
        return get_response(request)

    return middleware


def _from_trusted_proxy(request):
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.TRUSTED_PROXY_NETWORKS)
