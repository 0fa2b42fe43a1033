"""Platform profiles: what each platform needs of the network and the browser.

Each number carries its source: the public document it comes from (the platform's own
requirements page, a standard, or a published client's code), named in the ``source`` string
next to the number. ``docs/thresholds.md`` lists them per platform (generated from this module
by ``flask thresholds``).
Where a platform publishes nothing, the generic value is used and the source says so.

Rules applied by the judges:
- download: fail below the platform's minimum video rate, warn below its recommended rate;
- upload: an attendee fails below the audio rate and is warned below the minimum video
  rate (to be seen in a Q&A); a presenter fails below the minimum video rate and is
  warned below the recommended one;
- RTT, jitter, loss: warn above ``warn``, fail above ``fail``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Rate:
    """A bit rate in kbit/s and where it comes from."""

    kbps: int
    source: str


@dataclass(frozen=True)
class Limit:
    """A 'lower is better' figure: warn above ``warn``, fail above ``fail``."""

    warn: float
    fail: float
    source: str


@dataclass(frozen=True)
class BrowserSupport:
    """How a platform treats a browser family in its web client."""

    level: str  # "full", "limited" or "unsupported"
    min_major: int = 0
    source: str = ""
    # Below this major version the platform's web client refuses the browser: a failure, not a
    # warning. 0 means "not published": ``Profile.browser`` fills in about a year of releases.
    refuse_below: int = 0
    refuse_source: str = ""


@dataclass(frozen=True)
class Profile:
    """What one platform needs from a participant."""

    key: str
    label: str
    audio_up: Rate
    video_min_up: Rate
    video_min_down: Rate
    video_rec_up: Rate
    video_rec_down: Rate
    rtt_ms: Limit
    jitter_ms: Limit
    loss_pct: Limit
    browsers: dict[str, BrowserSupport] = field(default_factory=dict)
    recommended_browsers: tuple[str, ...] = ("chrome", "edge", "firefox", "safari")
    media_ports: str = ""
    # Host names the platform's clients reach (wildcards as the platform writes them), for the IT
    # message of a network blocked by policy. Empty when Preflight's sources name none: then
    # ``media_hosts_note`` says why (HOSTS_SELF_HOSTED or HOSTS_NOT_IN_SOURCES).
    media_hosts: tuple[str, ...] = ()
    media_hosts_note: str = ""
    media_hosts_source: str = ""

    def upload_limits(self, role: str) -> tuple[Rate, Rate]:
        """(fail below, warn below) for uploads in ``role``."""
        if role == "presenter":
            return self.video_min_up, self.video_rec_up
        return self.audio_up, self.video_min_up

    def download_limits(self, role: str) -> tuple[Rate, Rate]:
        """(fail below, warn below) for downloads in ``role``."""
        return self.video_min_down, self.video_rec_down

    def browser(self, family: str) -> BrowserSupport:
        """Support level for a browser family (chrome, edge, firefox, safari, opera, samsung, other, ie)."""
        if family == "ie":
            return BrowserSupport("unsupported", 0, "no WebRTC in Internet Explorer")
        support = (
            self.browsers.get(family)
            or GENERIC_BROWSERS.get(family)
            or BrowserSupport("limited", 0, "not listed by the platform; WebRTC features are checked in the page")
        )
        if support.refuse_below or not support.min_major:
            return support
        # Why a year: a browser a few releases behind usually still joins (a warning); one a year
        # or more behind misses the WebRTC changes the web clients rely on and is turned away.
        behind = RELEASES_PER_YEAR.get(family, 1)
        return replace(support, refuse_below=max(support.min_major - behind, 1), refuse_source=YEAR_BEHIND)


G114 = "ITU-T G.114 (05/2003): 0-150 ms one-way acceptable, 400 ms planning limit; applied to RTT conservatively"
TWILIO_VOICE = "twilio-voice.js statsMonitor.ts DEFAULT_THRESHOLDS (jitter max 30 ms, loss max 1 %)"
VIDYO = "Vidyo support article 115002941614 (jitter workable < 100 ms, loss red > 5 %)"
JITSI_CAPS = "lib-jitsi-meet modules/browser/BrowserCapabilities.ts (Chromium >= 72, Firefox >= 91, Safari >= 14)"

# Majors a year: Chrome, Edge and Opera ship every four weeks, Firefox too (since 2020), Samsung
# Internet about four times a year, Safari once (chromiumdash.appspot.com/schedule,
# whattrainisitnow.com/calendar, developer.apple.com/documentation/safari-release-notes).
RELEASES_PER_YEAR = {"chrome": 13, "edge": 13, "opera": 13, "firefox": 13, "samsung": 4, "safari": 1}
YEAR_BEHIND = (
    "not published by the platform: Preflight's own choice, refused a year or more of releases "
    "below the minimum (13 majors for Chrome, Edge, Opera and Firefox, 4 for Samsung Internet, 1 for Safari)"
)
JITSI_REFUSES = "lib-jitsi-meet BrowserCapabilities.ts isSupported() is false below the minimum"
TEAMS_REFUSES = (
    "Teams get-clients.md (10/30/2024): the browser client detects the version and blocks unsupported versions"
)

GENERIC_RTT = Limit(150, 400, G114)
GENERIC_JITTER = Limit(30, 100, f"warn: {TWILIO_VOICE}; fail: {VIDYO}")
GENERIC_LOSS = Limit(1, 5, f"warn: {TWILIO_VOICE}; fail: {VIDYO}")

GENERIC_BROWSERS = {
    "chrome": BrowserSupport("full", 72, JITSI_CAPS),
    "edge": BrowserSupport("full", 79, "Chromium-based Edge from 79; " + JITSI_CAPS),
    "firefox": BrowserSupport("full", 91, JITSI_CAPS),
    "safari": BrowserSupport("full", 14, JITSI_CAPS),
    "opera": BrowserSupport("limited", 60, "Chromium-based, not listed by the platforms"),
    "samsung": BrowserSupport("limited", 12, "Chromium-based, not listed by the platforms"),
}

GENERIC = Profile(
    key="generic",
    label="Generic WebRTC",
    audio_up=Rate(100, "Twilio rtc-diagnostics MIN_BITRATE_THRESHOLD 100 kbps"),
    video_min_up=Rate(500, "testRTC qualityRTC: bandwidth bad < 500 kbps; Vonage ladder 500k = 360p"),
    video_min_down=Rate(500, "testRTC qualityRTC: bandwidth bad < 500 kbps; Vonage ladder 500k = 360p"),
    video_rec_up=Rate(1000, "Twilio diagnostics getQualityScore: good bitrate >= 1000 kbps"),
    video_rec_down=Rate(1000, "Twilio diagnostics getQualityScore: good bitrate >= 1000 kbps"),
    rtt_ms=GENERIC_RTT,
    jitter_ms=GENERIC_JITTER,
    loss_pct=GENERIC_LOSS,
    media_ports="UDP 3478 (STUN/TURN), TCP 443",
)

TEAMS_BW = "Microsoft Teams prepare-network.md, bandwidth requirements (ms.date 06/25/2024)"
TEAMS_NET = "Microsoft Teams prepare-network.md network targets, client to Microsoft edge (2019)"
TEAMS_CQD = "Teams stream-classification-in-call-quality-dashboard.md 'Poor' audio (10/22/2024)"
ZOOM_BW = "Zoom library 'Calculating Bandwidth Usage for Zoom Meetings and Phone' (group meetings)"
MEET_BW = "ASUS Google Meet Hardware Kit manual quoting Meet requirements (secondary)"
MEET_NET = "Google Meet Troubleshooting Playbook, Google Cloud Community (RTT < 120 ms, loss < 3 %)"
WEBEX_BW = "help.webex.com neho08h (720p ~ 2 Mbps); WBS30 white paper (360p 520 kbps, outdated)"
JITSI_BW = "jitsi handbook devops-guide/requirements.md (180p 200 kbit/s, 720p 2500 kbit/s)"
NOT_PUBLISHED = "not published by the platform: generic value"
# Why a profile lists no host (``Profile.media_hosts_note``): the event runs its own server, or the
# platform pages Preflight's figures come from name none (``media_hosts_source`` says which page).
HOSTS_SELF_HOSTED = "self_hosted"
HOSTS_NOT_IN_SOURCES = "not_in_sources"

PROFILES: dict[str, Profile] = {
    "zoom": Profile(
        key="zoom",
        label="Zoom",
        audio_up=Rate(80, "Zoom library: voice 60-80 kbps"),
        video_min_up=Rate(1000, ZOOM_BW + ": 360p 1 Mbps up"),
        video_min_down=Rate(600, ZOOM_BW + ": 360p 600 kbps down"),
        video_rec_up=Rate(2600, ZOOM_BW + ": 720p 2.6 Mbps up"),
        video_rec_down=Rate(1800, ZOOM_BW + ": 720p 1.8 Mbps down"),
        rtt_ms=Limit(150, 400, NOT_PUBLISHED + "; " + G114),
        jitter_ms=Limit(30, 100, NOT_PUBLISHED + "; " + GENERIC_JITTER.source),
        loss_pct=Limit(1, 5, NOT_PUBLISHED + "; " + GENERIC_LOSS.source),
        browsers={
            "chrome": BrowserSupport(
                "full", 72, "Zoom Meeting SDK for web: Chrome, Firefox, Safari, Edge within two versions"
            ),
            "edge": BrowserSupport("full", 79, "Zoom Meeting SDK for web"),
            "firefox": BrowserSupport("full", 91, "Zoom Meeting SDK for web (1080p only in Chrome/Edge per Video SDK)"),
            "safari": BrowserSupport("full", 14, "Zoom Meeting SDK for web (1080p only in Chrome/Edge per Video SDK)"),
        },
        media_ports="UDP 8801-8810, UDP 3478-3479, TCP 443, 8801, 8802 (Zoom firewall KB0060561)",
        media_hosts=("*.zoom.us", "*.zoom.com"),
        media_hosts_source="Zoom firewall KB0060561: web browser client, TCP 80, 443 and UDP 443 to these domains",
    ),
    "teams": Profile(
        key="teams",
        label="Microsoft Teams",
        audio_up=Rate(58, TEAMS_BW + ": audio recommended 58 kbps"),
        video_min_up=Rate(150, TEAMS_BW + ": video meetings minimum 150 kbps up"),
        video_min_down=Rate(200, TEAMS_BW + ": video meetings minimum 200 kbps down"),
        video_rec_up=Rate(1500, TEAMS_BW + ": HD video in under 1.5 Mbps"),
        video_rec_down=Rate(1500, TEAMS_BW + ": HD video in under 1.5 Mbps"),
        rtt_ms=Limit(100, 500, f"warn: {TEAMS_NET} (RTT < 100 ms); fail: {TEAMS_CQD} (> 500 ms)"),
        jitter_ms=Limit(30, 100, f"warn: {TEAMS_NET} (< 30 ms); fail: {VIDYO}"),
        loss_pct=Limit(1, 10, f"warn: {TEAMS_NET} (< 1 %); fail: {TEAMS_CQD} (> 10 %)"),
        browsers={
            "chrome": BrowserSupport(
                "full",
                72,
                "Teams browser-support.md: Chrome latest + two previous",
                refuse_below=72,
                refuse_source=TEAMS_REFUSES,
            ),
            "edge": BrowserSupport(
                "full",
                79,
                "Teams browser-support.md: Edge (Chromium) latest + two previous",
                refuse_below=79,
                refuse_source=TEAMS_REFUSES,
            ),
            "firefox": BrowserSupport(
                "limited",
                91,
                "Teams browser-support.md: Firefox meetings limited (no calling/video in old docs)",
                refuse_below=91,
                refuse_source=TEAMS_REFUSES,
            ),
            "safari": BrowserSupport(
                "limited",
                14,
                "Teams browser-support.md: Safari meetings limited (no calling/video in old docs)",
                refuse_below=14,
                refuse_source=TEAMS_REFUSES,
            ),
        },
        recommended_browsers=("edge", "chrome"),
        media_ports="UDP 3478-3481, TCP 80 and 443 (Teams 'Prepare my network')",
        media_hosts_note=HOSTS_NOT_IN_SOURCES,
        media_hosts_source="not in Preflight's sources: Teams 'Prepare my network' (06/30/2018) gives ports only",
    ),
    "meet": Profile(
        key="meet",
        label="Google Meet",
        audio_up=Rate(100, NOT_PUBLISHED + "; " + GENERIC.audio_up.source),
        video_min_up=Rate(1000, MEET_BW + ": group video minimum 1 Mbps"),
        video_min_down=Rate(1000, MEET_BW + ": group video minimum 1 Mbps"),
        video_rec_up=Rate(3200, MEET_BW + ": HD outbound 3.2 Mbps"),
        video_rec_down=Rate(2600, MEET_BW + ": HD inbound 2.6 Mbps (2 participants)"),
        rtt_ms=Limit(120, 400, f"warn: {MEET_NET}; fail: {G114}"),
        jitter_ms=GENERIC_JITTER,
        loss_pct=Limit(3, 5, f"warn: {MEET_NET}; fail: {VIDYO}"),
        browsers={
            "chrome": BrowserSupport("full", 72, "Meet access requirements 7317473: current Chrome"),
            "edge": BrowserSupport("full", 79, "Meet access requirements 7317473: current Edge"),
            "firefox": BrowserSupport("full", 91, "Meet access requirements 7317473: current Firefox"),
            "safari": BrowserSupport("full", 14, "Meet access requirements 7317473: current Safari"),
        },
        media_ports="UDP 3478 and 19302-19309, TCP and UDP 443 (Meet network preparation, answer 1279090)",
        media_hosts_note=HOSTS_NOT_IN_SOURCES,
        media_hosts_source=(
            "not in Preflight's sources: Meet answer 1279090 gives ports; the media IP ranges of an older "
            "'Hangouts Meet' copy (74.125.250.0/24, 2001:4860:4864:5::/64) are not confirmed current, so not listed"
        ),
    ),
    "webex": Profile(
        key="webex",
        label="Webex",
        audio_up=Rate(64, "Webex Android Meetings SDK example: audio 64 kbps"),
        video_min_up=Rate(520, WEBEX_BW),
        video_min_down=Rate(520, WEBEX_BW),
        video_rec_up=Rate(2000, WEBEX_BW),
        video_rec_down=Rate(2000, WEBEX_BW),
        rtt_ms=Limit(150, 400, NOT_PUBLISHED + "; " + G114),
        jitter_ms=GENERIC_JITTER,
        loss_pct=GENERIC_LOSS,
        browsers={
            "chrome": BrowserSupport("full", 72, "Webex Browser SDK: Chrome"),
            "edge": BrowserSupport("full", 80, "Webex Browser SDK: Edge 80+"),
            "firefox": BrowserSupport("full", 91, "Webex Browser SDK: Firefox"),
            "safari": BrowserSupport("full", 14, "Webex Browser SDK: Safari 12.1+ (WebRTC baseline 14)"),
        },
        media_ports="TCP 443; UDP ports per Cisco's 'Network Requirements for Webex Services' (ask your Webex admin)",
        media_hosts_note=HOSTS_NOT_IN_SOURCES,
        media_hosts_source="not in Preflight's sources: Webex 'Network Requirements for Webex Services' not read",
    ),
    "goto": Profile(
        key="goto",
        label="GoTo Meeting / Webinar",
        audio_up=GENERIC.audio_up,
        video_min_up=Rate(GENERIC.video_min_up.kbps, NOT_PUBLISHED + "; " + GENERIC.video_min_up.source),
        video_min_down=Rate(GENERIC.video_min_down.kbps, NOT_PUBLISHED + "; " + GENERIC.video_min_down.source),
        video_rec_up=Rate(GENERIC.video_rec_up.kbps, NOT_PUBLISHED + "; " + GENERIC.video_rec_up.source),
        video_rec_down=Rate(GENERIC.video_rec_down.kbps, NOT_PUBLISHED + "; " + GENERIC.video_rec_down.source),
        rtt_ms=GENERIC_RTT,
        jitter_ms=GENERIC_JITTER,
        loss_pct=GENERIC_LOSS,
        media_ports="UDP 45000-49999 and TCP 443 (GoTo 'Minimal Firewall Settings for the GoTo App')",
        media_hosts=(
            "*.goto.com",
            "*.goto-rtc.com",
            "*.jive.com",
            "*.getgo.com",
            "*.gotomeeting.com",
            "*.logmeininc.com",
            "*.expertcity.com",
            "*.gotowebinar.com",
        ),
        media_hosts_source=(
            "GoTo 'Minimal Firewall Settings for the GoTo App' v2.1 and v2.3: domains (*.goto-rtc.com carries "
            "audio and video over UDP/TCP; *.gotowebinar.com is added for webinars)"
        ),
    ),
    "jitsi": Profile(
        key="jitsi",
        label="Jitsi Meet",
        audio_up=GENERIC.audio_up,
        video_min_up=Rate(200, JITSI_BW + ": 180p"),
        video_min_down=Rate(200, JITSI_BW + ": 180p"),
        video_rec_up=Rate(2500, JITSI_BW + ": 720p"),
        video_rec_down=Rate(2500, JITSI_BW + ": 720p"),
        rtt_ms=GENERIC_RTT,
        jitter_ms=GENERIC_JITTER,
        loss_pct=GENERIC_LOSS,
        browsers={
            "chrome": BrowserSupport("full", 72, JITSI_CAPS, refuse_below=72, refuse_source=JITSI_REFUSES),
            "edge": BrowserSupport("full", 79, JITSI_CAPS, refuse_below=79, refuse_source=JITSI_REFUSES),
            "firefox": BrowserSupport("full", 91, JITSI_CAPS, refuse_below=91, refuse_source=JITSI_REFUSES),
            "safari": BrowserSupport("full", 14, JITSI_CAPS, refuse_below=14, refuse_source=JITSI_REFUSES),
        },
        media_ports="UDP 10000, TCP 443 (jitsi-meet quick-install.md)",
        media_hosts_note=HOSTS_SELF_HOSTED,
        media_hosts_source="jitsi-meet quick-install.md: self-hosted, the event's own server (TCP 80, 443, UDP 10000)",
    ),
    "generic": GENERIC,
}


def get_profile(key: str) -> Profile:
    """The profile for a platform key, the generic one when unknown."""
    return PROFILES.get(key, GENERIC)
