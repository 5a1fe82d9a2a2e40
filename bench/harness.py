"""What every scenario shares: a temporary SQLite database seeded with sandbox flows and a user,
gunicorn servers on loopback with the production settings (each in its own process group), a
logged-in session, access logs read back (requests counted, the server's own time), medians and
Markdown tables with each target marked PASS or FAIL."""

import contextlib
import inspect
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
GUNICORN = str(VENV_BIN / "gunicorn") if (VENV_BIN / "gunicorn").exists() else "gunicorn"
REQUEST_TIMEOUT = 30
# All the servers and commands see of the caller's environment: a setting left in the shell must
# not make a run differ from the documented one.
KEPT_ENVIRONMENT = ("PATH", "HOME", "LANG", "TMPDIR")


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def median_ms(seconds):
    return statistics.median(seconds) * 1000 if seconds else None


def timed(call):
    started = time.perf_counter()
    answer = call()
    return time.perf_counter() - started, answer


# The database and the manage.py commands


def child_env(database, **settings):
    """The environment of the servers and manage.py commands: the production settings (DEBUG=0;
    HTTPS_ONLY=0 for plain HTTP on loopback), fresh secrets, this SQLite database, the sandbox
    without its rate limit unless a scenario asks for it; `settings` added or replaced."""
    env = {name: os.environ[name] for name in KEPT_ENVIRONMENT if name in os.environ}
    env.update(
        DEBUG="0",
        HTTPS_ONLY="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        API_KEY_ENCRYPTION_KEYS=secrets.token_urlsafe(48),
        # The API server and the dashboard share this file where they would be two machines: on a
        # loaded machine a write waits for the other's lock (up to 30 s) rather than fail after 5.
        DATABASE_URL=f"sqlite:///{database}?timeout=30",
        SANDBOX_ENABLED="1",
        SANDBOX_RATE_LIMIT="0",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        # Read back by AccessLog: one line per request, whatever LOG_LEVEL says.
        GUNICORN_ACCESSLOG="-",
    )
    env.update(settings)
    return env


def manage(env, *args):
    """A manage.py command run from the project's root; its standard output."""
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, timeout=900)
    if result.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout.decode()}\n{result.stderr.decode()}")
    return result.stdout.decode()


def shell(env, script):
    """A Python script run by `manage.py shell`; the JSON it prints after "RESULT "."""
    return json.loads(manage(env, "shell", "-c", script).split("RESULT ", 1)[1])


def migrate(env):
    log("migrate + collectstatic")
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "collectstatic", "--no-input", "-v", "0")


ADD_USER = """
import json
from django.contrib.auth import get_user_model
from flows_app.models import SANDBOX, Connection

spec = json.loads({spec!r})
user = get_user_model().objects.create_user(spec["username"], password=spec["password"])
ids = []
for label, key, *server in spec["connections"]:
    connection = Connection(owner=user, label=label, server=server[0] if server else SANDBOX)
    connection.set_api_key(key)
    connection.save()
    ids.append(connection.pk)
Connection.objects.get(pk=ids[0]).make_default()
print("RESULT " + json.dumps(ids))
"""


def add_user(env, username, password, connections):
    """A dashboard user with a connection per (label, API key[, server]) (the sandbox without a
    server), the first its default; the connections' ids, in the same order."""
    spec = json.dumps({"username": username, "password": password, "connections": connections})
    return shell(env, ADD_USER.format(spec=spec))


# The servers


