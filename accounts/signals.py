"""What a sign-in with the provider changes: the session lasts OIDC_SESSION_HOURS at most, and is
marked as the provider's (for signing out there too, and so that MFA_REQUIRED, which is about
passwords, leaves it alone); the person's access from groups follows what the provider says of
their groups now (teams/groups.py)."""

from allauth.account.signals import user_logged_in
from django.conf import settings
from django.dispatch import receiver

from accounts.adapters import claims_of
from teams import groups

SIGNED_IN_WITH = "pushdeck_signed_in_with"
PROVIDER = "provider"
PROXY = "proxy"


@receiver(user_logged_in)
def provider_session(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is None:
        return
    request.session[SIGNED_IN_WITH] = PROVIDER
    request.session.set_expiry(settings.OIDC_SESSION_HOURS * 3600)
    named = claims_of(sociallogin).get(settings.OIDC_GROUPS_CLAIM) or []
    groups.follow(user, [named] if isinstance(named, str) else named)
