"""`make run` serves the sandbox from its own gunicorn process (issue 10, item 11): 24 refreshes
at once used to take every dashboard thread, each waiting for a sandbox answer that needed one."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_starts_the_sandbox_on_its_own_port_and_points_the_dashboard_there():
    commands = subprocess.run(
        ["make", "-n", "run", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    binds = re.findall(r"gunicorn .*?--bind 127\.0\.0\.1:(\d+)", commands, re.DOTALL)
    assert sorted(binds) == ["8123", "8124"]
    assert "SANDBOX_URL=http://127.0.0.1:8124/sandbox" in commands
