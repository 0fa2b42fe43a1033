"""Every threshold the checks are judged against, in one place, each with its source.

- ``platforms``: what each platform (Zoom, Teams, Meet, Webex, GoTo, Jitsi, generic) needs of
  the network and the browser, per role;
- ``devices``: the camera and microphone limits (the same for every platform) and which device
  checks each role needs;
- ``probe``: when the short re-probe is offered and when its network counts as worse than at the
  last complete check;
- ``server_load``: when the server's WebRTC loop was too busy for a phase's figures to judge the line.

``docs/thresholds.md`` is generated from this package by ``flask thresholds``; a test fails
when the two disagree. Add a number here, with its source, rather than anywhere else.
"""

from .devices import DEVICE_NEEDS, DEVICE_THRESHOLDS, DeviceThresholds, Threshold, device_need
from .platforms import GENERIC, PROFILES, BrowserSupport, Limit, Profile, Rate, get_profile
from .probe import PROBE_THRESHOLDS, ProbeThresholds
from .server_load import SERVER_LOAD_THRESHOLDS, ServerLoadThresholds

__all__ = [
    "DEVICE_NEEDS",
    "DEVICE_THRESHOLDS",
    "GENERIC",
    "PROBE_THRESHOLDS",
    "PROFILES",
    "ProbeThresholds",
    "SERVER_LOAD_THRESHOLDS",
    "ServerLoadThresholds",
    "BrowserSupport",
    "DeviceThresholds",
    "Limit",
    "Profile",
    "Rate",
    "Threshold",
    "device_need",
    "get_profile",
]
