"""OpenAPI 3.1 description built by apispec from the API's views and pydantic models.

Each view declares what it takes and returns with ``@operation(...)``; the
document is assembled from the URL map, so a route cannot exist undocumented.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from apispec import APISpec
from flask import Flask
from pydantic import BaseModel

from ..urlids import MAX_ID
from .schemas import MODELS, Error, FieldErrors

ERROR_RESPONSES = {
    "400": "The query string is invalid, or the body is not valid JSON.",
    "401": "Missing, unknown or revoked token.",
    "403": "The token's owner may not use the API (translators), or a read token was used to change data.",
    "404": "No such event, participant or help request (or the event is not one of the agent's).",
    "409": "Another participant of the event already has this email.",
    "413": "The body is larger than 64 KiB.",
    "415": "The body is not sent as `application/json`.",
    "422": "The body does not match the schema: `message` names the first problem, `fields` each field's.",
    "429": "Too many requests from this address; `Retry-After` says when to try again.",
}
SCOPES_TEXT = (
    "A token has a scope: `read` (every GET) or `write` (also the POST and PATCH operations; write implies read). "
    "The scope an operation needs is listed in its `security` requirement and in `x-scope`. Tokens act as their "
    "owner: an agent's token reaches only the agent's events."
)


def operation(
    summary: str,
    response: type[BaseModel],
    query: type[BaseModel] | None = None,
    errors=("401", "403", "404"),
    public: bool = False,
    body: type[BaseModel] | None = None,
    status: int = 200,
    scope: str = "read",
):
    """Attach OpenAPI metadata to a view: what it answers (``response`` with ``status``), its query string or
    JSON body model, its error statuses, and the token scope it needs."""

    def decorator(view):
        view.openapi = {
            "summary": summary,
            "response": response,
            "query": query,
            "body": body,
            "status": status,
            "scope": scope,
            "errors": errors,
            "public": public,
            "description": inspect.cleandoc(view.__doc__ or ""),
        }
        return view

    return decorator


def _components(spec: APISpec) -> None:
    for model in MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            if name not in spec.components.schemas:
                spec.components.schema(name, sub)
        if model.__name__ not in spec.components.schemas:
            spec.components.schema(model.__name__, schema)


def _languages(spec: APISpec, locales: list[str]) -> None:
    """List the languages this server ships in the body schemas, so clients (and generated tests) know them."""
    for name, schema in spec.components.schemas.items():
        prop = schema.get("properties", {}).get("language")
        if prop is None or not name.endswith(("Create", "Update")):
            continue
        for option in prop.get("anyOf", [prop]):
            if option.get("type") == "string":
                option["enum"] = locales


def _parameters(query: type[BaseModel] | None, path_args: list[str]) -> list[dict[str, Any]]:
    params = [
        {"name": arg, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
        for arg in path_args
    ]
    if query is not None:
        schema = query.model_json_schema()
        for name, prop in schema["properties"].items():
            prop = dict(prop)
            description = prop.pop("description", None)
            prop.pop("title", None)
            # pydantic writes Optional[X] as anyOf [X, null]; a query parameter is simply absent instead.
            if "anyOf" in prop:
                options = [p for p in prop.pop("anyOf") if p.get("type") != "null"]
                prop.update(options[0] if len(options) == 1 else {"anyOf": options})
                if prop.get("default", 0) is None:
                    del prop["default"]
            param = {"name": name, "in": "query", "required": False, "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
    return params


def build_spec(app: Flask) -> dict:
    """The OpenAPI document of every ``api.*`` endpoint."""
    spec = APISpec(
        title="Preflight API",
        version="1",
        openapi_version="3.1.0",
        info={
            "description": "Readiness of event participants, their check results and help requests. "
            "Authenticate with `Authorization: Bearer <token>` (create tokens on the staff page *API tokens* or with "
            "`flask api-token create`)."
        },
        servers=[{"url": app.config["BASE_URL"].rstrip("/")}],
    )
    spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": SCOPES_TEXT + " Tokens start with `pf_`."}
    )
    _components(spec)
    _languages(spec, list(app.config["LOCALES"]))
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "openapi", None)
        if meta is None or meta["public"]:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            spec.path(path=path, operations={method.lower(): _operation(rule, meta)})
    return spec.to_dict()


def _json_content(model: type[BaseModel]) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}


def _operation(rule, meta: dict) -> dict:
    """The OpenAPI operation of one view."""
    responses = {str(meta["status"]): {"description": "Created" if meta["status"] == 201 else "OK"}}
    responses[str(meta["status"])]["content"] = _json_content(meta["response"])
    errors = list(meta["errors"]) + (["400"] if meta["query"] or meta["body"] else []) + ["429"]
    for code in sorted(set(errors)):
        responses[code] = {
            "description": ERROR_RESPONSES[code],
            "content": _json_content(FieldErrors if code == "422" else Error),
        }
    if meta["status"] == 201:
        responses["201"]["headers"] = {
            "Location": {"description": "The new resource's URL in this API.", "schema": {"type": "string"}}
        }
    operation = {
        "operationId": rule.endpoint.split(".", 1)[1],
        "summary": meta["summary"],
        "description": meta["description"] + f"\n\nToken scope: `{meta['scope']}`.",
        "parameters": _parameters(
            meta["query"], [a for a in re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", rule.rule) if a in rule.arguments]
        ),
        # OpenAPI 3.1 lets a requirement of a non-OAuth scheme list the roles (here: scopes) it needs.
        "security": [{"bearerAuth": [meta["scope"]]}],
        "x-scope": meta["scope"],
        "responses": responses,
    }
    if meta["body"] is not None:
        operation["requestBody"] = {"required": True, "content": _json_content(meta["body"])}
    return operation
