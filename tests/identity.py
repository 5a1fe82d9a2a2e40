"""A real OpenID provider for the sign-in tests: oidc-provider (npm, installed by `make test` into
var/oidc) run by Node on a free loopback port with tests/oidc/provider.mjs, and the settings that
point Pushdeck at it."""

import json
import os
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "var" / "oidc" / "node_modules"
CONFIG = ROOT / "tests" / "oidc" / "provider.mjs"
MISSING = "oidc-provider is not installed in var/oidc: run `make test` once, which installs it."
CLIENT_ID = "pushdeck-tests"
CLIENT_SECRET = "pushdeck-tests-client-secret-0123456789"
NAME = "Example SSO"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Provider:
    """The running provider: its issuer, and the people it knows (written to the file it reads at
    each sign-in, so that a test may move someone between groups while it runs)."""

    def __init__(self, issuer, people_file):
        self.issuer = issuer
        self._people_file = people_file

    def people(self, id_token=None, **people):
        """Who it knows; ``id_token``: claims it then puts in its ID tokens instead (a provider
        gone wrong)."""
        self._people_file.write_text(
            json.dumps({**people, **({"__id_token__": id_token} if id_token else {})})
        )


@contextmanager
def running_provider(dashboard_url, folder):
    if not (NODE_MODULES / "oidc-provider").is_dir():
        raise RuntimeError(MISSING)
    port = free_port()
    people_file = folder / "people.json"
    people_file.write_text("{}")
    env = {
        **os.environ,
        "OIDC_NODE_MODULES": str(NODE_MODULES),
        "OIDC_PORT": str(port),
        "OIDC_PEOPLE_FILE": str(people_file),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URIS": f"{dashboard_url}/accounts/oidc/oidc/login/callback/",
        "OIDC_LOGOUT_URIS": f"{dashboard_url}/accounts/login/",
    }
    process = subprocess.Popen(
        ["node", str(CONFIG)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        # It prints one line once it listens (or exits, failing the test with its status).
        line = process.stdout.readline()
        if not line.startswith("ready "):
            raise RuntimeError(f"oidc-provider did not start (exit status {process.poll()})")
        yield Provider(line.split()[1], people_file)
    finally:
        process.terminate()
        process.wait(timeout=10)


def provider_settings(settings, issuer, **more):
    """Django's settings as OIDC_* in the environment would make them (dashboard/settings.py)."""
    settings.OIDC_ISSUER = issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_NAME = NAME
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [*settings.SECURE_CSP["form-action"], issuer],
    }
    for name, value in more.items():
        setattr(settings, name, value)
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": settings.OIDC_PROVIDER_ID,
                    "name": NAME,
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": issuer, "scope": ["openid", "profile", "email", "groups"]},
                }
            ],
        }
    }
