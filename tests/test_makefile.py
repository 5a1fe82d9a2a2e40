"""`make run` installs only what running needs; `make test` adds the test tools. Read from make's
dry run (-n), forced (-B) so that an installed .venv does not hide the steps."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def steps(target):
    done = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if "pip install" in line]


def test_make_run_installs_only_what_running_needs():
    installs = steps("run")
    assert any("-r requirements.txt" in line for line in installs)
    assert not any("requirements-dev.txt" in line for line in installs)


def test_make_test_adds_the_test_tools():
    assert any("-r requirements-dev.txt" in line for line in steps("test"))
