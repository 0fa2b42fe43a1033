"""OpenAPI 3.1 description built by apispec from the API's views and pydantic models.

Each view declares what it takes and returns with ``@operation(...)``; the
document is assembled from the URL map, so a route cannot exist undocumented.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from flask import Flask
from pydantic import BaseModel

from ..urlids import MAX_ID
from .schemas import MODELS, Error

ERROR_RESPONSES = {
    "400": "The query string is invalid.",
    "401": "Missing, unknown or revoked token.",
    "403": "The token's owner may not use the API (translators).",
    "404": "No such event or participant.",
}


def operation(
    summary: str,
    response: type[BaseModel],
    query: type[BaseModel] | None = None,
    errors=("401", "403", "404"),
    public: bool = False,
):
    """Attach OpenAPI metadata to a view."""

    def decorator(view):
        view.openapi = {
            "summary": summary,
            "response": response,
            "query": query,
            "errors": errors,
            "public": public,
            "description": (view.__doc__ or "").strip(),
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
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    _components(spec)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "openapi", None)
        if meta is None or meta["public"]:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        responses = {
            "200": {
                "description": "OK",
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{meta['response'].__name__}"}}
                },
            }
        }
        errors = list(meta["errors"]) + (["400"] if meta["query"] else [])
        for code in sorted(set(errors)):
            responses[code] = {
                "description": ERROR_RESPONSES[code],
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{Error.__name__}"}}},
            }
        spec.path(
            path=path,
            operations={
                "get": {
                    "operationId": rule.endpoint.split(".", 1)[1],
                    "summary": meta["summary"],
                    "description": meta["description"],
                    "parameters": _parameters(
                        meta["query"],
                        [a for a in re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", rule.rule) if a in rule.arguments],
                    ),
                    "security": [{"bearerAuth": []}],
                    "responses": responses,
                }
            },
        )
    return spec.to_dict()
