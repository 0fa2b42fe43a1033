"""The network step's progress (network-support.js, ``Display.say``), run under Node: a phase that
grows longer as it runs (a lossy idle phase doubles, a crowded fast half gives time back) must not
move the participant's progress bar back."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parents[2] / "static" / "js"


def progress(*displays: list[float]) -> list[dict]:
    """Each list of fractions said through a fresh ``Display`` on a fake step; what its bar and the
    page's progress card were given each time."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    program = (
        "globalThis.window = globalThis;\n"
        "globalThis.document = { documentElement: { lang: 'en' }, querySelector: function () { return null; } };\n"
        + (JS / "network-stats.js").read_text()
        + (JS / "network-support.js").read_text()
        + f"""
        var bar = {{ value: 0 }}, out = [];
        var step = {{ querySelector: function (selector) {{
          return selector === '[data-role="step-progress"]' ? bar : null;
        }} }};
        {json.dumps(list(displays))}.forEach(function (fractions) {{
          var card = [], bars = [];
          var display = new window.PreflightNetSupport.Display({{
            el: step, progress: function (fraction) {{ card.push(fraction); }}
          }});
          fractions.forEach(function (f) {{ display.say("latency", f); bars.push(bar.value); }});
          out.push({{ bar: bars, card: card }});
        }});
        process.stdout.write(JSON.stringify(out));
        """
    )
    done = subprocess.run([node, "-e", program], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def test_a_phase_that_grows_longer_holds_the_bar_instead_of_moving_it_back():
    # Halfway through a 3 s first half (0.2), the idle phase doubles: its share falls to 0.15.
    got = progress([0.1, 0.2, 0.15, 0.18, 0.3, 1.2])
    assert got[0]["bar"] == [10, 20, 20, 20, 30, 100]
    assert got[0]["card"] == [0.1, 0.2, 0.2, 0.2, 0.3, 1]


def test_a_check_run_again_starts_its_bar_from_the_start():
    got = progress([0.5, 1.0], [0.01, 0.05])
    assert got[0]["bar"] == [50, 100]
    assert got[1]["bar"] == [1, 5] and got[1]["card"] == [0.01, 0.05]
