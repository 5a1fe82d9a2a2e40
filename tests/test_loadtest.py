"""A short run of the load test (scripts/loadtest.py): 20 users through gunicorn, no errors, no
lost toggles. The full minute is `make loadtest`; its figures are in docs/LOAD_TEST.md."""

import importlib.util
import json
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "loadtest.py"


def load_script():
    spec = importlib.util.spec_from_file_location("loadtest", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.load
def test_twenty_users_browse_and_toggle_without_errors_or_lost_toggles(tmp_path):
    figures_path = tmp_path / "figures.json"
    result = subprocess.run(
        [
            *(sys.executable, str(SCRIPT), "--duration", "6", "--users", "20", "--flows", "200"),
            *("--json", str(figures_path), "--markdown", str(tmp_path / "summary.md")),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(figures_path.read_text())
    assert figures["errors"] == 0
    assert figures["lost_toggles"] == 0
    assert figures["flows_checked"] == 200
    # The run did real work: every kind of action, and toggles on many flows.
    done = {kind: 0 for kind in ("list", "detail", "toggle")}
    for action, row in figures["actions"].items():
        done[action.split()[0]] += row["requests"]
    assert all(count >= 5 for count in done.values()), figures["actions"]
    assert figures["flows_toggled"] >= 10


def test_the_comparison_finds_a_lost_toggle():
    loadtest = load_script()
    results = loadtest.Results()
    results.last_toggle = {1: loadtest.Toggle(True, 0.0), 2: loadtest.Toggle(False, 0.0), 3: None}
    args = Namespace(users=1, think=0)
    initial = {1: False, 2: True, 3: True, 4: True}
    # Flow 2's last toggle asked for "off" but the server still has it on; 3's outcome is unknown.
    final = {1: True, 2: True, 3: False, 4: True}
    figures = loadtest.summarize(args, results, initial, final, 1.0, 0, 0)
    assert figures["lost_flow_ids"] == [2]
    assert figures["flows_checked"] == 3


def test_an_untoggled_flow_that_changed_is_lost_too():
    loadtest = load_script()
    figures = loadtest.summarize(
        Namespace(users=1, think=0), loadtest.Results(), {1: True}, {1: False}, 1.0, 0, 0
    )
    assert figures["lost_toggles"] == 1
