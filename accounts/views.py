import logging
from functools import wraps
from urllib.parse import urlencode

import requests
from allauth.account.internal.flows.login import perform_password_login
from allauth.account.models import Login
from allauth.account.utils import perform_login
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import breakglass
from accounts.adapters import provider_name
from accounts.signals import PROVIDER, SIGNED_IN_WITH
from flows_app.forms import LoginForm

logger = logging.getLogger("pushdeck.signin")


class SignInView(auth_views.LoginView):
    """Django's login form, then allauth's stages (the second factor), beside the provider's button.
    With PASSWORD_LOGIN=0 the page offers the provider only and a posted password is refused."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        signin = {
            "password_login": settings.PASSWORD_LOGIN,
            "provider_name": provider_name() if settings.OIDC_ISSUER else "",
        }
        return super().get_context_data(signin=signin, **kwargs)

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
        messages.warning(request, _("Signed in with a break-glass link."))
        return perform_login(request, user, redirect_url=reverse("home"))
    return render(request, "accounts/break_glass.html", {"person": user})
