"""The local settings of a `make run` checkout, for the `manage.py` commands people type there.

`make run` generates var/local.env once (its secrets, and whatever the README says to add, such as
SANDBOX_FAULTS_ENABLED=1) and loads it into the servers' environment. manage.py reads the same file,
so that `manage.py createsuperuser` works in that checkout without sourcing it first. A variable
already in the environment wins; an installation without the file (Docker, systemd) reads nothing.
"""

import os
from pathlib import Path

PATH = Path(__file__).resolve().parent.parent / "var" / "local.env"


def read(path):
    """{name: value} of a file of NAME=value lines, as `set -a && source` reads the simple ones
    (blank lines and comments skipped, `export ` and one pair of quotes around a value allowed)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip().removeprefix("export ").strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = (part.strip() for part in line.split("=", 1))
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def load(path=PATH):
    """Adds the file's variables that the environment does not set; nothing when there is no file,
    nor when the caller brought settings of its own (a SECRET_KEY: a service, the benchmark's and
    the tests' servers), which a file left in the checkout must not change."""
    if path.is_file() and "SECRET_KEY" not in os.environ:
        for name, value in read(path).items():
            os.environ.setdefault(name, value)
