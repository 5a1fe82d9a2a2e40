"""One-use sign-in links for the server's operator (`manage.py break_glass`). A link is signed
with the secret key and names the account and its last sign-in: signing in changes that, so the
link works once; it expires after LINK_MINUTES. Nothing about it is stored."""

from django.contrib.auth import get_user_model
from django.core import signing

LINK_MINUTES = 15
_SALT = "accounts.break-glass"


def _stamp(user):
    return user.last_login.isoformat() if user.last_login else ""


def make_token(user):
    return signing.dumps({"user": user.pk, "last_login": _stamp(user)}, salt=_SALT, compress=True)


def user_for(token):
    try:
        payload = signing.loads(token, salt=_SALT, max_age=LINK_MINUTES * 60)
    except signing.BadSignature:
        return None
    user = get_user_model().objects.filter(pk=payload.get("user"), is_active=True).first()
    if user is None or _stamp(user) != payload.get("last_login"):
        return None
    return user
