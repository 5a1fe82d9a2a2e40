from allauth.mfa.models import Authenticator
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from accounts.signals import SIGNED_IN_WITH

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
