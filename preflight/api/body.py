"""Reading a JSON request body into a strict pydantic model, or a JSON error (never a 500).

415 without ``Content-Type: application/json``, 413 above ``MAX_BODY_BYTES``, 400 for bytes that are
not JSON, 422 (``FieldErrors``: a message per field) for JSON that does not match the model.
"""

from __future__ import annotations

from typing import TypeVar

from flask import abort, current_app, jsonify, request
from pydantic import BaseModel, ValidationError

# The largest body is a help reply (4000 characters, up to 4 bytes each, escaped): 64 KiB is plenty.
MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 20

Model = TypeVar("Model", bound=BaseModel)


def error(status: int, title: str, message: str, **extra):
    """Abort with ``{"error": title, "message": message, ...}``."""
    response = jsonify(error=title, message=message, **extra)
    response.status_code = status
    abort(response)


def _field_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for problem in exc.errors(include_url=False)[:MAX_FIELDS]:
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        # Our own validators' messages come as "Value error, ..."; the prefix says nothing to a client.
        fields.setdefault(where, problem["msg"].removeprefix("Value error, "))
    return fields


def read_body(model: type[Model]) -> Model:
    """The request's JSON body validated by ``model``; aborts with a JSON error otherwise."""
    if request.mimetype != "application/json":
        error(415, "Unsupported Media Type", "Send the body as JSON (Content-Type: application/json).")
    # A declared length is refused before anything is read; a chunked body stops being read at the limit.
    request.max_content_length = MAX_BODY_BYTES
    raw = request.get_data(cache=True)  # 413 through the app's error handler when too large
    try:
        # The app's JSON provider turns too-deep nesting into a ValueError (safe_input.py).
        data = current_app.json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        error(400, "Bad Request", "The body is not valid JSON.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = _field_errors(exc)
        where, problem = next(iter(fields.items()))
        error(422, "Unprocessable Entity", f"{where}: {problem}", fields=fields)
