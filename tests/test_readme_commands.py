"""The README's commands for a `make run` checkout and for an install without Docker, run as written
in a copy of the working tree (tests/conftest.py `checkout`): the blocks are read from the README
itself, so that a step it misses or gets wrong fails here. What cannot run on this machine is
said where it is left out: the network (`pip install`, the shared .venv stands for it) and
systemd (the Procfile's lines run instead, on loopback). Bounded: every command has a timeout
and every server is stopped."""

import contextlib
import fcntl
import os
import re
import secrets
import select
import subprocess
import termios
import time
from pathlib import Path

import pytest
import requests

from bench.harness import KEPT_ENVIRONMENT, REQUEST_TIMEOUT, free_port, log_in, stop_group
from tests.services import create_database

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PASSWORD = "a long passphrase for the first admin"
# The first admin's answers to `createsuperuser`, prompt by prompt.
FIRST_ADMIN = [
    ("Username", "admin"),
    ("Email address", "admin@example.com"),
    ("Password:", PASSWORD),
    ("Password (again)", PASSWORD),
]


def block_after(marker):
    """The first ```sh block after ``marker`` in the README, as its lines (comments left on)."""
    start = README.index(marker)
    found = re.compile(r"```sh\n(.*?)```", re.DOTALL).search(README, start)
    return found[1].strip().splitlines()


def procfile():
    """{process: command} of the Procfile."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def in_a_terminal(script, cwd, env, answers=(), timeout=180):
    """Runs a bash script with a terminal of its own (createsuperuser asks a person), answering each
    prompt as it appears; fails on a non-zero exit. What the terminal showed."""
    leader, follower = os.openpty()
    process = subprocess.Popen(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env=env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        start_new_session=True,
        # The terminal becomes the controlling one, so that getpass reads the password from it.
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(follower)
    shown, answered_at, pending = b"", 0, list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([leader], [], [], 0.5)[0]:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the script ended: the terminal is closed
                    break
                if not chunk:
                    break
                shown += chunk
            while pending and pending[0][0].encode() in shown[answered_at:]:
                answered_at = len(shown)
                os.write(leader, pending.pop(0)[1].encode() + b"\n")
        else:
            pytest.fail(f"still running after {timeout} s:\n{shown.decode(errors='replace')}")
        status = process.wait(timeout=10)
    finally:
        stop_group(process)
        os.close(leader)
    text = shown.decode(errors="replace")
    assert status == 0, text
    assert not pending, f"never asked for {pending[0][0]}:\n{text}"
    return text


def shell_environment(checkout, **settings):
    """A fresh login's environment (none of Pushdeck's variables), with the checkout's venv first on
    PATH as a Procfile runner has it."""
    env = {name: os.environ[name] for name in KEPT_ENVIRONMENT if name in os.environ}
    env["PATH"] = f"{checkout / '.venv' / 'bin'}:{env['PATH']}"
    return {**env, **settings}


def test_the_readmes_commands_for_a_make_run_checkout_run_as_written_without_sourcing_anything(checkout):
    """`make run` generates var/local.env and migrates; then the README's Users, Another sandbox key
    and Faults blocks, typed into a shell that loaded nothing."""
    env = shell_environment(checkout)
    in_a_terminal("make var/local.env && .venv/bin/python manage.py migrate --no-input -v 0", checkout, env)
    users = block_after("**Users.**")
    assert users[0] == ".venv/bin/python manage.py createsuperuser"
    in_a_terminal("\n".join(users), checkout, env, FIRST_ADMIN)
    new_key, *demo = block_after("**Another sandbox key.**")
    key = in_a_terminal(new_key, checkout, env).strip()
    assert re.fullmatch(r"\S{20,}", key), key
    in_a_terminal("\n".join(line.replace("KEY", key) for line in demo), checkout, env)
    # As the README says, for the faults to take effect.
    with (checkout / "var" / "local.env").open("a") as local:
        local.write("SANDBOX_FAULTS_ENABLED=1\n")
    faults = block_after("**Faults.**")
    shown = in_a_terminal("\n".join(line.replace("KEY", key) for line in faults), checkout, env)
    assert "SANDBOX_FAULTS_ENABLED is off" not in shown


@pytest.mark.production
def test_the_readmes_install_without_docker_runs_as_written_and_serves_every_language(checkout, services):
    """The systemd section's block (PostgreSQL, Redis, the settings in an env file), then the
    Procfile's two lines: the web server is healthy, sees the worker, and serves Chinese."""
    settings_file = checkout.parent / "pushdeck.env"
    settings_file.write_text(
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"API_KEY_ENCRYPTION_KEYS={secrets.token_urlsafe(48)}\n"
        f"DATABASE_URL={create_database(services.postgres_url, 'readme_' + secrets.token_hex(4))}\n"
        f"REDIS_URL={services.redis_url}/3\n"
        "ALLOWED_HOSTS=127.0.0.1\n"
        # Plain HTTP on loopback, as an intranet without a TLS proxy.
        "HTTPS_ONLY=0\n"
        "WEB_CONCURRENCY=2\n"
        "LOG_FORMAT=json\n"
    )
    settings_file.chmod(0o600)
    steps = [
        line.replace("/srv/pushdeck", str(checkout)).replace("/etc/pushdeck.env", str(settings_file))
        for line in block_after("### Without Docker (systemd)")
        # The network: the checkout's .venv is the shared one, with requirements.txt installed.
        if "pip install" not in line
    ]
    assert any("compilemessages" in step for step in steps)
    env = shell_environment(checkout)
    in_a_terminal("\n".join(steps), checkout, env, FIRST_ADMIN)

    # What systemd's EnvironmentFile gives each service.
    service_env = {**env, **dict(line.split("=", 1) for line in settings_file.read_text().splitlines())}
    port = free_port()
    started = []
    try:
        for name, command in procfile().items():
            with (checkout / f"{name}.log").open("wb") as log:
                started.append(
                    subprocess.Popen(
                        # On loopback only, here.
                        ["bash", "-c", "exec " + command.replace("0.0.0.0", "127.0.0.1")],  # noqa: S104,
                        cwd=checkout,
                        env={**service_env, "PORT": str(port)},
                        stdout=log,
                        stderr=log,
                        start_new_session=True,
                    )
                )
        site = f"http://127.0.0.1:{port}"
        assert healthy_soon(f"{site}/healthz"), (checkout / "web.log").read_text()
        assert healthy_soon(f"{site}/healthz/worker"), (checkout / "worker.log").read_text()
        browser = requests.Session()
        browser.headers["Accept-Language"] = "zh-hans"
        page = browser.get(f"{site}/accounts/login/", timeout=REQUEST_TIMEOUT)
        assert page.status_code == 200
        assert 'lang="zh-hans"' in page.text
        # Pushdeck's own words (Django's catalogs, compiled in the package, say "登录" for "Log in").
        assert "集中管理你的推送通知流程。" in page.text
        assert "Your push notification flows" not in page.text
        log_in(browser, site, "admin", PASSWORD)
        assert "<h1>连接</h1>" in browser.get(f"{site}/connections/", timeout=REQUEST_TIMEOUT).text
    finally:
        for process in started:
            stop_group(process)


def healthy_soon(url, seconds=60):
    """Answers 200 within ``seconds`` (gunicorn and the worker start, then the worker beats)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=REQUEST_TIMEOUT).status_code == 200:
                return True
        time.sleep(0.2)
    return False
