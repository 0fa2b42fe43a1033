"""Record the tutorial clip "how to run your pre-flight check" from the real page, per language.

    .venv/bin/python scripts/make_tutorial_video.py            # every shipped language
    .venv/bin/python scripts/make_tutorial_video.py fr de      # some of them

For each language: a throw-away app (temporary SQLite database, real blueprints,
real aiortc network peer) is served on loopback; Debian's Chromium, with fake
camera and microphone, opens a participant's link and runs the whole check the
way a participant would, while the script takes a screenshot several times a
second. The frames are encoded with PyAV into WebM/VP8 and the captions
(``preflight/guides/tutorial.py``, translated in the message catalog) are timed
to the moments they describe, into WebVTT:

    static/tutorials/<locale>/how-to-run-check.webm
    static/tutorials/<locale>/how-to-run-check.vtt

The clip therefore never shows a stale page: regenerate it after changing the page.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
from flask_babel import force_locale  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from preflight import create_app  # noqa: E402
from preflight import migrate as migrations  # noqa: E402
from preflight.db import get_engine, session_scope  # noqa: E402
from preflight.guides.tutorial import CAPTIONS, SLUG  # noqa: E402
from preflight.links import issue_link  # noqa: E402
from preflight.models import Event, Participant, utcnow  # noqa: E402

CHROMIUM = os.environ.get("PREFLIGHT_CHROMIUM", "/usr/bin/chromium")
WIDTH, HEIGHT = 640, 400  # small and legible: a few hundred KB per clip
FPS = 4
BITRATE = 70_000  # mostly still text: VP8 keeps it sharp at this rate
KEYFRAME_EVERY = 10  # seconds (seeking granularity)
STEP_TIMEOUT = 90  # seconds for the whole check
SAMPLE = {  # a participant and event per language, so the page looks like theirs
    "en": ("Alex Morgan", "Annual members' meeting"),
    "fr": ("Camille Durand", "Assemblée générale annuelle"),
    "de": ("Jonas Becker", "Jährliche Mitgliederversammlung"),
    "es": ("Lucía García", "Asamblea general anual"),
}


class Recorder:
    """Screenshots with timestamps, and the moments captions refer to."""

    def __init__(self, page):
        self.page = page
        self.start = time.monotonic()
        self.frames: list[tuple[float, bytes]] = []
        self.moments: list[tuple[float, str]] = []

    def now(self) -> float:
        return time.monotonic() - self.start

    def tick(self) -> None:
        """Take one frame if the last one is older than a frame interval."""
        if not self.frames or self.now() - self.frames[-1][0] >= 1 / FPS:
            self.frames.append((self.now(), self.page.screenshot(type="jpeg", quality=80)))

    def wait(self, seconds: float) -> None:
        """Keep filming for ``seconds``."""
        end = self.now() + seconds
        while self.now() < end:
            self.tick()
            self.page.wait_for_timeout(40)

    def moment(self, name: str) -> None:
        """Mark the moment a caption describes (once)."""
        if name in CAPTIONS and name not in [m for _, m in self.moments]:
            self.moments.append((self.now(), name))


def build_app(tmp: Path, locale: str):
    """An app on a fresh SQLite database with one event and one participant speaking ``locale``."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp / 'tutorial.sqlite3'}",
            "SECRET_KEY": "tutorial-recording-" + "x" * 40,
            "BASE_URL": "http://127.0.0.1",
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
        }
    )
    app.instance_path = str(tmp)
    name, event_name = SAMPLE.get(locale, SAMPLE["en"])
    with app.app_context():
        migrations.upgrade(get_engine())
        with session_scope() as session:
            starts = (utcnow() + timedelta(days=3)).replace(hour=14, minute=0, second=0, microsecond=0)
            event = Event(
                name=event_name,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                timezone="Europe/Paris",
                platform="zoom",
                default_language=locale,
                support_email="support@example.org",
            )
            session.add(event)
            session.flush()
            participant = Participant(event_id=event.id, name=name, email="tutorial@example.org", language=locale)
            token = issue_link(participant)
            session.add(participant)
    return app, token


