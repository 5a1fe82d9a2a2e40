"""What `make bench` (scripts/bench.py) and `make loadtest` (scripts/loadtest.py) share: a
temporary SQLite database seeded with sandbox flows and a dashboard user, gunicorn servers on
loopback with the production settings, a logged-in requests.Session, and the figures read
from /proc.
"""

import contextlib
import json
import math
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
GUNICORN = str(VENV_BIN / "gunicorn") if (VENV_BIN / "gunicorn").exists() else "gunicorn"
# The running script ("bench", "loadtest"): the prefix of its log lines and temporary folder.
SCRIPT = Path(sys.argv[0]).stem
REQUEST_TIMEOUT = 30
# The settings a caller's shell could have set that would make a run differ from the documented one.
INHERITED_SETTINGS = (
    "DATABASE_URL",
    "FLOWS_CACHE_SECONDS",
    "FLOWS_API_TIMEOUT",
    "FLOWS_API_SERVERS",
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
    "STATICFILES_BACKEND",
    "SANDBOX_LATENCY_MS",
    "SANDBOX_FAULTS_ENABLED",
    "SANDBOX_CREATE_ANSWER",
    "SANDBOX_UPDATE_ANSWER",
    "DJANGO_SETTINGS_MODULE",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "GUNICORN_ACCESSLOG",
    # The test suite's (tests/conftest.py); `check --deploy` refuses it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def log(message):
    print(f"[{SCRIPT} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, fraction):
    """The nearest-rank percentile: the smallest value with at least `fraction` of them at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def cpu_seconds(groups):
    """CPU time (user + system) used so far by every process of these process groups, from /proc (Linux)."""
    total = 0
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) in groups:
                total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def cpu_times():
    """(idle, total, steal) CPU seconds of all CPUs from /proc/stat; None where there is none.

    Steal is the time a virtual machine's CPUs were ready to run but the hypervisor ran something
    else: on a shared host every figure is slower by it, whatever this machine's own processes do.
    """
    try:
        with open("/proc/stat") as stat:
            numbers = [int(x) for x in stat.readline().split()[1:]]
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    steal = numbers[7] if len(numbers) > 7 else 0
    return (numbers[3] + numbers[4]) / tick, sum(numbers) / tick, steal / tick  # idle + iowait, total, steal


def logged_requests(path, marker):
    """How many requests an access log (one line per request) shows whose line contains marker."""
    with contextlib.suppress(FileNotFoundError), path.open("rb") as handle:
        return sum(1 for line in handle if marker in line)
    return 0


# The database


def child_env(database, **settings):
    """The environment of the servers and manage.py commands: the production settings (DEBUG=0;
    HTTPS_ONLY=0 for plain HTTP on loopback), fresh secrets, this SQLite database, and the sandbox
    without its rate limit (the budget is not what is measured); `settings` added or replaced."""
    env = {name: value for name, value in os.environ.items() if name not in INHERITED_SETTINGS}
    env.update(
        DEBUG="0",
        HTTPS_ONLY="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        API_KEY_ENCRYPTION_KEYS=secrets.token_urlsafe(48),
        DATABASE_URL=f"sqlite:///{database}",
        SANDBOX_ENABLED="1",
        SANDBOX_RATE_LIMIT="0",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        # Counted by logged_requests(), one line per request whatever LOG_LEVEL says.
        GUNICORN_ACCESSLOG="-",
    )
    env.update(settings)
    return env


def run_python(env, *args):
    """Runs a Python script of the project (manage.py, scripts/...) from its root; its standard output."""
    result = subprocess.run(
        [PYTHON, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def manage(env, *args):
    return run_python(env, "manage.py", *args)


def migrate(env):
    """migrate and collectstatic, side by side: they share no files."""
    log("migrate + collectstatic")
    with ThreadPoolExecutor(max_workers=1) as pool:
        collected = pool.submit(manage, env, "collectstatic", "--no-input", "-v", "0")
        manage(env, "migrate", "--no-input", "-v", "0")
        collected.result()


def seed_sandbox(env, key, flows):
    """A sandbox API key with that many demo flows; the seconds sandbox_demo took."""
    manage(env, "sandbox_create_key", "--key", key, "-v", "0")
    started = time.monotonic()
    manage(env, "sandbox_demo", "--key", key, "--flows", str(flows))
    return time.monotonic() - started


ADD_USER = """
import json
from django.contrib.auth import get_user_model
from flows_app.models import SANDBOX, Connection
from sandbox.models import ApiAccount

spec = json.loads({spec!r})
user = get_user_model().objects.create_user(spec["username"], password=spec["password"])
ids = []
for label, key in spec["connections"]:
    # Unlimited plan: the runs create flows beyond the sandbox's default limit of 1000, and must
    # never meet the limit while they toggle.
    ApiAccount.objects.with_key(key).update(flows_limit=-1)
    connection = Connection(owner=user, label=label, server=spec["server"] or SANDBOX)
    connection.set_api_key(key)
    connection.save()
    ids.append(connection.pk)
Connection.objects.get(pk=ids[0]).make_default()
print("CONNECTIONS " + json.dumps(ids))
"""


def add_user(env, username, password, connections, server=None):
    """A dashboard user with a connection per (label, API key) to server (the sandbox served by the
    dashboard itself when None), the first its default; the connections' ids, in the same order."""
    spec = json.dumps(
        {"username": username, "password": password, "connections": connections, "server": server}
    )
    out = manage(env, "shell", "-c", ADD_USER.format(spec=spec))
    return json.loads(out.split("CONNECTIONS ", 1)[1])


# The servers


def stop_group(process, stop_signal=signal.SIGTERM, timeout=10):
    """Stops a process started with start_new_session=True and every process it forked (its
    group): with stop_signal, then SIGKILL after timeout seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, stop_signal)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


class Server:
    """One gunicorn, in its own process group so that stopping it stops its workers too."""

    # Started and not stopped yet: what stop_all() stops.
    running = []

    def __init__(self, name, env, workdir, extra=(), app="dashboard.wsgi:application"):
        self.name, self.env, self.extra, self.app = name, env, list(extra), app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = workdir / f"{name}.log"
        self.process = None

    def start(self):
        command = [GUNICORN, "-c", "dashboard/gunicorn_conf.py", "--bind", f"127.0.0.1:{self.port}"]
        command += [*self.extra, self.app]
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=output, stderr=output, start_new_session=True
            )
        Server.running.append(self)

    def wait_ready(self, path, timeout=30):
        """Until the server answers at all (whether the page works is checked by the caller)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the {self.name} server exited:\n{self.tail()}")
            with contextlib.suppress(requests.RequestException):
                requests.get(self.url + path, timeout=2, allow_redirects=False)
                return
            time.sleep(0.1)
        raise RuntimeError(f"the {self.name} server was not ready after {timeout} s:\n{self.tail()}")

    def tail(self, lines=30):
        """The end of the server's output, for an error message (the folder may not outlive the run)."""
        try:
            return "\n".join(self.output.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no output)"

    def stop(self):
        if self.process is not None:
            stop_group(self.process)

    @classmethod
    def stop_all(cls):
        while cls.running:
            cls.running.pop().stop()


def exit_on_signals():
    """SIGTERM and SIGINT end the run as sys.exit() would, so that workspace() stops the servers."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: sys.exit(128 + signum))


@contextlib.contextmanager
def workspace(keep=False):
    """A temporary folder for the database and the servers' output. However the block ends, every
    server started is stopped first: gunicorn must not outlive the run, nor write into a folder
    being removed."""
    with tempfile.TemporaryDirectory(prefix=f"pushdeck-{SCRIPT}-", delete=not keep) as folder:
        try:
            yield Path(folder)
        finally:
            Server.stop_all()
            if keep:
                log(f"kept {folder}")


def log_in(session, base_url, username, password):
    """Logs a requests.Session in to the dashboard as a browser would: the login page's CSRF token
    (which also sets the csrftoken cookie), then the form's POST."""
    page = session.get(f"{base_url}/accounts/login/", timeout=REQUEST_TIMEOUT)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if page.status_code != 200 or not token:
        raise RuntimeError(f"login page answered {page.status_code}")
    answer = session.post(
        f"{base_url}/accounts/login/",
        data={"csrfmiddlewaretoken": token.group(1), "username": username, "password": password},
        timeout=REQUEST_TIMEOUT,
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"login answered {answer.status_code}")
