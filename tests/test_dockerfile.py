"""The image runs the production settings: DEBUG off, and Django's deploy checks before it serves.

The Dockerfile is parsed (no Docker here), and its start-up check is run with the environment the
image sets, so that a setting the image relies on cannot drift from what `check --deploy` passes.
"""

import json
import os
import re
import secrets
import shlex
import subprocess
import sys

from tests.helpers import ROOT, dockerfile_instructions


def image_env():
    """The variables ENV sets in the final image (both `ENV A=1 B=2` and `ENV A 1` forms)."""
    env = {}
    for name, argument in dockerfile_instructions():
        if name == "FROM":
            env = {}  # a later stage starts afresh
        if name != "ENV":
            continue
        words = shlex.split(argument)
        if words and "=" not in words[0]:
            env[words[0]] = " ".join(words[1:])
        else:
            env.update(word.split("=", 1) for word in words)
    return env


def start_command():
    """The shell command the image runs: the last CMD (or ENTRYPOINT), exec form or shell form."""
    commands = [argument for name, argument in dockerfile_instructions() if name in ("CMD", "ENTRYPOINT")]
    assert commands, "the Dockerfile has no CMD"
    last = commands[-1]
    if last.startswith("["):
        words = json.loads(last)
        if words[:2] == ["sh", "-c"]:
            return words[2]
        return shlex.join(words)
    return last


def test_the_image_sets_debug_off():
    env = image_env()
    assert env.get("DEBUG") == "0"
    assert "DJANGO_SETTINGS_MODULE" not in env or env["DJANGO_SETTINGS_MODULE"] == "dashboard.settings"


def test_nothing_in_the_dockerfile_turns_debug_or_the_sandbox_on():
    for name, argument in dockerfile_instructions():
        if name in ("ENV", "ARG", "RUN", "CMD", "ENTRYPOINT"):
            assert not re.search(r"\bDEBUG=(1|true|yes|on)\b", argument, re.IGNORECASE), argument
            assert not re.search(r"\bSANDBOX_(ENABLED|FAULTS_ENABLED)=(1|true|yes|on)\b", argument, re.I)
            assert "tests.settings" not in argument
            assert "runserver" not in argument


def test_the_image_runs_the_deploy_checks_before_serving_with_gunicorn():
    steps = [step.strip() for step in start_command().split("&&")]
    check = next(i for i, step in enumerate(steps) if "manage.py check" in step)
    serve = next(i for i, step in enumerate(steps) if "gunicorn" in step)
    assert check < serve
    assert re.search(r"manage\.py check --deploy --fail-level WARNING\b", steps[check])
    assert "dashboard.wsgi:application" in steps[serve]
    assert "dashboard/gunicorn_conf.py" in steps[serve]


def test_the_image_runs_as_a_user_not_root():
    users = [argument for name, argument in dockerfile_instructions() if name == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_the_image_leaves_https_only_on():
    # Unset, HTTPS_ONLY follows DEBUG's default: on. A plain-HTTP intranet turns it off at run time.
    assert image_env().get("HTTPS_ONLY", "1") == "1"


def test_the_images_deploy_check_passes_with_the_images_environment():
    """Run the image's own `check --deploy` step with the ENV it sets and fresh secrets."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")
    }
    env = {
        **inherited,
        **image_env(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "API_KEY_ENCRYPTION_KEYS": secrets.token_urlsafe(48),
    }
    [check] = [step.strip() for step in start_command().split("&&") if "manage.py check" in step]
    words = shlex.split(check)
    assert words[0] == "python"
    result = subprocess.run(
        [sys.executable, *words[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
