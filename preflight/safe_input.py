"""Hostile request bodies get a 400, never a 500.

Two holes, closed once for the whole app (found by tests/badinput):

- JSON nested deeper than Python's recursion limit makes ``json.loads`` raise ``RecursionError``,
  which Flask's ``get_json`` does not treat as bad input. The app's JSON provider turns it into the
  ``ValueError`` Flask expects, so ``get_json()`` answers 400 and ``get_json(silent=True)`` gives None.
- Flask-WTF fills a form from a JSON body when one is posted; a body that is not an object of
  strings (a list, a number, nested objects) then crashes the form or its validators. Such bodies
  now count as an empty form, which fails validation like any incomplete form.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict


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


def init_app(app: Flask) -> None:
    """Install the safe JSON provider and the form-data rule."""
    app.json = SafeJSONProvider(app)
    FlaskForm.Meta.wrap_formdata = _wrap_formdata
