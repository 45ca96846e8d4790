"""The OpenAPI 3.1 description of the JSON API, generated from the code.

Each view is declared with `Api.operation(...)`: its method and path, the scope it needs,
and the pydantic models of its query, body and responses. The same declaration parses the
request and builds the description, so the two cannot drift apart. Pydantic writes JSON
Schema 2020-12, the dialect of OpenAPI 3.1, so the schemas go in unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

from flask import g, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from seminars.api import schemas
from seminars.web.api import problems

PROBLEM_TYPE = "application/problem+json"
REF = "#/components/schemas/{model}"
# Every operation can answer these, besides its own.
COMMON_PROBLEMS = (401, 429)


@dataclass
class Operation:
    method: str
    path: str  # OpenAPI form: /seminars/{seminar_id}
    operation_id: str
    summary: str
    scope: str
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    responses: dict[int, type[BaseModel] | None]
    description: str = ""


@dataclass
class Api:
    title: str
    version: str
    prefix: str
    operations: list[Operation] = field(default_factory=list)

    def operation(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        scope: str,
        responses: dict[int, type[BaseModel] | None],
        query: type[BaseModel] | None = None,
        body: type[BaseModel] | None = None,
    ) -> Callable[[Callable], Callable]:
        def declare(view: Callable) -> Callable:
            self.operations.append(
                Operation(
                    method=method.lower(),
                    path=path,
                    operation_id=view.__name__,
                    summary=summary,
                    scope=scope,
                    query=query,
                    body=body,
                    responses=responses,
                    description=(view.__doc__ or "").strip(),
                )
            )
            return functools.wraps(view)(functools.partial(_handle, self.operations[-1], view))

        return declare

    def description(self, server_url: str) -> dict:
        models = self._models()
        _keys, components = models_json_schema(
            [(model, mode) for model, mode in models], ref_template=REF
        )
        paths: dict[str, dict] = {}
        for operation in self.operations:
            paths.setdefault(operation.path, {})[operation.method] = self._operation(operation)
        return {
            "openapi": "3.1.0",
            "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
            "info": {
                "title": self.title,
                "version": self.version,
                "description": "An organisation's seminars and registrations. Authenticate "
                "with `Authorization: Bearer <token>` (a token made by the organisation's "
                "organisers). Errors are RFC 9457 problem details.",
            },
            "servers": [{"url": server_url + self.prefix}],
            "security": [{"bearer": []}],
            "paths": paths,
            "components": {
                "schemas": components.get("$defs", {}),
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "An API token of the organisation (`sem_…`).",
                    }
                },
            },
        }

    def _models(self) -> list[tuple[type[BaseModel], str]]:
        found: dict[type[BaseModel], str] = {schemas.Problem: "serialization"}
        for operation in self.operations:
            if operation.body is not None:
                found[operation.body] = "validation"
            for model in operation.responses.values():
                if model is not None:
                    found[model] = "serialization"
        return list(found.items())

    def _operation(self, operation: Operation) -> dict:
        description = operation.description
        if operation.scope:
            description += f"\n\nNeeds the scope `{operation.scope}`."
        result = {
            "operationId": operation.operation_id,
            "summary": operation.summary,
            "description": description.strip(),
            "parameters": self._path_parameters(operation) + self._query_parameters(operation),
            "responses": self._responses(operation),
        }
        if operation.body is not None:
            result["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": REF.format(model=operation.body.__name__)}
                    }
                },
            }
        return result

    @staticmethod
    def _path_parameters(operation: Operation) -> list[dict]:
        names = [part[1:-1] for part in operation.path.split("/") if part.startswith("{")]
        return [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID},
            }
            for name in names
        ]

    @staticmethod
    def _query_parameters(operation: Operation) -> list[dict]:
        if operation.query is None:
            return []
        schema = operation.query.model_json_schema(ref_template="#/$defs/{model}")
        definitions = schema.get("$defs", {})
        parameters = []
        for name, prop in schema["properties"].items():
            prop = _inline(prop, definitions)
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in schema.get("required", []),
                    "description": prop.pop("description", ""),
                    "schema": prop,
                }
            )
        return parameters

    @staticmethod
    def _responses(operation: Operation) -> dict:
        responses: dict[str, dict] = {}
        problems = sorted(set(operation.responses) | set(COMMON_PROBLEMS))
        for status in problems:
            model = operation.responses.get(status)
            phrase = HTTPStatus(status).phrase
            if status < 400:
                content = {
                    "application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}
                }
            else:
                content = {PROBLEM_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}}
            responses[str(status)] = {"description": phrase, "content": content}
        return responses


def _inline(schema: dict, definitions: dict) -> dict:
    """A query parameter's schema without $refs (an enum, say, written out)."""
    if "$ref" in schema:
        return _inline(dict(definitions[schema["$ref"].rsplit("/", 1)[1]]), definitions)
    result = dict(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in result:
            result[key] = [_inline(part, definitions) for part in result[key]]
    result.pop("title", None)
    if result.get("default", 0) is None:
        result.pop("default")
    return result


def _handle(operation: Operation, view: Callable, **path_values):
    """Check the token's scope, parse the query and the body with the operation's models,
    call the view; its (model, status) becomes the JSON response."""
    if operation.scope and operation.scope not in g.api_token.scopes:
        raise problems.ApiProblem(
            403, detail=f"This token does not have the scope {operation.scope}."
        )
    if operation.query is not None:
        path_values["query"] = _parsed(operation.query.model_validate, request.args.to_dict())
    if operation.body is not None:
        path_values["body"] = _parsed(operation.body.model_validate_json, request.get_data())
    model, status = view(**path_values)
    return model.model_dump(mode="json"), status


def _parsed(parse: Callable, data):
    try:
        return parse(data)
    except ValidationError as error:
        raise problems.invalid(
            [
                (".".join(str(part) for part in e["loc"]) or "body", e["msg"])
                for e in error.errors(include_url=False)
            ]
        ) from None
