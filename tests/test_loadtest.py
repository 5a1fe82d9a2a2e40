"""A short run of the load test (bench/loadtest.py): 20 users through gunicorn, no errors, no lost
toggles. The full minute is `make loadtest`; its figures are in docs/BENCHMARKS.md."""

import json
import subprocess
import sys

import pytest

from bench.harness import ROOT
from bench.loadtest import lost_toggles


@pytest.mark.load
def test_twenty_users_browse_and_toggle_without_errors_or_lost_toggles(tmp_path):
    figures_path = tmp_path / "figures.json"
    result = subprocess.run(
        [
            *(
                sys.executable,
                "-m",
                "bench",
                "load",
                "--duration",
                "6",
                "--users",
                "20",
                "--load-flows",
                "200",
            ),
            *("--json", str(figures_path), "--markdown", str(tmp_path / "report.md")),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(figures_path.read_text())["load"]
    assert figures["errors"] == 0
    assert figures["lost_toggles"] == 0
    assert figures["flows_checked"] == 200
    # The run did real work: every kind of action, and toggles on many flows.
    assert all(figures["requests"][action] >= 5 for action in ("list", "detail", "toggle")), figures
    assert figures["flows_toggled"] >= 10
    assert "| 0 lost toggles |" in (tmp_path / "report.md").read_text()


def test_the_comparison_finds_a_lost_toggle():
    initial = {1: False, 2: True, 3: True, 4: True}
    # Flow 2's last toggle asked for "off" but the server still has it on; 3's outcome is unknown.
    final = {1: True, 2: True, 3: False, 4: True}
    lost, checked = lost_toggles(initial, final, {1: True, 2: False, 3: None})
    assert lost == [2]
    assert checked == 3


def test_an_untoggled_flow_that_changed_is_lost_too():
    assert lost_toggles({1: True}, {1: False}, {}) == ([1], 1)
