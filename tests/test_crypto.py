"""API keys at rest: sealed with AES-256-GCM, tagged with their key id, rotatable."""

import pytest
from django.core.management import call_command

from flows_app import crypto
from flows_app.models import SANDBOX, Connection

NEWEST = "test-encryption-secret-newest-0123456789abcdef"
OLDER = "test-encryption-secret-older-0123456789abcdef"


def test_a_sealed_key_opens_again_and_does_not_contain_the_plaintext():
    token = crypto.encrypt("pk_live_supersecret_9876")
    assert "supersecret" not in token
    assert token.startswith(f"v1:{crypto.current_key_id()}:")
    assert crypto.decrypt(token) == "pk_live_supersecret_9876"


def test_two_seals_of_the_same_key_differ():
    assert crypto.encrypt("same") != crypto.encrypt("same")


def test_a_tampered_value_raises_instead_of_returning_anything(settings):
    token = crypto.encrypt("pk_live_supersecret_9876")
    version, key_id, sealed = token.split(":")
    flipped = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{version}:{key_id}:{flipped}")


def test_a_value_sealed_under_a_retired_secret_raises(settings):
    settings.API_KEY_ENCRYPTION_KEYS = [OLDER]
    token = crypto.encrypt("pk_old")
    settings.API_KEY_ENCRYPTION_KEYS = [NEWEST]
    with pytest.raises(crypto.DecryptionError, match="No configured encryption key"):
        crypto.decrypt(token)


def test_plaintext_in_the_column_is_not_mistaken_for_a_key():
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("pk_live_plaintext")


@pytest.mark.django_db
def test_rotate_api_keys_reseals_every_row_under_the_newest_secret(settings, user):
    settings.API_KEY_ENCRYPTION_KEYS = [OLDER]
    connection = Connection(owner=user, label="Shop", server=SANDBOX)
    connection.set_api_key("pk_rotating_key_1234")
    connection.save()
    old_id = crypto.key_id_of(connection.api_key_encrypted)

    settings.API_KEY_ENCRYPTION_KEYS = [NEWEST, OLDER]
    call_command("rotate_api_keys", verbosity=0)
    connection.refresh_from_db()
    assert crypto.key_id_of(connection.api_key_encrypted) == crypto.current_key_id() != old_id

    settings.API_KEY_ENCRYPTION_KEYS = [NEWEST]
    assert connection.api_key == "pk_rotating_key_1234"
    assert connection.api_key_last4 == "1234"
