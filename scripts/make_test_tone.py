"""Write static/audio/test-tone.wav: the speakers check's 1.2 s three-note chime (C5, E5, G5).

8 kHz, 8-bit mono PCM (about 10 KB), fading in and out per note so it does not click.
Run once after changing it: ``.venv/bin/python scripts/make_test_tone.py``.
"""

import math
import struct
from pathlib import Path

RATE, NOTE_SECONDS, NOTES = 8000, 0.4, (523.25, 659.25, 783.99)
OUT = Path(__file__).resolve().parent.parent / "static" / "audio" / "test-tone.wav"


def samples():
    """Unsigned 8-bit samples of the chime."""
    per_note = int(RATE * NOTE_SECONDS)
    for index in range(per_note * len(NOTES)):
        t, within = index / RATE, (index % per_note) / RATE
        envelope = min(1.0, within / 0.02, (NOTE_SECONDS - within) / 0.05)
        value = 0.5 * envelope * math.sin(2 * math.pi * NOTES[index // per_note] * t)
        yield 128 + round(value * 127)


def main():
    data = bytes(samples())
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE, 1, 8)
    header += b"data" + struct.pack("<I", len(data))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(header + data)
    print(f"wrote {OUT} ({len(header) + len(data)} bytes)")


if __name__ == "__main__":
    main()
