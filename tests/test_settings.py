"""Settings come from the environment and fail loudly on values they cannot use."""

import os
import subprocess

import pytest

from bench.harness import KEPT_ENVIRONMENT
from tests.helpers import load_settings


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
        # Sign-in (the README's Sign-in).
        ({"PASSWORD_LOGIN": "0"}, "PASSWORD_LOGIN=0 leaves no way to sign in without OIDC_ISSUER"),
        (
            {"OIDC_ISSUER": "https://id.example.com"},
            "OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET",
        ),
        ({"OIDC_ISSUER": "id.example.com", "OIDC_CLIENT_ID": "a", "OIDC_CLIENT_SECRET": "b"}, "http(s) URL"),
        ({"OIDC_SESSION_HOURS": "0"}, "OIDC_SESSION_HOURS must be at least 1"),
        ({"MFA_REQUIRED": "maybe"}, "MFA_REQUIRED must be 1 or 0"),
        ({"EMAIL_URL": "mail.example.com"}, "EMAIL_URL must start with smtp://"),
        ({"EMAIL_URL": "smtp://mail.example.com:tls"}, "EMAIL_URL has a port that is not a number"),
        ({"REMOTE_USER_HEADER": "X-Forwarded-User"}, "REMOTE_USER_HEADER needs TRUSTED_PROXY_ADDRESSES"),
        ({"TRUSTED_PROXY_ADDRESSES": "10.0.0.300"}, "TRUSTED_PROXY_ADDRESSES"),
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


def a_newcomers_shell():
    """The environment of someone who just opened a terminal: none of Pushdeck's variables."""
    return {name: os.environ[name] for name in KEPT_ENVIRONMENT if name in os.environ}


def run_in(checkout, *command, **env):
    return subprocess.run(
        list(command),
        cwd=checkout,
        env={**a_newcomers_shell(), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_commands_find_the_local_settings_of_a_make_run_checkout_by_themselves(checkout):
    """The README's user commands, in a checkout where `make run` generated var/local.env, in a
    shell that never sourced it."""
    assert run_in(checkout, "make", "var/local.env").returncode == 0
    python = ".venv/bin/python"
    assert run_in(checkout, python, "manage.py", "migrate", "--no-input", "-v", "0").returncode == 0
    script = "from django.contrib.auth.models import User; User.objects.create_user('ana', password='a long passphrase')"
    created = run_in(checkout, python, "manage.py", "shell", "-c", script)
    assert created.returncode == 0, created.stderr
    # What the shell sets wins over the file.
    broken = run_in(checkout, python, "manage.py", "check", API_KEY_ENCRYPTION_KEYS="short")
    assert "at least 32 characters" in broken.stderr


def test_a_caller_with_settings_of_its_own_reads_nothing_from_var_local_env(checkout):
    """A service or the benchmark's servers bring their own secrets: what someone added to the
    checkout's file must not change their run."""
    assert run_in(checkout, "make", "var/local.env").returncode == 0
    with (checkout / "var" / "local.env").open("a") as local:
        local.write("DEBUG=maybe\n")
    python = ".venv/bin/python"
    assert "DEBUG must be 1 or 0" in run_in(checkout, python, "manage.py", "check").stderr
    own = {"SECRET_KEY": "s" * 50, "API_KEY_ENCRYPTION_KEYS": "k" * 40}
    assert run_in(checkout, python, "manage.py", "check", **own).returncode == 0


def test_a_missing_secret_is_one_line_saying_what_to_do_never_a_traceback(checkout):
    result = run_in(checkout, ".venv/bin/python", "manage.py", "createsuperuser")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Pushdeck cannot start: SECRET_KEY is required when DEBUG is off: set it in the environment (see "
        "the README's Configuration), or run `make run` once in this checkout: it generates "
        "var/local.env, which manage.py reads."
    ]
    assert result.stdout == ""
