"""RFC 9457 problem details: every error of the API is a JSON body of this shape, with the
media type application/problem+json."""

from __future__ import annotations

from http import HTTPStatus

from flask import Response, json

from seminars.api import schemas

PROBLEM_TYPE = "application/problem+json"
# A problem type names the kind of problem beyond its status; plain statuses use about:blank.
TYPES = {
    "validation": "/api/v1/problems/validation",
    "full": "/api/v1/problems/seminar-full",
    "closed": "/api/v1/problems/registration-closed",
    "changed": "/api/v1/problems/seminar-changed",
    "session_full": "/api/v1/problems/session-full",
}


class ApiProblem(Exception):
    def __init__(
        self,
        status: int,
        *,
        detail: str = "",
        kind: str = "",
        errors: list[tuple[str, str]] = (),
        headers: dict | None = None,
    ):
        super().__init__(status, detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.errors = list(errors)
        self.headers = headers or {}


def invalid(errors: list[tuple[str, str]]) -> ApiProblem:
    return ApiProblem(
        422, kind="validation", detail="The request has invalid values.", errors=errors
    )


def response(problem: ApiProblem) -> Response:
    body = schemas.Problem(
        type=TYPES.get(problem.kind, "about:blank"),
        title=HTTPStatus(problem.status).phrase,
        status=problem.status,
        detail=problem.detail,
        errors=[schemas.FieldProblem(field=f, message=m) for f, m in problem.errors],
    )
    result = Response(
        json.dumps(body.model_dump(mode="json")), status=problem.status, mimetype=PROBLEM_TYPE
    )
    result.headers.update(problem.headers)
    return result


def for_status(status: int, headers: dict | None = None) -> Response:
    """A plain status (404, 405, 429, 500…) as a problem."""
    if status not in HTTPStatus._value2member_map_:
        status = 500
    problem = ApiProblem(status, headers=headers)
    if status == 401:
        problem.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        problem.detail = "Send an API token: Authorization: Bearer <token>."
    return response(problem)