def stop_group(process, stop_signal=signal.SIGTERM, timeout=10):
    """Stops a process started with start_new_session=True and all it forked: SIGKILL after timeout s."""
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
    """One gunicorn, in its own process group so that stopping it stops its workers too. Its
    output (the access log included, GUNICORN_ACCESSLOG="-") goes to workdir/<name>.log."""

    # Started and not stopped yet: what workspace() stops.
    running = []

    def __init__(self, name, env, workdir, extra=(), app="dashboard.wsgi:application"):
        self.name, self.env, self.extra, self.app = name, env, list(extra), app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = workdir / f"{name}.log"
        self.log = AccessLog(self.output)
        self.process = None

    def start(self):
        command = [GUNICORN, "-c", "dashboard/gunicorn_conf.py", "--bind", f"127.0.0.1:{self.port}"]
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(
                [*command, *self.extra, self.app],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=output,
                start_new_session=True,
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
        with contextlib.suppress(FileNotFoundError):
            return "\n".join(self.output.read_text(errors="replace").splitlines()[-lines:])
        return "(no output)"

    def stop(self):
        if self.process is not None:
            stop_group(self.process)


@contextlib.contextmanager
def workspace(keep=False):
    """A temporary folder for the database and the servers' output. However the block ends, every
    server started is stopped first: gunicorn must not outlive the run. SIGTERM and SIGINT end
    the run as sys.exit() would, so that they stop the servers too."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: sys.exit(128 + signum))
    with tempfile.TemporaryDirectory(prefix="pushdeck-bench-", delete=not keep) as folder:
        try:
            yield Path(folder)
        finally:
            while Server.running:
                Server.running.pop().stop()
            if keep:
                log(f"kept {folder}")


class AccessLog:
    """A gunicorn access log in dashboard/gunicorn_conf.py's format: the requests logged since a
    mark, each (method, path, status, the server's own milliseconds: %(M)s)."""

    LINE = re.compile(r'"(\w+) (\S+) HTTP/[\d.]+" (\d+) \S+ (\d+)ms')

    def __init__(self, path):
        self.path = path

    def mark(self):
        """The log's end, once gunicorn has written the lines of the requests already answered
        (it writes each just after the answer)."""
        size, stable = -1, 0
        while stable < 3:
            time.sleep(0.02)
            now = self.path.stat().st_size if self.path.exists() else 0
            stable = stable + 1 if now == size else 0
            size = now
        return size

    def since(self, mark, contains=""):
        end = self.mark()
        with self.path.open("rb") as handle:
            handle.seek(mark)
            text = handle.read(end - mark).decode(errors="replace")
        found = self.LINE.findall(text)
        return [
            (method, path, int(status), int(ms)) for method, path, status, ms in found if contains in path
        ]


def log_in(session, base_url, username, password):
    """Logs a requests.Session in as a browser would: the login page's CSRF token, then the form."""
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


# The report


class Report:
    """One scenario's Markdown: a table of figures, then its targets marked PASS or FAIL."""

    def __init__(self, title, note=""):
        # A docstring as the note: its indentation would show in Markdown.
        self.title, self.note = title, inspect.cleandoc(note)
        self.header, self.rows, self.targets = None, [], []
        # Raw figures for --json (the load test's test reads them).
        self.figures = {}

    def table(self, *header):
        self.header = header

    def row(self, *cells):
        self.rows.append([fmt(cell) for cell in cells])

    def target(self, name, figure, ok):
        self.targets.append((name, fmt(figure), ok))

    def markdown(self):
        lines = [f"### {self.title}", ""]
        if self.note:
            lines += [self.note, ""]
        if self.header:
            lines += [f"| {' | '.join(self.header)} |", "|" + " --- |" * len(self.header)]
            lines += [f"| {' | '.join(row)} |" for row in self.rows]
            lines.append("")
        lines += ["| target | figure | result |", "| --- | --- | --- |"]
        lines += [f"| {name} | {figure} | {'PASS' if ok else 'FAIL'} |" for name, figure, ok in self.targets]
        return "\n".join(lines) + "\n"


def fmt(value):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


# The run's servers and accounts


class Bench:
    """What the scenarios share: one database with a sandbox account per size in `accounts`
    ({name: flows}), a user with a connection to each, the API server (the sandbox, SANDBOX_LATENCY_MS
    added to every call) and the dashboard calling it, both gunicorn as in production. Two
    processes, as with a real remote server: the API's own work never takes the dashboard's threads."""

    USERNAME = "bench"

    def __init__(self, workdir, args, accounts):
        self.workdir, self.args = workdir, args
        self.password = secrets.token_urlsafe(16)
        self.env = child_env(workdir / "db.sqlite3", SANDBOX_LATENCY_MS=str(args.latency_ms))
        # Two workers: with its rate limit off the sandbox keeps nothing in the cache they would share.
        self.api = Server("api", dict(self.env), workdir, extra=["--workers", "2"])
        # The fast upstream (bench/upstream.py) replays the API server's answers, as a server the
        # connection "fast" may call (FLOWS_API_SERVERS).
        origin, latency = self.api.url + "/sandbox", str(args.latency_ms)
        upstream_env = dict(self.env, BENCH_ORIGIN=origin, BENCH_LATENCY_MS=latency)
        self.upstream = Server("upstream", upstream_env, workdir, app="bench.upstream:application")
        self.env.update(SANDBOX_URL=self.api.url + "/sandbox", FLOWS_API_SERVERS=self.upstream.url)
        self.web = Server("dashboard", self.env, workdir)
        floors_env = dict(self.env, DJANGO_SETTINGS_MODULE="bench.floors", BENCH_UPSTREAM=self.upstream.url)
        self.floors = Server("floors", floors_env, workdir, app="bench.floors:application")
        migrate(self.env)
        self.keys = {name: f"bench-{name}-{secrets.token_hex(8)}" for name in accounts}
        for name, flows in accounts.items():
            log(f"seeding {flows:,} flows ({name})")
            manage(self.env, "sandbox_create_key", "--key", self.keys[name], "-v", "0")
            manage(self.env, "sandbox_demo", "--key", self.keys[name], "--flows", str(flows))
        connections = [(name, key) for name, key in self.keys.items()]
        if "many" in self.keys:
            connections.append(("fast", self.keys["many"], self.upstream.url))
        ids = add_user(self.env, self.USERNAME, self.password, connections)
        self.connections = {connection[0]: cid for connection, cid in zip(connections, ids, strict=True)}
        # The upstream and the floors are started by the scenario that uses them.
        for server in (self.api, self.web):
            server.start()
        self.api.wait_ready("/sandbox/api/flows/")
        self.web.wait_ready("/accounts/login/")
        self.browser = self.logged_in()

    def logged_in(self, username=USERNAME):
        session = requests.Session()
        log_in(session, self.web.url, username, self.password)
        return session

    def flows_url(self, name):
        return f"{self.web.url}/connections/{self.connections[name]}/flows/"

    def api_session(self, name):
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.keys[name]}"
        return session