def drive(page, rec: Recorder, url: str) -> None:
    """Run the check as a participant would, marking the captioned moments."""
    page.goto(url)
    rec.moment("open")
    rec.wait(3.5)
    rec.moment("start")
    rec.wait(2.5)
    page.click('[data-action="start"]')
    answered = False
    deadline = rec.now() + STEP_TIMEOUT
    current = None
    while rec.now() < deadline:
        rec.tick()
        running = page.query_selector("[data-check].is-running")
        name = running.get_attribute("data-check") if running else None
        if name and name != current:
            current = name
            running.scroll_into_view_if_needed()
            rec.moment(name)
        play = page.query_selector('[data-action="play-sound"]:not([disabled])')
        if play and not answered and current == "speakers":
            rec.wait(1.5)
            play.click()
        yes = page.query_selector('[data-answer="yes"]:not([disabled])')
        if yes and not answered:
            rec.wait(2.0)
            yes.click()
            answered = True
        summary = page.query_selector('[data-role="summary"]:not([hidden])')
        if summary:
            summary.scroll_into_view_if_needed()
            rec.moment("results")
            rec.wait(6)
            return
        page.wait_for_timeout(40)
    raise RuntimeError("the check did not finish in time")


def decode_jpeg(data: bytes) -> av.VideoFrame:
    """One screenshot as a video frame."""
    with av.open(io.BytesIO(data), format="jpeg_pipe") as container:
        return next(container.decode(video=0))


def encode(frames: list[tuple[float, bytes]], target: Path) -> None:
    """Constant-rate WebM/VP8: at each tick, the latest screenshot taken by then."""
    duration = frames[-1][0]
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part.webm")
    with av.open(str(partial), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.bit_rate = BITRATE
        stream.codec_context.time_base = Fraction(1, FPS)
        stream.codec_context.gop_size = KEYFRAME_EVERY * FPS
        stream.options = {"deadline": "good", "cpu-used": "1", "qmax": "63"}
        index, cached = 0, (None, None)
        for n in range(int(duration * FPS) + 1):
            t = n / FPS
            while index + 1 < len(frames) and frames[index + 1][0] <= t:
                index += 1
            if cached[0] != index:
                cached = (index, decode_jpeg(frames[index][1]).reformat(WIDTH, HEIGHT, "yuv420p"))
            frame = cached[1]
            frame.pts = n
            frame.time_base = Fraction(1, FPS)
            # Decoded JPEGs are marked as key frames; let the encoder choose, or every frame is one.
            frame.pict_type = av.video.frame.PictureType.NONE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    partial.replace(target)


def vtt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def write_captions(app, locale: str, moments: list[tuple[float, str]], end: float, target: Path) -> None:
    """WebVTT: each caption from its moment until the next one."""
    lines = ["WEBVTT", ""]
    with app.test_request_context(), force_locale(locale):
        for i, (start, name) in enumerate(moments):
            stop = moments[i + 1][0] if i + 1 < len(moments) else end
            if stop - start < 0.5:
                continue
            lines += [name, f"{vtt_time(start)} --> {vtt_time(stop)}", str(CAPTIONS[name]), ""]
    target.write_text("\n".join(lines), encoding="utf-8")


def record(locale: str, out_dir: Path, playwright) -> tuple[Path, Path]:
    """Record one language; the paths of the clip and its captions."""
    tmp = Path(tempfile.mkdtemp(prefix=f"tutorial-{locale}-"))
    try:
        app, token = build_app(tmp, locale)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            context = browser.new_context(
                viewport={"width": WIDTH, "height": HEIGHT},
                device_scale_factor=1,
                permissions=["camera", "microphone"],
                locale=locale,
                timezone_id="Europe/Paris",
            )
            page = context.new_page()
            rec = Recorder(page)
            drive(page, rec, f"http://127.0.0.1:{server.server_port}/c/{token}")
            context.close()
        finally:
            browser.close()
            server.shutdown()
            app.extensions["preflight_engine"].dispose()
        video = out_dir / locale / f"{SLUG}.webm"
        captions = out_dir / locale / f"{SLUG}.vtt"
        encode(rec.frames, video)
        write_captions(app, locale, rec.moments, rec.frames[-1][0], captions)
        return video, captions
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("locales", nargs="*", help="languages to record (default: every shipped language)")
    parser.add_argument("--out", default=str(ROOT / "static" / "tutorials"), help="output folder")
    args = parser.parse_args(argv)
    from preflight.config import load_settings

    locales = args.locales or load_settings()["LOCALES"]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request log in the output
    with sync_playwright() as playwright:
        for locale in locales:
            started = time.monotonic()
            video, captions = record(locale, Path(args.out), playwright)
            print(
                f"{locale}: {video.relative_to(ROOT) if video.is_relative_to(ROOT) else video} "
                f"{video.stat().st_size // 1024} KB, {captions.name}, {time.monotonic() - started:.0f} s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
