"""Links from a verdict to the guide section that explains the fix."""

from __future__ import annotations

import re

from flask import current_app, has_request_context
from flask_babel import get_locale

REF = re.compile(r"^([a-z0-9-]+)(?:#([a-z0-9-]+))?$")


def guide_url(ref: str) -> str:
    """The URL of a guide section given as ``"slug#section"``, in the page's language.

    Delegates to the guides blueprint (``preflight.guides.links``) when it is registered,
    else builds ``/guides/<slug>?lang=<locale>#<section>``.
    """
    match = REF.match(ref or "")
    if not match:
        raise ValueError(f"not a guide reference: {ref!r}")
    if "guides.guide" in current_app.view_functions:
        from ..guides.links import guide_url as blueprint_guide_url

        return blueprint_guide_url(ref)
    slug, section = match.groups()
    lang = str(get_locale()) if has_request_context() else None
    return f"/guides/{slug}" + (f"?lang={lang}" if lang else "") + (f"#{section}" if section else "")
