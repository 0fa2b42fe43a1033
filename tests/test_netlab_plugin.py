"""bench/netlab's plug-in for the real check (preflight_check.py, netlab_clients.py) without the lab:
the client choices, the Firefox client's wrapper around its node script, and the tables naming
which client ran. The lab runs themselves need root and minutes (docs/netlab.md)."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def plugin():
    spec = importlib.util.spec_from_file_location("preflight_check", ROOT / "bench" / "netlab" / "preflight_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # puts bench/netlab on sys.path for its siblings
    return module


@pytest.fixture(scope="module")
def scenarios(plugin):
    import scenarios

    return scenarios


def _result(client: str, browser: str | None, **metrics) -> dict:
    """A client's report as netlab_clients._report shapes it."""
    figures = dict(download_kbps=19500, upload_kbps=19700, rtt_ms=10.4, loss_down_pct=0, loss_up_pct=0)
    figures.update(metrics)
    return {
        "client": client,
        "verdict": "pass",
        "reason": "network_ok",
        "metrics": figures,
        "raw": {"duration_ms": 10300},
        "error": None,
        "browser": browser,
        "seconds": 20.1,
    }


def _record(plugin, scenarios, name: str, result: dict | None, error: str | None = None) -> dict:
    sc = scenarios.get(name)
    judgement = plugin.compare(sc, result) if result else None
    return {"scenario": sc.as_dict(), "result": result, "judgement": judgement, "error": error, "repeat": 0}


@pytest.mark.parametrize("command", ["bench", "sweep-burst"])
def test_firefox_is_a_client_choice_of_the_bench_and_the_sweep(plugin, monkeypatch, command):
    seen = {}
    monkeypatch.setattr(plugin, command.replace("-", "_"), lambda args: seen.setdefault("client", args.client) and 0)
    assert plugin.main([command, "--client", "firefox"]) == 0
    assert seen["client"] == "firefox"
    with pytest.raises(SystemExit):
        plugin.main([command, "--client", "webkit"])


def test_the_client_command_runs_the_firefox_client(plugin, monkeypatch, tmp_path, capsys):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("tok-1\n")
    calls = []
    clients = sys.modules["netlab_clients"]
    monkeypatch.setattr(clients, "firefox_client", lambda *args: calls.append(args) or {})
    argv = ["client", "--url", "http://10.99.2.2:5000", "--token-file", str(tokens), "--mode", "firefox"]
    assert plugin.main(argv) == 0
    assert calls == [("http://10.99.2.2:5000", "tok-1", 60.0)]
    assert json.loads(capsys.readouterr().out) == {}


def test_the_bench_runs_the_client_it_was_given(plugin):
    class Args:
        token_file, workers, client = "/tmp/t.txt", 1, "firefox"

    _, client_cmd = plugin._commands(Args)
    assert client_cmd.endswith("--mode firefox")


class _FakeNode:
    """What subprocess.Popen returns for firefox_client.mjs: its stdout, and the argv it got."""

    argv: list[str] = []

    def __init__(self, argv, **kwargs):
        _FakeNode.argv = argv
        self.pid, self.returncode = 0, 0
        payload = {
            "raw": {"state": "connected", "duration_ms": 11200},
            "judged": {"verdict": "pass", "reason": "network_ok", "metrics": {"rtt_ms": 11}},
            "error": None,
            "browser": "firefox/153.8.0",
        }
        self.stdout = io.StringIO("puppeteer noise\n" + json.dumps(payload) + "\n")

    def communicate(self, timeout=None):
        return self.stdout.read(), None


