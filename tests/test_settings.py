"""Settings come from the environment and fail loudly on values they cannot use."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 50,
    "API_KEY_ENCRYPTION_KEYS": "y" * 40,
    "DJANGO_SETTINGS_MODULE": "dashboard.settings",
}


def load_settings(**env):
    """Import dashboard.settings in a fresh interpreter with exactly this environment."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in GOOD and not key.startswith(("SANDBOX", "HTTPS", "FLOWS"))
    }
    clean.update(GOOD)
    clean.update(env)
    code = "from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT if hasattr(s, 'SECURE_SSL_REDIRECT') else False, s.FLOWS_API_SERVERS, s.FLOWS_API_TIMEOUT)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_production_defaults_are_debug_off_and_https_only():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["False", "True"]
    assert "https://push.btools.online" in result.stdout


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is required"),
        ({"API_KEY_ENCRYPTION_KEYS": ""}, "API_KEY_ENCRYPTION_KEYS is required"),
        ({"API_KEY_ENCRYPTION_KEYS": "short"}, "at least 32 characters"),
        ({"DEBUG": "maybe"}, "DEBUG must be 1 or 0"),
        ({"FLOWS_API_TIMEOUT": "ten"}, "FLOWS_API_TIMEOUT must be a number"),
        ({"FLOWS_API_SERVERS": "push.example.com"}, "must be an http(s) URL"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be text or json"),
    ],
)
def test_a_bad_or_missing_value_stops_start_up_with_a_clear_message(env, complaint):
    result = load_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_plain_http_intranet_can_turn_https_off_and_pick_its_servers():
    result = load_settings(HTTPS_ONLY="0", FLOWS_API_SERVERS="https://push.example.com/, http://10.0.0.5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "False"
    assert "['https://push.example.com', 'http://10.0.0.5']" in result.stdout
