"""Real-browser fixtures: Debian's Chromium driven by Playwright against the app served in-process.

- No Chromium: the tests skip with the reason, unless ``PREFLIGHT_REQUIRE_BROWSER=1`` (CI) makes
  that a failure. ``PREFLIGHT_CHROMIUM`` may point at the binary.
- One live server per session (``werkzeug.serving.make_server`` on 127.0.0.1:0, a thread) on the
  test database, with CSRF on; tests create participants with the usual factories.
- Fake devices: ``--use-fake-device-for-media-stream``; vary them per test with
  ``@pytest.mark.parametrize("browser_type_launch_args", [{"video": "black"}], indirect=True)``
  (keys: ``video`` black|frozen, ``audio`` silence, ``devices`` none). Context options per test:
  ``@pytest.mark.browser_context_args(permissions=[])``.
"""

from __future__ import annotations

import os
import shutil
import struct
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from preflight import create_app

E2E_DIR = Path(__file__).resolve().parent
AXE = E2E_DIR / "vendor" / "axe-4.11.0.min.js"
LIVE_SECRET = "e2e-secret-key-long-enough-for-production-checks-0123456789"
CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")


def find_chromium() -> str | None:
    """The Chromium binary to drive (the real one, not Debian's wrapper script, when possible)."""
    explicit = os.environ.get("PREFLIGHT_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for path in CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_itemcollected(item):
    """Every test in this folder is an e2e test (marked as it is collected, so ``-m`` sees it)."""
    if E2E_DIR in Path(str(item.fspath)).parents:
        item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Every browser test runs after all the others.

    While Playwright's sync API lives (pytest-playwright's session fixture), it keeps its asyncio
    loop marked as running in the main thread, so a later test calling ``asyncio.run()`` would fail.
    Runs last (trylast) so that pytest's grouping by parametrized browsers is kept.
    """
    browser = [item for item in items if "playwright" in getattr(item, "fixturenames", ())]
    if browser:
        uses_browser = set(map(id, browser))
        items[:] = [item for item in items if id(item) not in uses_browser] + browser


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Skip (or fail under CI) when there is no browser."""
    path = find_chromium()
    if path is None:
        reason = "no Chromium found (apt-get install chromium, or set PREFLIGHT_CHROMIUM)"
        if os.environ.get("PREFLIGHT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; PREFLIGHT_REQUIRE_BROWSER=1 makes this an error", pytrace=False)
        pytest.skip(reason)
    return path


# --- fake media files ---------------------------------------------------------------------------


def write_y4m(path: Path, luma_of, width: int = 640, height: int = 480) -> Path:
    """A one-frame 4:2:0 y4m at 20 fps (Chrome loops it): ``luma_of(x, y)`` gives Y, chroma is neutral."""
    rows = bytearray()
    for y in range(height):
        rows.extend(bytes(luma_of(x, y) for x in range(width)) if callable(luma_of) else bytes([luma_of]) * width)
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F20:1 Ip A1:1 C420jpeg\n".encode())
        out.write(b"FRAME\n" + bytes(rows) + chroma + chroma)
    return path


def write_silent_wav(path: Path, seconds: float = 1.0, rate: int = 48000) -> Path:
    """16-bit mono PCM of digital silence."""
    frames = int(seconds * rate)
    data = b"\x00\x00" * frames
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", len(data))
    path.write_bytes(header + data)
    return path


@pytest.fixture(scope="session")
def media_files(tmp_path_factory) -> dict[str, Path]:
    """Fake camera and microphone inputs, generated once per session."""
    folder = tmp_path_factory.mktemp("fake-media")
    return {
        # Y=16 is black in video range: a covered lens.
        "black": write_y4m(folder / "black.y4m", 16),
        # A still, textured picture: the same frame again and again.
        "frozen": write_y4m(folder / "frozen.y4m", lambda x, y: 40 + ((x // 16 + y // 16) % 2) * 150),
        "silence": write_silent_wav(folder / "silence.wav"),
    }


@pytest.fixture(scope="session")
def browser_type_launch_args(pytestconfig, chromium_path, media_files, request):
    """Launch Debian's Chromium with fake devices; a test's indirect param picks the fake inputs.

    Replaces the plugin's fixture (which would pass the param's keys to ``launch()``).
    """
    wanted = dict(getattr(request, "param", None) or {})
    args = [] if wanted.get("devices") == "none" else ["--use-fake-device-for-media-stream"]
    if wanted.get("video"):
        args.append(f"--use-file-for-fake-video-capture={media_files[wanted['video']]}")
    if wanted.get("audio"):
        args.append(f"--use-file-for-fake-audio-capture={media_files[wanted['audio']]}")
    return {"executable_path": chromium_path, "args": args, "headless": not pytestconfig.getoption("--headed")}


# --- the live server ------------------------------------------------------------------------------


# The browser's network checks run over loopback, where a rate is what the CPU carries: at the
# default 30 Mbit/s cap the server's aiortc takes most of a core, and on a slow or shared CI machine
# a starved server read a presenter's upload as too low and its loaded delay as bufferbloat. 8 Mbit/s
# is above every platform's need (preflight/profiles) at a quarter of the CPU, as an operator of a
# small server would set it (docs/capacity.md).
#
# The few tests that need a loopback check to *pass* (not only to show figures) are marked
# ``flaky(reruns=2)`` (pytest-rerunfailures): on CI's machine, and never on a development machine
# or in the shaped lab, a loopback upload has read a few hundred kbit/s with no queue and no loss,
# cause not found. On a machine half as fast it read low twice in a row once (2026-12-07), hence a
# second rerun. Each failed attempt, with what the server stored, stays in the report; a third
# failure fails the test.
LOOPBACK_RATE_CAP_KBPS = 8000


@pytest.fixture(scope="session")
def live_app(migrated_database, tmp_path_factory):
    """The app the browser talks to: the test database, CSRF on, rate limits off, the network
    check's pace capped (LOOPBACK_RATE_CAP_KBPS)."""
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": migrated_database,
            "SECRET_KEY": LIVE_SECRET,
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
            "SMTP_HOST": "",
            "NETWORK_RATE_CAP_KBPS": LOOPBACK_RATE_CAP_KBPS,
        }
    )
    application.instance_path = str(tmp_path_factory.mktemp("live-instance"))
    yield application
    application.extensions["preflight_engine"].dispose()


@pytest.fixture(scope="session")
def live_server(live_app, chromium_path):
    """``http://127.0.0.1:<port>`` serving ``live_app`` from a thread."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    try:  # the network check's aiortc peers live in a loop thread of this process
        from preflight.network.host import shutdown
    except ImportError:
        pass
    else:
        shutdown()


@pytest.fixture
def app_config(app_config, live_app):
    """Factories sign links with the live server's key, so the browser can open them."""
    app_config["SECRET_KEY"] = live_app.config["SECRET_KEY"]
    return app_config


@pytest.fixture(scope="session")
def base_url(live_server):
    """Playwright resolves ``page.goto("/c/...")`` against the live server."""
    return live_server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Camera and microphone allowed, English, a laptop-sized window."""
    return {
        **browser_context_args,
        "permissions": ["camera", "microphone"],
        "locale": "en-GB",
        "viewport": {"width": 1024, "height": 800},
    }


@pytest.fixture
def page(page):
    """The plugin's page, with generous timeouts and a record of console errors (``page.errors``)."""
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.errors = errors
    return page


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core, vendored (MPL-2.0, licence next to it)."""
    return AXE.read_text(encoding="utf-8")
