"""The lab's clients for the real network check: headless Chromium or Firefox ESR running the
page's network step, or the Python reference client; each posts its figures like the page and
reports the server's judgement. Used by preflight_check.py (``client`` command) and bench/capacity.py."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from netlab_server import PLATFORM, REPO, ROLE, SECRET, TOKEN_FILE, VENV_PY  # noqa: E402,F401
from run_check import last_json  # noqa: E402


# ----- clients --------------------------------------------------------------------------------
# The --client / --mode choices and what each one is, for the tables' headings.
CLIENT_NAMES = {
    "browser": "Chromium (headless, Playwright)",
    "firefox": "Firefox ESR (headless, puppeteer-core over WebDriver BiDi)",
    "python": "Python reference client (aiortc)",
}
CLIENTS = tuple(CLIENT_NAMES)


def _tokens(path: str) -> list[str]:
    return [t for t in Path(path).read_text().split() if t]


def browser_client(url: str, token: str, timeout: float) -> dict:
    """Run the page's network step in headless Chromium; return the server's judgement and the raw payload."""
    from playwright.sync_api import sync_playwright

    chromium = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if os.access(p, os.X_OK)), None)
    if chromium is None:
        raise SystemExit("no Chromium (apt-get install chromium)")
    captured: dict = {}
    started = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",  # root inside a network namespace
                f"--unsafely-treat-insecure-origin-as-secure={url}",  # plain http on the lab's address
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        )
        context = browser.new_context(base_url=url, permissions=["camera", "microphone"])
        page = context.new_page()
        # Only the network step: the other steps' code is not loaded.
        page.route(
            "**/static/js/check-steps.*js", lambda r: r.fulfill(status=200, content_type="text/javascript", body="")
        )

        def on_response(response):
            if response.request.method == "POST" and response.url.endswith("/results"):
                try:
                    body = json.loads(response.request.post_data or "{}")
                    if "network" in body.get("checks", {}):
                        captured["raw"] = body["checks"]["network"]
                        captured["judged"] = response.json()["results"]["network"]
                except Exception as exc:  # keep the run going; reported below
                    captured["error"] = repr(exc)

        page.on("response", on_response)
        probes = os.environ.get("PREFLIGHT_NETLAB_PROBES")  # diagnostics: probe_log.js
        if probes:
            page.add_init_script(path=str(HERE / "probe_log.js"))
        if os.environ.get("PREFLIGHT_NETWORK_TRACE") == "1":
            page.add_init_script("window.PREFLIGHT_TRACE = true;")
            page.on("console", lambda message: print(message.text, file=sys.stderr, flush=True))
        # A participant reaches the network step after the other steps: by then the page has
        # fetched the network config it asks for on load (network.js). Wait for it.
        with page.expect_response(lambda response: response.url.endswith("/network/config"), timeout=15_000):
            page.goto(f"/c/{token}")
        # With media permission in use, Chrome shows real host addresses instead of mDNS names.
        page.evaluate(
            "navigator.mediaDevices.getUserMedia({audio: true}).then(s => s.getTracks().forEach(t => t.stop()))"
        )
        page.locator('[data-action="start"]').click()
        page.wait_for_selector('[data-check="network"][data-verdict]', timeout=timeout * 1000)
        deadline = time.monotonic() + 5
        while "judged" not in captured and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        if probes:
            Path(probes).write_text(json.dumps(page.evaluate("window.__pfProbes")))
        captured["browser"] = f"Chromium {browser.version}"
        browser.close()
    return _report(captured, "chromium", time.monotonic() - started)


FIREFOX_DRIVER = HERE / "firefox_client.mjs"
ENGINES_DIR = REPO / "tests" / "e2e" / "engines"


def firefox_client(url: str, token: str, timeout: float) -> dict:
    """Run the page's network step in headless Firefox ESR (firefox_client.mjs: puppeteer-core over
    WebDriver BiDi); return the server's judgement and the raw payload, as browser_client does."""
    firefox = os.environ.get("PREFLIGHT_FIREFOX") or shutil.which("firefox-esr") or shutil.which("firefox")
    missing = [
        what
        for what, ok in (
            ("firefox-esr (apt-get install firefox-esr)", firefox),
            ("node", shutil.which("node")),
            ("npm ci in tests/e2e/engines", (ENGINES_DIR / "node_modules" / "puppeteer-core").is_dir()),
        )
        if not ok
    ]
    if missing:
        raise SystemExit(f"the Firefox client needs {', '.join(missing)}")
    started = time.monotonic()
    # Firefox's console lines (PREFLIGHT_NETWORK_TRACE=1) and its own noise go straight to our stderr.
    proc = subprocess.Popen(
        ["node", str(FIREFOX_DRIVER), url, token, str(timeout)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PREFLIGHT_FIREFOX": firefox},
        cwd=ENGINES_DIR,
        start_new_session=True,  # node and its Firefox processes go together on a timeout
    )
    try:
        # The browser's start and close on top of the step; within the harness's 90 s by default.
        stdout, _ = proc.communicate(timeout=timeout + 25)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, _ = proc.communicate()
    captured = last_json(stdout) or {"error": f"firefox_client.mjs printed no JSON (exit {proc.returncode})"}
    return _report(captured, "firefox", time.monotonic() - started)


class _Http:
    """Cookie-keeping HTTP client that speaks to the app like the page (CSRF header included)."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url.rstrip("/"), token
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(f"{self.url}/c/{token}", timeout=30).read().decode()
        match = re.search(r'name="csrf-token" content="([^"]+)"', page) or re.search(r'"X-CSRFToken": "([^"]+)"', page)
        self.csrf = match.group(1) if match else ""

    def post(self, path: str, body: dict) -> tuple[int, dict, dict | None]:
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf},
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, dict(response.headers), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            data = exc.read()
            return exc.code, dict(exc.headers), json.loads(data) if data.startswith(b"{") else None


def python_client(url: str, token: str, run_id: str | None = None) -> dict:
    """Run the protocol client (aiortc) and post its payload like the page; return the judgement."""
    from preflight.network.reference_client import Plan, page_payload, run_check

    started = time.monotonic()
    http = _Http(url, token)
    run_id = run_id or f"lab-{os.getpid()}-{int(time.time() * 1000) % 10**9}"

    async def post_offer(body):
        return await asyncio.get_running_loop().run_in_executor(None, http.post, f"/c/{token}/network/offer", body)

    result = asyncio.run(run_check(post_offer, run_id, Plan()))
    raw = page_payload(result)
    status, _, judged = http.post(f"/c/{token}/results", {"run_id": run_id, "checks": {"network": raw}})
    captured = {"raw": raw}
    if status == 200:
        captured["judged"] = judged["results"]["network"]
    else:
        captured["error"] = f"results post: {status} {judged}"
    return _report(captured, "python", time.monotonic() - started)


def _report(captured: dict, client: str, seconds: float) -> dict:
    judged = captured.get("judged") or {}
    return {
        "client": client,
        "verdict": judged.get("verdict"),
        "reason": judged.get("reason"),
        "metrics": judged.get("metrics", {}),
        "raw": captured.get("raw"),
        "error": captured.get("error"),
        "browser": captured.get("browser"),
        "seconds": round(seconds, 1),
    }


def client(args) -> int:
    """Print one JSON line: the server's judgement of one run from pf-client."""
    token = _tokens(args.token_file)[0]
    if args.mode == "browser":
        out = browser_client(args.url, token, args.timeout)
    elif args.mode == "firefox":
        out = firefox_client(args.url, token, args.timeout)
    else:
        out = python_client(args.url, token)
    print(json.dumps(out), flush=True)
    return 0
