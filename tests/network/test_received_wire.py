"""The page's IP-level byte count of the download (network-support.js, ``receivedWire``), run under
Node on statistics reports shaped as Chromium and Firefox give them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from preflight.netrules import protocol as P

JS = Path(__file__).resolve().parents[2] / "static" / "js"

# What a full data packet's UDP payload is (the DTLS record): IP size less the IP and UDP headers.
FULL_RECORD = P.CHUNK_PAYLOAD_BYTES + P.PACKET_OVERHEAD_BYTES - 28


def received_wire(reports: list[list[dict] | None]) -> object:
    """``receivedWire`` over one fake connection per report (None: its getStats() rejects)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    program = (
        "globalThis.window = globalThis;\n"
        + (JS / "network-stats.js").read_text()
        + (JS / "network-support.js").read_text()
        + f"""
        var pcs = {json.dumps(reports)}.map(function (entries) {{
          return {{ getStats: function () {{
            if (entries === null) return Promise.reject(new Error("closed"));
            return Promise.resolve(new Map(entries.map(function (r) {{
              // Report times count from the Unix epoch, as browsers give them.
              return [r.id, Object.assign({{ timestamp: performance.timeOrigin + performance.now() - 5 }}, r)];
            }})));
          }} }};
        }});
        window.PreflightNetSupport.receivedWire(pcs).then(function (got) {{
          var out = got === null ? null : {{ bytes: got[1], lag: performance.now() - got[0] }};
          process.stdout.write(JSON.stringify(out));
        }});
        """
    )
    done = subprocess.run([node, "-e", program], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def pair(pair_id: str, received: int, packets: int | None = None) -> dict:
    entry = {"id": pair_id, "type": "candidate-pair", "bytesReceived": received, "state": "succeeded"}
    if packets is not None:
        entry["packetsReceived"] = packets
    return entry


def test_chromium_reports_count_the_busiest_pair_with_its_headers():
    control = [pair("a", 40_000, 400), pair("b", 0, 0)]
    download = [pair("c", 1_226_000, 1000), {"id": "t", "type": "transport", "bytesReceived": 9}]
    got = received_wire([control, download])
    assert got["bytes"] == 40_000 + 400 * 28 + 1_226_000 + 1000 * 28
    # Placed at the report's own time (5 ms before it was handed over), on the page's clock.
    assert 4 <= got["lag"] < 1000


def test_firefox_reports_without_packet_counts_estimate_one_a_message_at_least():
    # Echoes: 500 small messages in 48,500 bytes, and 480 probes sent (each acknowledged by a
    # packet of the server's); bulk: 1,000 full packets in 20 messages.
    control = [
        pair("a", 48_500 + 480 * 60),
        {"id": "d", "type": "data-channel", "messagesReceived": 500, "messagesSent": 480},
        {"id": "f", "type": "data-channel", "messagesReceived": 3, "messagesSent": 2},
    ]
    download = [pair("c", 1000 * FULL_RECORD), {"id": "e", "type": "data-channel", "messagesReceived": 20}]
    got = received_wire([control, download])
    assert got["bytes"] == 48_500 + 480 * 60 + (500 + 480 + 3 + 2) * 28 + 1000 * FULL_RECORD + 1000 * 28


@pytest.mark.parametrize(
    "reports",
    [
        [[pair("a", 100, 1)], [{"id": "t", "type": "transport", "selectedCandidatePairId": "x"}]],
        [[pair("a", 100, 1)], None],
    ],
    ids=["a connection without a candidate pair", "a connection whose statistics fail"],
)
def test_a_report_without_the_figures_gives_no_sample(reports):
    assert received_wire(reports) is None
