from django.conf import settings

from accounts.adapters import provider_name


def signin(request):
    """How people sign in here, for every page that offers it (the login page, an invitation's)."""
    return {
        "signin": {
            "password_login": settings.PASSWORD_LOGIN,
            "provider_name": provider_name() if settings.OIDC_ISSUER else "",
        }
    }
