"""The flow form's one-time create tokens, so that a double submit makes one flow, not two. They
live in the shared cache, which every process sees alike and whose add is atomic across them."""

import secrets

from django.core.cache import caches

from flows_app.drafts import is_token

TOKEN_SECONDS = 6 * 60 * 60


class CreateTokens:
    """One-time create tokens: issued with a form, claimed atomically by its first submit."""

    def __init__(self, user, purpose="create"):
        # Another one-time action (a test send) keeps its tokens apart under its own purpose.
        self.prefix = f"pushdeck:{purpose}:{user.pk}"
        self._cache = caches["shared"]

    def issue(self):
        token = secrets.token_urlsafe(16)
        self._cache.set(f"{self.prefix}:issued:{token}", True, TOKEN_SECONDS)
        return token

    def claim(self, token):
        """True for the one submit that may create; False for a repeat or an unknown token."""
        if not self.issued(token):
            return False
        # The shared cache's add is atomic across processes: of two concurrent submits, only one
        # adds the claim.
        return self._cache.add(f"{self.prefix}:claimed:{token}", True, TOKEN_SECONDS)

    def release(self, token):
        """The create failed: let the same form be submitted again."""
        self._cache.delete(f"{self.prefix}:claimed:{token}")

    def issued(self, token):
        return is_token(token) and bool(self._cache.get(f"{self.prefix}:issued:{token}"))

    def finish(self, token, flow_id):
        self._cache.set(f"{self.prefix}:flow:{token}", flow_id, TOKEN_SECONDS)

    def flow_of(self, token):
        return self._cache.get(f"{self.prefix}:flow:{token}") if is_token(token) else None
