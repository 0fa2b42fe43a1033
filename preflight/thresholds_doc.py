"""Render the platform profiles as Markdown (``docs/thresholds.md``)."""

from __future__ import annotations

from dataclasses import fields

from .profiles import DEVICE_NEEDS, DEVICE_THRESHOLDS, PROBE_THRESHOLDS, PROFILES, SERVER_LOAD_THRESHOLDS, Profile


def _hosts_line(profile: Profile) -> str:
    """The platform's hosts for the IT message, or why there are none, with the source."""
    if profile.media_hosts:
        hosts = ", ".join(f"`{host}`" for host in profile.media_hosts)
        return f"Hosts (IT message): {hosts} ({profile.media_hosts_source})."
    if profile.media_hosts_source:
        return f"Hosts (IT message): none listed; {profile.media_hosts_source}."
    return "Hosts (IT message): none; the message lists only what the test itself needs."


def _profile_section(profile: Profile) -> list[str]:
    up_fail_att, up_warn_att = profile.upload_limits("attendee")
    up_fail_pre, up_warn_pre = profile.upload_limits("presenter")
    down_fail, down_warn = profile.download_limits("attendee")
    lines = [
        f"## {profile.label} (`{profile.key}`)",
        "",
        "| figure | warn | fail | source |",
        "| --- | --- | --- | --- |",
        f"| upload, attendee (kbit/s) | below {up_warn_att.kbps} | below {up_fail_att.kbps} | {up_warn_att.source}; "
        f"{up_fail_att.source} |",
        f"| upload, presenter (kbit/s) | below {up_warn_pre.kbps} | below {up_fail_pre.kbps} | {up_warn_pre.source}; "
        f"{up_fail_pre.source} |",
        f"| download (kbit/s) | below {down_warn.kbps} | below {down_fail.kbps} | {down_warn.source}; "
        f"{down_fail.source} |",
        f"| round-trip time (ms) | above {profile.rtt_ms.warn:g} | above {profile.rtt_ms.fail:g} | "
        f"{profile.rtt_ms.source} |",
        f"| jitter (ms) | above {profile.jitter_ms.warn:g} | above {profile.jitter_ms.fail:g} | "
        f"{profile.jitter_ms.source} |",
        f"| packet loss (%) | above {profile.loss_pct.warn:g} | above {profile.loss_pct.fail:g} | "
        f"{profile.loss_pct.source} |",
        "",
        f"Media ports: {profile.media_ports}.",
        "",
        _hosts_line(profile),
        "",
        "| browser | support | warn below | fail below | source |",
        "| --- | --- | --- | --- | --- |",
    ]
    for family in ("chrome", "edge", "firefox", "safari", "opera", "samsung"):
        support = profile.browser(family)
        refusal = f"; fail: {support.refuse_source}" if support.refuse_source else ""
        lines.append(
            f"| {family} | {support.level} | {support.min_major} | {support.refuse_below} | {support.source}{refusal} |"
        )
    lines.append("")
    return lines


def render() -> str:
    """The whole thresholds document."""
    lines = [
        "# Thresholds",
        "",
        "Generated from `preflight/profiles/` by `flask --app wsgi thresholds > docs/thresholds.md`;",
        "a test fails when this file and the code disagree. Edit the code, not this file.",
        "",
        "Download: fail below the platform's minimum video rate, warn below its recommended rate.",
        "Upload: an attendee fails below the audio rate and is warned below the minimum video rate;",
        "a presenter fails below the minimum video rate and is warned below the recommended one.",
        "",
    ]
    for profile in PROFILES.values():
        lines += _profile_section(profile)
    lines += _device_section()
    lines += _probe_section()
    lines += _server_load_section()
    return "\n".join(lines)


def _device_section() -> list[str]:
    """Camera and microphone limits (the same for every platform) and what each role needs."""
    lines = [
        "## Camera and microphone (every platform)",
        "",
        "Judged in `preflight/checks/camera.py` and `microphone.py`; durations, the clip level and the",
        "dBFS floor also shape the measurement in the page.",
        "",
    ]
    lines += _threshold_table(DEVICE_THRESHOLDS)
    lines += ["", "Failures of a device a role only recommends are warnings:", ""]
    for role, needs in DEVICE_NEEDS.items():
        lines.append(f"- {role}: " + ", ".join(f"{check} {need}" for check, need in needs.items()))
    lines.append("")
    return lines


def _probe_section() -> list[str]:
    """The re-probe: when it is offered, and what a worse network than at the last complete check is."""
    lines = [
        "## Re-probe (every platform)",
        "",
        "Judged in `preflight/participant/probe.py` with `preflight/netrules/fingerprint.py`: a different",
        "network is a different public address prefix (HTTP, or media when both are known); a worse one is",
        "relayed media now but not then, a round trip above both RTT limits, or a rate below the ratio.",
        "",
    ]
    lines += _threshold_table(PROBE_THRESHOLDS)
    lines.append("")
    return lines


def _server_load_section() -> list[str]:
    """When the server's own WebRTC loop was too busy for a phase's figures to judge the line."""
    lines = [
        "## Server load (every platform)",
        "",
        "Measured in `preflight/network/loop_load.py` for each phase of a check, judged in",
        "`preflight/checks/network.py`: in a phase where either figure is above its value, the failures",
        "that phase's figures would give (rates, delay, jitter, loss) are set aside, and the participant",
        "is told the test server was too busy (`server_busy`) rather than that their line is poor.",
        "",
    ]
    lines += _threshold_table(SERVER_LOAD_THRESHOLDS)
    lines.append("")
    return lines


def _threshold_table(thresholds) -> list[str]:
    """A Markdown table of a thresholds dataclass: name, value, unit, source."""
    lines = ["| name | value | unit | source |", "| --- | --- | --- | --- |"]
    for item in fields(thresholds):
        threshold = getattr(thresholds, item.name)
        lines.append(f"| `{item.name}` | {threshold.value:.4g} | {threshold.unit} | {threshold.source} |")
    return lines
