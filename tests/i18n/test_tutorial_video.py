"""The tutorial recorder's encoding and captions (the full recording runs with `make tutorial-videos`)."""

from __future__ import annotations

import importlib.util
import io
from fractions import Fraction
from hashlib import sha256

import av
import pytest

from preflight import PROJECT_ROOT
from preflight.guides.tutorial import CAPTIONS

spec = importlib.util.spec_from_file_location(
    "make_tutorial_video", PROJECT_ROOT / "scripts" / "make_tutorial_video.py"
)
recorder = importlib.util.module_from_spec(spec)
spec.loader.exec_module(recorder)


def jpeg(shade: int) -> bytes:
    """A flat grey JPEG the size of the clip."""
    frame = av.VideoFrame(recorder.WIDTH, recorder.HEIGHT, "yuvj420p")
    for plane, value in zip(frame.planes, (shade, 128, 128)):
        plane.update(bytes([value]) * plane.buffer_size)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mjpeg") as container:
        stream = container.add_stream("mjpeg", rate=1)
        stream.width, stream.height, stream.pix_fmt = recorder.WIDTH, recorder.HEIGHT, "yuvj420p"
        stream.codec_context.time_base = Fraction(1, 1)
        frame.pts = 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def test_encode_gives_a_constant_rate_webm(tmp_path):
    frames = [(0.0, jpeg(30)), (1.0, jpeg(200)), (2.5, jpeg(90))]
    target = tmp_path / "clip.webm"
    recorder.encode(frames, target)
    with av.open(str(target)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "libvpx" or stream.codec_context.name == "vp8"
        decoded = list(container.decode(video=0))
    assert len(decoded) == int(2.5 * recorder.FPS) + 1
    assert (decoded[0].width, decoded[0].height) == (recorder.WIDTH, recorder.HEIGHT)
    assert not (tmp_path / "clip.part.webm").exists()


@pytest.mark.parametrize("locale", ["en", "fr", "de", "es"])
def test_captions_are_webvtt_in_the_language(app, tmp_path, locale):
    moments = [(0.5, "open"), (3.0, "start"), (5.8, "browser"), (6.0, "results")]
    target = tmp_path / "c.vtt"
    recorder.write_captions(app, locale, moments, 9.0, target)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n")
    assert "00:00:00.500 --> 00:00:03.000" in text
    assert "00:00:06.000 --> 00:00:09.000" in text
    assert "\nbrowser\n" not in text  # shorter than half a second: not shown
    with app.test_request_context(f"/?lang={locale}"):
        assert str(CAPTIONS["results"]) in text


def test_vtt_time():
    assert recorder.vtt_time(3725.5) == "01:02:05.500"


@pytest.mark.parametrize("locale", ["en", "fr", "de", "es"])
def test_every_shipped_language_has_its_clip_with_captions(client, locale):
    folder = PROJECT_ROOT / "static" / "tutorials" / locale
    video, captions = folder / "how-to-run-check.webm", folder / "how-to-run-check.vtt"
    assert 20_000 < video.stat().st_size < 600_000  # a real clip, yet small
    text = captions.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT")
    html = client.get(f"/guides/how-to-run-check?lang={locale}").get_data(as_text=True)
    # the fingerprinted name of that very file (cached for a year)
    assert (
        f'src="/static/tutorials/{locale}/how-to-run-check.{sha256(video.read_bytes()).hexdigest()[:12]}.webm"' in html
    )
    assert f'srclang="{locale}"' in html
    with client.application.test_request_context(f"/?lang={locale}"):
        assert str(CAPTIONS["results"]) in text