def test_the_firefox_client_reports_like_the_chromium_one(plugin, monkeypatch):
    clients = sys.modules["netlab_clients"]
    monkeypatch.setattr(clients.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(clients.subprocess, "Popen", _FakeNode)
    out = clients.firefox_client("http://10.99.2.2:5000", "tok-1", 60)
    assert _FakeNode.argv[1:] == [str(clients.FIREFOX_DRIVER), "http://10.99.2.2:5000", "tok-1", "60"]
    assert set(out) == set(clients._report({}, "chromium", 0))
    assert (out["client"], out["verdict"], out["reason"], out["browser"]) == (
        "firefox",
        "pass",
        "network_ok",
        "firefox/153.8.0",
    )
    assert out["raw"]["state"] == "connected" and out["metrics"] == {"rtt_ms": 11} and out["error"] is None


def test_the_firefox_client_says_what_is_missing(plugin, monkeypatch):
    clients = sys.modules["netlab_clients"]
    monkeypatch.delenv("PREFLIGHT_FIREFOX", raising=False)
    monkeypatch.setattr(clients.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="firefox-esr.*node"):
        clients.firefox_client("http://10.99.2.2:5000", "tok-1", 60)


class _HungNode(_FakeNode):
    """A node script that outlives its timeout and prints nothing once killed."""

    def communicate(self, timeout=None):
        if timeout is not None:
            raise subprocess.TimeoutExpired("node", timeout)
        return "", None


def test_a_hung_node_script_is_killed_and_reported(plugin, monkeypatch):
    clients = sys.modules["netlab_clients"]
    killed = []
    monkeypatch.setattr(clients.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(clients.subprocess, "Popen", _HungNode)
    monkeypatch.setattr(clients.os, "killpg", lambda pid, sig: killed.append(pid))
    out = clients.firefox_client("http://10.99.2.2:5000", "tok-1", 5)
    assert killed == [0]  # the script's whole process group: node and its Firefox
    assert out["verdict"] is None and "printed no JSON" in out["error"]


def test_the_tables_say_which_client_ran(plugin, scenarios):
    firefox = [_record(plugin, scenarios, "fibre", _result("firefox", "firefox/153.8.0"))]
    chromium = [_record(plugin, scenarios, "fibre", _result("chromium", "Chromium 156.0.8078.114"))]
    assert plugin.table(firefox).splitlines()[0] == (
        "Client: Firefox ESR (headless, puppeteer-core over WebDriver BiDi) (`--client firefox`), firefox/153.8.0"
    )
    heading = plugin.runs_table(chromium).splitlines()[0]
    assert heading.startswith("Client: Chromium (headless, Playwright) (`--client browser`)")
    # A run that never got a result: the choice given on the command line names the client.
    failed = [_record(plugin, scenarios, "dsl", None, error="client exceeded 90s")]
    assert "(`--client firefox`)" in plugin.table(failed, "firefox").splitlines()[0]
    assert "| dsl | (run) | | | client exceeded 90s | | no |" in plugin.table(failed, "firefox")


def test_one_row_per_run_with_the_judgement(plugin, scenarios):
    dsl = _result("firefox", None, download_kbps=6000, upload_kbps=1000)
    dsl["raw"].update(download_window_kbps=6400.4, download_busy_kbps=6000.2)
    rows = plugin.runs_table(
        [_record(plugin, scenarios, "fibre", _result("firefox", None)), _record(plugin, scenarios, "dsl", dsl)]
    ).splitlines()
    fibre, dsl = rows[-2], rows[-1]
    # The page's two download estimates and the server's two upload ones, where the run has them.
    assert fibre.startswith(
        "| fibre | 0 | 20000 → 19500 (-2.5 %) [- / -] | 20000 → 19700 (-1.5 %) [- / -] | 10 → 10.4 |"
    )
    assert "| 8000 → 6000 (-25.0 % ✗) [6400 / 6000] |" in dsl
    assert fibre.endswith("| pass network_ok / pass network_ok | 10.3 | yes |")
    assert "8000 → 6000 (-25.0 % ✗)" in dsl and dsl.endswith("| no |")


def test_the_table_command_reads_saved_runs(plugin, scenarios, tmp_path, capsys):
    saved = tmp_path / "runs.json"
    saved.write_text(json.dumps([_record(plugin, scenarios, "fibre", _result("firefox", "firefox/153.8.0"))]))
    assert plugin.main(["table", str(saved), "--runs"]) == 0
    out = capsys.readouterr().out
    assert "`--client firefox`" in out and "| fibre | 0 | 20000 → 19500" in out


def test_the_server_runs_this_checkouts_code(plugin, tmp_path):
    """A worktree sharing another checkout's virtual environment (an A/B run) serves its own code:
    the editable install would otherwise win, as gunicorn imports the app before --chdir applies."""
    import netlab_server

    env, tokens = netlab_server.prepare(tmp_path, "http://127.0.0.1:5999", participants=1)
    assert len(tokens) == 1
    first = env["PYTHONPATH"].split(os.pathsep)[0]
    assert Path(first) == ROOT
    probe = "import preflight, sys; sys.stdout.write(preflight.__file__)"
    where = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert Path(where.stdout).resolve().is_relative_to(ROOT.resolve()), where
