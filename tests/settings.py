"""Test settings: production defaults (DEBUG off), with the sandbox and its fault injection on."""

import os
import tempfile

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-secret-key-only-for-the-test-suite-0123456789")
os.environ.setdefault(
    "API_KEY_ENCRYPTION_KEYS",
    "test-encryption-secret-newest-0123456789abcdef,test-encryption-secret-older-0123456789abcdef",
)
os.environ.setdefault("HTTPS_ONLY", "0")
os.environ.setdefault("SANDBOX_ENABLED", "1")
os.environ.setdefault("SANDBOX_FAULTS_ENABLED", "1")
os.environ.setdefault("FLOWS_API_TIMEOUT", "2")
# Templates must render without collectstatic, and live_server cannot serve hashed names.
os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")

from dashboard.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Images the sandbox stores during tests go to a throwaway folder, not the demo's var/media.
MEDIA_ROOT = tempfile.mkdtemp(prefix="pushdeck-test-media-")
DRAFTS_ROOT = tempfile.mkdtemp(prefix="pushdeck-test-drafts-")

# WhiteNoise scans STATIC_ROOT whenever a test client starts: an empty folder of the tests' own,
# so that a collectstatic running meanwhile (make run, bench, loadtest) cannot break a test.
STATIC_ROOT = tempfile.mkdtemp(prefix="pushdeck-test-static-")

# A file, not SQLite's shared in-memory database: live_server would otherwise hand one connection
# to all its request threads, and concurrent requests (the pool of all_flows, a double submit)
# would interleave on it.
DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": os.path.join(tempfile.mkdtemp(prefix="pushdeck-test-db-"), "test.sqlite3")
}

# The rate budget and the shared cache in each test process's memory, cleared between tests with
# the default cache (also in tests that have no database); the tests of several processes ask for
# the database's, as a site without Redis has it.
if not os.environ.get("TEST_SHARED_CACHE_IN_DATABASE"):
    for _alias in ("shared", "rate-budget"):
        CACHES[_alias] = {  # noqa: F405
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": _alias,
        }
