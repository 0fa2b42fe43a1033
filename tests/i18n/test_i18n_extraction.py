"""babel.cfg really extracts from Python and from templates (a string added to a template reaches the catalog)."""

from __future__ import annotations

import shutil
from pathlib import Path

from preflight import PROJECT_ROOT
from preflight.l10n import catalogs

TEMPLATE = """{% extends "base.html" %}
{% block content %}
<p>{% trans name=participant.name %}Probe greeting for {{ name }}{% endtrans %}</p>
<p>{{ _("Probe call in a template") }}</p>
<p>{% trans %}
   Probe sentence wrapped
   over lines
{% endtrans %}</p>
<p>{% trans count=n %}One probe{% pluralize %}{{ count }} probes{% endtrans %}</p>
{% endblock %}
"""
EMAIL = "{% trans event=event.name %}Probe email about {{ event }}{% endtrans %}\n"
MODULE = """from flask_babel import gettext as _, lazy_gettext as _l

LABEL = _l("Probe lazy label")


def message(name):
    # i18n: shown after a probe; %(name)s is a person
    return _("Probe message for %(name)s", name=name)
"""


def extract_copy(tmp_path: Path) -> dict:
    """Extract from a tmp project holding the real babel.cfg and a few probe files."""
    shutil.copy(PROJECT_ROOT / "babel.cfg", tmp_path / "babel.cfg")
    (tmp_path / "templates" / "deep" / "er").mkdir(parents=True)
    (tmp_path / "templates" / "deep" / "er" / "probe.html").write_text(TEMPLATE)
    (tmp_path / "templates" / "email").mkdir()
    (tmp_path / "templates" / "email" / "probe.txt").write_text(EMAIL)
    (tmp_path / "preflight" / "sub").mkdir(parents=True)
    (tmp_path / "preflight" / "sub" / "probe.py").write_text(MODULE)
    (tmp_path / "elsewhere.py").write_text('_("Not in a configured folder")\n')
    paths = catalogs.Paths(root=tmp_path, translations=tmp_path / "translations", mapping=tmp_path / "babel.cfg")
    count, changed = catalogs.extract(paths)
    assert changed
    return {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalogs.load(paths.pot) if m.id}


def test_strings_added_to_templates_and_code_reach_the_catalog(tmp_path):
    found = extract_copy(tmp_path)
    assert "Probe greeting for %(name)s" in found
    assert "Probe call in a template" in found
    assert "Probe sentence wrapped over lines" in found  # trimmed, as rendered
    assert found["One probe"].id == ("One probe", "%(count)s probes")
    assert "Probe email about %(event)s" in found
    assert "Probe lazy label" in found
    assert found["Probe message for %(name)s"].auto_comments == ["shown after a probe; %(name)s is a person"]
    assert "Not in a configured folder" not in found
    assert ("templates/deep/er/probe.html", None) in found["Probe greeting for %(name)s"].locations


def test_unchanged_extraction_leaves_the_file_alone(tmp_path):
    extract_copy(tmp_path)
    pot = tmp_path / "translations" / "messages.pot"
    before = pot.read_bytes()
    paths = catalogs.Paths(root=tmp_path, translations=tmp_path / "translations", mapping=tmp_path / "babel.cfg")
    assert catalogs.extract(paths)[1] is False
    assert pot.read_bytes() == before


def test_trimmed_trans_renders_like_its_msgid(app):
    """The runtime whitespace policy matches extraction's `trimmed = true`."""
    with app.test_request_context():
        rendered = app.jinja_env.from_string("{% trans %}\n  A  wrapped\n  sentence\n{% endtrans %}").render()
    assert rendered == "A  wrapped sentence"


def test_project_template_strings_are_in_the_committed_pot():
    pot = {m.id for m in catalogs.load(catalogs.Paths().pot) if m.id}
    assert "Skip to content" in pot  # templates/base.html
    assert "Search the guides" in pot  # templates/guides/index.html
    assert "Link to the section “%(title)s”" in pot  # preflight/guides/views.py
