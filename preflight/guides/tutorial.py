"""The tutorial clip "how to run your pre-flight check": its captions, in the message catalog.

``scripts/make_tutorial_video.py`` records the real participant page and shows
each caption when the matching moment happens. The captions live here (not in
the script) so translators translate them with everything else.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SLUG = "how-to-run-check"

# moment -> caption; the recorder emits the moments in this order (those that happen).
CAPTIONS = {
    # i18n: caption of the tutorial video, shown while the check page opens
    "open": _l("Open the personal link from your invitation, on the computer you will use for the event."),
    # i18n: caption of the tutorial video
    "start": _l("Select “Start the check”. When your browser asks, allow the camera and the microphone."),
    # i18n: caption of the tutorial video
    "browser": _l("First, the check looks at your browser."),
    # i18n: caption of the tutorial video
    "camera": _l("Then your camera: you should see yourself."),
    # i18n: caption of the tutorial video
    "microphone": _l("Say a few words: the bar shows that your voice is heard."),
    # i18n: caption of the tutorial video
    "speakers": _l("Play the test sound, then tell us whether you heard it."),
    # i18n: caption of the tutorial video
    "network": _l("Last, the check tests your connection. Keep this tab in front until it is done."),
    # i18n: caption of the tutorial video, over the results
    "results": _l("Your results. If something needs fixing, a link shows you how."),
}
