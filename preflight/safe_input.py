"""Hostile request bodies get a 400, never a 500.

Two holes, closed once for the whole app (found by tests/badinput):

- JSON nested deeper than Python's recursion limit makes ``json.loads`` raise ``RecursionError``,
  which Flask's ``get_json`` does not treat as bad input. The app's JSON provider turns it into the
  ``ValueError`` Flask expects, so ``get_json()`` answers 400 and ``get_json(silent=True)`` gives None.
- Control characters typed or pasted into a form (a line break in a name, a NUL, an escape)
  later break email headers, CSV cells and log lines. Every form refuses them: single-line
  fields refuse all of them, multi-line fields (text areas) keep line breaks and tabs.
- Flask-WTF fills a form from a JSON body when one is posted; a body that is not an object of
  strings (a list, a number, nested objects) then crashes the form or its validators. Such bodies
  now count as an empty form, which fails validation like any incomplete form.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import TextAreaField

# C0 and C1 controls, DEL, and the Unicode line/paragraph separators (which some mail
# and log software treat as line breaks). Text areas may keep \t, \n and \r.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_BREAK_OR_TAB = re.compile("[\t\n\r]")
# i18n: form error under a field that contains a line break or an invisible control character
CONTROL_CHARACTER_ERROR = _l("Remove line breaks and invisible control characters from this field.")


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with too-deep documents refused as invalid JSON."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def _form_fields(data: Any) -> ImmutableMultiDict:
    """A JSON body as form fields: only an object of strings (or lists of strings) qualifies."""
    if not isinstance(data, dict):
        return ImmutableMultiDict()
    for value in data.values():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            return ImmutableMultiDict()
    return ImmutableMultiDict(data)


_original_wrap_formdata = FlaskForm.Meta.wrap_formdata


def _wrap_formdata(self, form, formdata):
    if _json_submission(formdata):
        return _form_fields(request.get_json(silent=True))
    return _original_wrap_formdata(self, form, formdata)


def _json_submission(formdata) -> bool:
    # Flask-WTF's own rule for using the JSON body: auto form data, a submission, no files, no form fields.
    from flask_wtf.form import _Auto, _is_submitted

    return formdata is _Auto and _is_submitted() and not request.files and not request.form and request.is_json


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    """True when ``text`` holds characters no name or single-line field should (line breaks allowed if multiline)."""
    return bool(_CONTROL.search(text) or (not multiline and _LINE_BREAK_OR_TAB.search(text)))


def refuse_control_characters(form: FlaskForm) -> bool:
    """Add an error to every text field of ``form`` holding control characters; False if any did."""
    clean = True
    for field in form:
        if isinstance(field.data, str) and has_control_characters(
            field.data, multiline=isinstance(field, TextAreaField)
        ):
            field.errors = [*field.errors, CONTROL_CHARACTER_ERROR]
            clean = False
    return clean


_original_validate = FlaskForm.validate


def _validate(self, extra_validators=None):
    valid = _original_validate(self, extra_validators=extra_validators)
    return refuse_control_characters(self) and valid


def init_app(app: Flask) -> None:
    """Install the safe JSON provider, the form-data rule and the control-character rule."""
    app.json = SafeJSONProvider(app)
    FlaskForm.Meta.wrap_formdata = _wrap_formdata
    FlaskForm.validate = _validate
