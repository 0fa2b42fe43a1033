"""Harness: run the network check's server and client on every shaped link and collect results.

For each scenario: apply it, start SERVER_CMD in pf-server, wait until it listens on
10.99.2.2:PORT (TCP), run CLIENT_CMD in pf-client, take the last JSON object it prints on stdout,
stop the server, and hand (scenario, result) to `judge()`.

    python3 bench/netlab/run_check.py --demo                      # stub server/client, proves the harness
    python3 bench/netlab/run_check.py dsl 4g \\
        --server-cmd '.venv/bin/python -m preflight.network.labserver --host {server_ip} --port {port}' \\
        --client-cmd '.venv/bin/python -m preflight.network.labclient --url {url}' \\
        --json results.json

Commands are split with shlex; these placeholders are filled in: {server_ip} {client_ip} {port}
{url} (http://server_ip:port) {scenario} (name) {repo} (the repository root).  Both commands
also get PREFLIGHT_NETLAB_SCENARIO (the scenario as JSON) in their environment.  Commands run as
root inside the namespaces, from the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
import lab as netlab  # noqa: E402
import scenarios as scen  # noqa: E402

DEMO_SERVER = f"{sys.executable} {HERE / 'stub_check.py'} server --host {{server_ip}} --port {{port}}"
DEMO_CLIENT = f"{sys.executable} {HERE / 'stub_check.py'} client --url {{url}}"


def judge(scenario: scen.Scenario, result: dict) -> dict:
    """Whether `result` (the client's JSON) has the verdict `scenario` expects.

    The generic judge of the harness; `preflight_check.py` replaces it with the real comparison
    (measured against configured figures per direction). Returns {"ok": True/False/None, "why": ...};
    None means "not judged".
    """
    got = result.get("verdict")
    if scenario.expected_verdict is None or got is None:
        return {"ok": None, "why": "no expected verdict or no verdict in the result"}
    ok = got == scenario.expected_verdict
    return {"ok": ok, "why": f"verdict {got!r}, expected {scenario.expected_verdict!r}"}


def fill(template: str, values: dict) -> list[str]:
    """Split a command template and substitute the placeholders."""
    return [part.format(**values) for part in shlex.split(template)]


def wait_for_port(lab: netlab.Lab, host: str, port: int, timeout: float, server) -> None:
    """Wait until a TCP connect from pf-client to host:port succeeds (or the server dies)."""
    probe = f"import socket,sys\ns=socket.socket();s.settimeout(1)\nsys.exit(s.connect_ex(({host!r},{port})))"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.poll() is not None:
            raise netlab.LabError(f"server exited early with code {server.returncode}")
        if lab.run_in(netlab.CLIENT_NS, [sys.executable, "-c", probe], timeout=10).returncode == 0:
            return
        time.sleep(0.2)
    raise netlab.LabError(f"server not listening on {host}:{port} after {timeout}s")


def last_json(text: str) -> dict | None:
    """The last stdout line that is a JSON object (clients may log other lines before it)."""
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def start_capture(lab: netlab.Lab, sc: scen.Scenario, args) -> subprocess.Popen | None:
    """With PREFLIGHT_NETLAB_CAPTURE=1 and --log-dir: the UDP headers arriving at pf-server
    and its TCP (before its delay program) in DIR/capture-<scenario>-<time>.pcap, for set-ups like the
    server trace's per-connection counts (PREFLIGHT_NETWORK_TRACE=1)."""
    if os.environ.get("PREFLIGHT_NETLAB_CAPTURE") != "1" or not args.log_dir:
        return None
    path = Path(args.log_dir) / f"capture-{sc.name}-{int(time.time())}.pcap"
    argv = ["tcpdump", "-i", netlab.SERVER_IF, "-s", "400", "-U", "-w", str(path), "udp or tcp"]
    proc = lab.popen_in(netlab.SERVER_NS, argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # tcpdump opens its socket before the server starts
    return proc


def run_one(lab: netlab.Lab, sc: scen.Scenario, args) -> dict:
    """Apply `sc`, run server + client once, and return the record for this run."""
    lab.apply(sc)
    values = {
        "server_ip": netlab.SERVER_IP,
        "client_ip": netlab.CLIENT_IP,
        "port": args.port,
        "url": f"http://{netlab.SERVER_IP}:{args.port}",
        "scenario": sc.name,
        "repo": str(REPO),
    }
    env = dict(os.environ, PREFLIGHT_NETLAB_SCENARIO=json.dumps(sc.as_dict()))
    # One log per run (a repeated scenario keeps every run's), named like the capture.
    log_path = Path(args.log_dir) / f"server-{sc.name}-{int(time.time())}.log" if args.log_dir else None
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    server = lab.popen_in(
        netlab.SERVER_NS, fill(args.server_cmd, values), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    record = {"scenario": sc.as_dict(), "result": None, "judgement": None, "error": None}
    capture = start_capture(lab, sc, args)
    started = time.monotonic()
    try:
        wait_for_port(lab, netlab.SERVER_IP, args.port, args.server_timeout, server)
        res = lab.run_in(
            netlab.CLIENT_NS, fill(args.client_cmd, values), timeout=args.client_timeout, cwd=REPO, env=env
        )
        record["client_returncode"] = res.returncode
        record["client_stderr_tail"] = res.stderr[-2000:]
        record["result"] = last_json(res.stdout)
        if record["result"] is None:
            record["error"] = "client printed no JSON object"
        else:
            record["judgement"] = judge(sc, record["result"])
    except subprocess.TimeoutExpired:
        record["error"] = f"client exceeded {args.client_timeout}s"
    except netlab.LabError as exc:
        record["error"] = str(exc)
    finally:
        lab.stop(server)
        if capture is not None:
            lab.stop(capture)
        if log_path:
            log.close()
    # The delay programs' own figures for this run: a late release looks like a queue.
    record["delayq"] = lab.stop_delays()
    record["seconds"] = round(time.monotonic() - started, 1)
    return record


def parser() -> argparse.ArgumentParser:
    """The harness's options (also used by preflight_check.py's sweep, which picks its own links)."""
    p = argparse.ArgumentParser(description="Run the network check on every shaped link.")
    p.add_argument("names", nargs="*", help="scenario names (default: all)")
    p.add_argument("--server-cmd", help="command started in pf-server (template)")
    p.add_argument("--client-cmd", help="command run in pf-client, prints JSON (template)")
    p.add_argument("--demo", action="store_true", help="use the stub server/client (stub_check.py)")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--repeat", type=int, default=1, help="runs per scenario")
    p.add_argument("--server-timeout", type=float, default=30, help="seconds to wait for the server")
    p.add_argument("--client-timeout", type=float, default=120, help="seconds per client run")
    p.add_argument("--log-dir", help="write each server's output to DIR/server-<scenario>-<time>.log (one per run)")
    p.add_argument("--json", help="write every record to this file")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios (all by default) and print one summary line each."""
    p = parser()
    a = p.parse_args(argv)
    if a.demo:
        a.server_cmd, a.client_cmd = a.server_cmd or DEMO_SERVER, a.client_cmd or DEMO_CLIENT
    if not (a.server_cmd and a.client_cmd):
        p.error("give --server-cmd and --client-cmd (or --demo)")
    if a.log_dir:
        Path(a.log_dir).mkdir(parents=True, exist_ok=True)
    chosen = [scen.get(n) for n in a.names] if a.names else list(scen.SCENARIOS)
    records = run_all(chosen, a)
    failed = [r for r in records if r["error"] or (r["judgement"] or {}).get("ok") is False]
    return 1 if failed else 0


def run_all(chosen: list[scen.Scenario], a) -> list[dict]:
    """Run every scenario of `chosen` a.repeat times on one lab (bounded in time); return the
    records, also written to a.json when given. `a` carries main()'s options."""
    netlab.exit_on_signals()
    netlab.deadline(len(chosen) * a.repeat * (a.client_timeout + a.server_timeout + 30) + 60)
    records = []
    with netlab.Lab() as lab:
        for sc in chosen:
            for i in range(a.repeat):
                rec = run_one(lab, sc, a)
                rec["repeat"] = i
                records.append(rec)
                verdict = (rec["result"] or {}).get("verdict")
                ok = (rec["judgement"] or {}).get("ok")
                print(
                    f"{sc.name:12} run {i}: {rec['seconds']:>5}s verdict={verdict!s:8} ok={ok!s:5} "
                    f"{rec['error'] or ''}",
                    flush=True,
                )
    if a.json:
        Path(a.json).write_text(json.dumps(records, indent=1))
    return records


if __name__ == "__main__":
    sys.exit(main())
