"""Short-lived state of the flow form, kept in Django's cache (never on disk).

- A chosen image survives a rejected submit, so that the user does not have to pick it again.
- A create form carries a one-time token, so that a double submit makes one flow, not two.
"""

import re
import secrets

from django.core.cache import cache

from flows_app.api import ImageUpload

UPLOAD_SECONDS = 15 * 60
TOKEN_SECONDS = 6 * 60 * 60
# What secrets.token_urlsafe(16) makes. Anything else a form sends back is no token of ours, and
# never becomes part of a cache key.
TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


def _shaped(token):
    return isinstance(token, str) and TOKEN.fullmatch(token) is not None


def _upload_key(user, token):
    return f"pushdeck:upload:{user.pk}:{token}"


def keep_upload(user, upload):
    token = secrets.token_urlsafe(16)
    cache.set(
        _upload_key(user, token), (upload.filename, upload.content, upload.content_type), UPLOAD_SECONDS
    )
    return token


def kept_upload(user, token):
    """The image kept under this token for this user, or None (expired, or another user's)."""
    if not _shaped(token):
        return None
    kept = cache.get(_upload_key(user, token))
    return ImageUpload(*kept) if kept else None


class CreateTokens:
    """One-time create tokens: issued with a form, claimed atomically by its first submit."""

    def __init__(self, user):
        self.prefix = f"pushdeck:create:{user.pk}"

    def issue(self):
        token = secrets.token_urlsafe(16)
        cache.set(f"{self.prefix}:issued:{token}", True, TOKEN_SECONDS)
        return token

    def claim(self, token):
        """True for the one submit that may create; False for a repeat or an unknown token."""
        if not self.issued(token):
            return False
        # cache.add is atomic: of two concurrent submits, only one adds the claim.
        return cache.add(f"{self.prefix}:claimed:{token}", True, TOKEN_SECONDS)

    def release(self, token):
        """The create failed: let the same form be submitted again."""
        cache.delete(f"{self.prefix}:claimed:{token}")

    def issued(self, token):
        return _shaped(token) and bool(cache.get(f"{self.prefix}:issued:{token}"))

    def finish(self, token, flow_id):
        cache.set(f"{self.prefix}:flow:{token}", flow_id, TOKEN_SECONDS)

    def flow_of(self, token):
        return cache.get(f"{self.prefix}:flow:{token}") if _shaped(token) else None
