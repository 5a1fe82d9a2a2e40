"""How django-allauth behaves here: nobody signs up on their own, a first sign-in with the
company's provider makes the account (when its e-mail is of an allowed domain), and whatever goes
wrong in the redirect dance is one clear page, logged without what came in the address."""

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger("pushdeck.signin")


def provider_name():
    """The provider as the button names it: OIDC_NAME, or words of Pushdeck's own."""
    return settings.OIDC_NAME or _("your company's account")


def inactive(request):
    return refused(request, _("This account is deactivated. Ask a site admin of Pushdeck to reactivate it."))


# allauth's toasts on signing in and out: Pushdeck's header already says who is signed in.
QUIET = {"account/messages/logged_in.txt", "account/messages/logged_out.txt"}


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def respond_user_inactive(self, request, user):
        return inactive(request)

    def add_message(self, request, level, message_template=None, *args, **kwargs):
        if message_template not in QUIET:
            super().add_message(request, level, message_template, *args, **kwargs)


def claims_of(sociallogin):
    """What the provider said of the person: its userinfo answer, or else the ID token's claims."""
    data = sociallogin.account.extra_data or {}
    return data.get("userinfo") or data.get("id_token") or {}


def refused(request, reason, status=403):
    return render(request, "accounts/refused.html", {"reason": reason}, status=status)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return True

    def pre_social_login(self, request, sociallogin):
        allowed = settings.OIDC_ALLOWED_DOMAINS
        if not allowed:
            return
        claims = claims_of(sociallogin)
        email = (claims.get("email") or "").strip().lower()
        domain = email.rpartition("@")[2]
        # An address the provider has not verified could be anyone's: it opens nothing.
        if domain not in allowed or claims.get("email_verified") is False:
            logger.warning("sign-in refused: e-mail domain %r is not allowed", domain)
            raise ImmediateHttpResponse(
                refused(
                    request,
                    _("Only accounts with an e-mail address at %(domains)s may sign in here.")
                    % {"domains": ", ".join(allowed)},
                )
            )

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        # The exception's text may quote what the provider sent; its kind is enough to look into it.
        logger.warning(
            "sign-in with the provider failed: %s (%s)", error, type(exception).__name__ if exception else "-"
        )
        raise ImmediateHttpResponse(
            refused(
                request,
                _(
                    "Signing in with %(name)s did not complete: the answer that came back was not one "
                    "Pushdeck asked for, or it was already used. Start again from the sign-in page."
                )
                % {"name": provider_name()},
                status=400,
            )
        )
