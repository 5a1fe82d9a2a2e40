"""API keys at rest: AES-256-GCM under keys derived from API_KEY_ENCRYPTION_KEYS.

A stored value is ``v1:<key id>:<base64 nonce + ciphertext>``. The key id names the secret it
was sealed under, so that the secrets can be rotated (newest first in the setting) and
``manage.py rotate_api_keys`` can re-seal every row under the newest one.
"""

import base64
import hashlib
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_VERSION = "v1"
_NONCE_BYTES = 12
_AAD = b"pushdeck api key"


class DecryptionError(Exception):
    """A stored key could not be opened: unknown key id, tampering, or a corrupt value."""


@cache
def _derive(secret):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_AAD).derive(secret.encode())
    key_id = hashlib.sha256(key).hexdigest()[:8]
    return key_id, key


def _keyring():
    return [_derive(secret) for secret in settings.API_KEY_ENCRYPTION_KEYS]


def current_key_id():
    return _keyring()[0][0]


def encrypt(plaintext):
    key_id, key = _keyring()[0]
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _AAD)
    return f"{_VERSION}:{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def key_id_of(token):
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != _VERSION:
        raise DecryptionError("Not an encrypted API key.")
    return parts[1]


def decrypt(token):
    key_id = key_id_of(token)
    keys = dict(_keyring())
    if key_id not in keys:
        raise DecryptionError(f"No configured encryption key has the id {key_id}.")
    try:
        raw = base64.b64decode(token.split(":")[2], validate=True)
        plain = AESGCM(keys[key_id]).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _AAD)
    except (ValueError, InvalidTag):
        raise DecryptionError("The stored API key is corrupt or was sealed under another key.") from None
    return plain.decode()


def budget_key(api_key):
    """What a key's request budget is counted under (flows_app.api.budget), stored beside the
    sealed key so that the budget can be read without opening it: a hash, which keeps nothing
    of the key that could be used (keys are long random strings)."""
    return hashlib.sha256(f"pushdeck-budget\0{api_key}".encode()).hexdigest()
