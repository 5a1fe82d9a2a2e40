from allauth.account import views as account_views
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.conf import settings
from django.urls import include, path, register_converter

from accounts import views


class Base36:
    """An account's id as allauth writes it in a password reset's link (before its key's dash)."""

    regex = "[0-9A-Za-z]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(Base36, "base36")

# Only the parts of allauth Pushdeck uses, so that no page of it (sign-up, e-mail addresses,
# connecting other accounts) is reachable by accident. One provider, its id fixed in the address.
provider = {"provider_id": settings.OIDC_PROVIDER_ID}
reset = views.password_login_only
urlpatterns = [
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/login/", views.SignInView.as_view(), name="account_login"),
    path("accounts/logout/", views.sign_out, name="logout"),
    path("accounts/logout/", views.sign_out, name="account_logout"),
    path("accounts/break-glass/<str:token>/", views.break_glass, name="break_glass"),
    path("accounts/oidc/oidc/login/", oidc_views.login, provider, name="openid_connect_login"),
    path("accounts/oidc/oidc/login/callback/", oidc_views.callback, provider, name="openid_connect_callback"),
    path("accounts/reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    path("accounts/password/reset/", reset(account_views.password_reset), name="account_reset_password"),
    path(
        "accounts/password/reset/done/",
        reset(account_views.password_reset_done),
        name="account_reset_password_done",
    ),
    path(
        "accounts/password/reset/key/<base36:uidb36>-<str:key>/",
        reset(account_views.password_reset_from_key),
        name="account_reset_password_from_key",
    ),
    path(
        "accounts/password/reset/key/done/",
        reset(account_views.password_reset_from_key_done),
        name="account_reset_password_from_key_done",
    ),
    path("accounts/2fa/", include("allauth.mfa.urls")),
    path("people/", views.people_page, name="people"),
    path("people/change/", views.people_change, name="people_change"),
    path("people/invite/", views.people_invite, name="people_invite"),
    path(
        "people/invitations/<id:invitation_id>/revoke/",
        views.people_invitation_revoke,
        name="people_invitation_revoke",
    ),
]
