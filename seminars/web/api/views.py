"""The JSON API's views: load with the token's organisation → check → call one domain
function → answer with a resource. Declared with `api.operation`, which also writes the
OpenAPI description at /api/v1/openapi.json.

Auth is `Authorization: Bearer <token>`; no cookie is read, so there is no CSRF to guard
against and the blueprint is exempt from it. Without a working token: 401; a seminar of
another organisation is not found (404), as one that does not exist.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, request
from werkzeug.datastructures import MultiDict

from seminars import database, signup
from seminars.api import registrations, resources, schemas
from seminars.api import tokens as api_tokens
from seminars.extensions import csrf, db, limiter
from seminars.models import Registration, Seminar
from seminars.web.api import problems
from seminars.web.api.openapi import Api
from seminars.web.public.forms import SignupForm

bp = Blueprint("api", __name__, url_prefix="/api/v1")
api = Api(title="Seminars API", version="1.0.0", prefix="/api/v1")
SEMINAR = "/seminars/<int:seminar_id>"
REGISTRATION = SEMINAR + "/registrations/<int:registration_id>"


def _token_key() -> str:
    """Rate limits per token (its public prefix), else per address."""
    header = request.headers.get("Authorization", "")
    return "api:" + (header[7:20] if header.startswith("Bearer sem_") else request.remote_addr)


# Once, on the blueprint itself: every app made from it shares the one limit.
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_token_key)(bp)


def authenticate() -> None:
    """Every request under /api/v1/ but the description needs a working token: first, so
    that without one even an unknown path answers 401."""
    if not request.path.startswith(bp.url_prefix + "/") or request.endpoint == "api.openapi":
        return
    header = request.headers.get("Authorization", "")
    scheme, _space, value = header.partition(" ")
    token = api_tokens.authenticate(value.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise problems.ApiProblem(
            401,
            detail="Send a working API token: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    db.session.commit()  # its last use, when that was written
    g.api_token = token
    if request.method == "GET":
        database.begin_for_reading()


def _seminar_or_404(seminar_id: int) -> Seminar:
    seminar = resources.seminar_of(g.api_token.organization_id, seminar_id)
    if seminar is None:
        raise problems.ApiProblem(404, detail="No such seminar.")
    return seminar


def _registration_or_404(seminar: Seminar, registration_id: int) -> Registration:
    registration = resources.registration_of(seminar, registration_id)
    if registration is None:
        raise problems.ApiProblem(404, detail="No such registration.")
    return registration


@bp.get("/openapi.json")
def openapi():
    return api.description(current_app.config["BASE_URL"])


@bp.get("/seminars")
@api.operation(
    "get",
    "/seminars",
    summary="The organisation's seminars",
    scope="seminars:read",
    query=schemas.SeminarQuery,
    responses={200: schemas.SeminarList, 403: None, 422: None},
)
def list_seminars(query: schemas.SeminarQuery):
    """Seminars the organisation hosts or co-hosts, drafts included, soonest first, with
    their seats per participation mode and session."""
    items = resources.seminar_list(g.api_token.organization_id, query.status)
    return schemas.SeminarList(items=items), 200


@bp.get(SEMINAR)
@api.operation(
    "get",
    "/seminars/{seminar_id}",
    summary="One seminar",
    scope="seminars:read",
    responses={200: schemas.Seminar, 403: None, 404: None},
)
def get_seminar(seminar_id: int):
    """A seminar with its seats per participation mode and session, and its questions."""
    seminar = _seminar_or_404(seminar_id)
    waiting = resources.waiting_counts([seminar.id]).get(seminar.id, 0)
    return resources.seminar_resource(seminar, waiting), 200


@bp.get(SEMINAR + "/registrations")
@api.operation(
    "get",
    "/seminars/{seminar_id}/registrations",
    summary="A seminar's registrations, page by page",
    scope="registrations:read",
    query=schemas.RegistrationQuery,
    responses={200: schemas.RegistrationPage, 403: None, 404: None, 422: None},
)
def list_registrations(seminar_id: int, query: schemas.RegistrationQuery):
    """Registrations in the order they last changed. Follow `next_cursor` until it is null;
    keep the newest `updated_at` you saw and pass it as `updated_since` next time."""
    seminar = _seminar_or_404(seminar_id)
    try:
        page = registrations.page(seminar, g.api_token, query)
    except registrations.BadCursor:
        raise problems.invalid([("cursor", "Not a cursor this API gave.")]) from None
    return page, 200


@bp.get(REGISTRATION)
@api.operation(
    "get",
    "/seminars/{seminar_id}/registrations/{registration_id}",
    summary="One registration",
    scope="registrations:read",
    responses={200: schemas.Registration, 403: None, 404: None},
)
def get_registration(seminar_id: int, registration_id: int):
    """A registration, with its place in line when waiting."""
    seminar = _seminar_or_404(seminar_id)
    registration = _registration_or_404(seminar, registration_id)
    return registrations.one(seminar, g.api_token, registration), 200


@bp.get(SEMINAR + "/waiting-list")
@api.operation(
    "get",
    "/seminars/{seminar_id}/waiting-list",
    summary="A seminar's waiting list",
    scope="registrations:read",
    responses={200: schemas.WaitingList, 403: None, 404: None},
)
def get_waiting_list(seminar_id: int):
    """Everyone in line, first in line first; they move up by themselves when seats free."""
    seminar = _seminar_or_404(seminar_id)
    return registrations.waiting_list(seminar, g.api_token), 200


PROBLEM_OF_OUTCOME = {
    signup.Outcome.FULL: ("full", "The seminar is fully booked and has no waiting list."),
    signup.Outcome.CLOSED: ("closed", "Registration for this seminar is closed."),
    signup.Outcome.CHANGED: (
        "changed",
        "The seminar's questions or sessions changed just now, or a session chosen is not "
        "this seminar's; read the seminar again and retry.",
    ),
    signup.Outcome.SESSION_FULL: (
        "session_full",
        "A session chosen is fully booked and has no waiting list.",
    ),
}


@bp.post(SEMINAR + "/registrations")
@api.operation(
    "post",
    "/seminars/{seminar_id}/registrations",
    summary="Sign a person up",
    scope="registrations:write",
    body=schemas.NewRegistration,
    responses={
        200: schemas.SignupResult,
        201: schemas.SignupResult,
        202: schemas.SignupResult,
        403: None,
        404: None,
        409: None,
        422: None,
    },
)
def create_registration(seminar_id: int, body: schemas.NewRegistration):
    """The same signup as the seminar's form: the same checks of the answers, the same
    registration window, seats and waiting list, one registration per address. The person
    gets the same emails.

    A token with `registrations:read` learns the outcome: 201 with the new registration
    (`seated` or `waiting`), or 200 with the one the address holds (`already_registered`,
    and the person is sent their link again). Without that scope every accepted signup is
    answered 202 `accepted`, whoever was registered before."""
    seminar = _seminar_or_404(seminar_id)
    form = _checked_form(seminar, body)
    outcome = registrations.sign_up(
        seminar,
        form.attendee(body.language),
        g.api_token,
        content_version=seminar.content_version,
        mode=form.chosen_mode(),
        sessions=form.session_choices(),
    )
    if outcome.kind in PROBLEM_OF_OUTCOME:
        db.session.rollback()
        kind, detail = PROBLEM_OF_OUTCOME[outcome.kind]
        raise problems.ApiProblem(409, kind=kind, detail=detail)
    db.session.commit()
    if "registrations:read" not in g.api_token.scopes:
        return schemas.SignupResult(outcome="accepted"), 202
    registration = db.session.get(Registration, outcome.registration_id)
    resource = registrations.one(seminar, g.api_token, registration)
    if outcome.kind == signup.Outcome.ALREADY_REGISTERED:
        return schemas.SignupResult(outcome="already_registered", registration=resource), 200
    return schemas.SignupResult(outcome=str(outcome.kind), registration=resource), 201


def _checked_form(seminar: Seminar, body: schemas.NewRegistration) -> SignupForm:
    """The body checked by the seminar's signup form itself (names, addresses, answers,
    consent to health data, mode and sessions), so the API accepts exactly what the form
    accepts."""
    questions = {str(q.id) for q in seminar.questions}
    unknown = [key for key in body.answers if key not in questions]
    if unknown:
        raise problems.invalid([(f"answers.{key}", "No such question.") for key in unknown])
    data = MultiDict(
        {
            "name": body.name,
            "email": body.email,
            "organization": body.organization,
            **{f"q{key}": value for key, value in body.answers.items()},
            **{f"session-{group}": str(session) for group, session in body.sessions.items()},
        }
    )
    if body.mode:
        data["mode"] = body.mode
    if body.health_consent:
        data["health_consent"] = "y"
    form = SignupForm.for_seminar(seminar, hybrid=seminar.is_hybrid, formdata=data)
    if not form.validate():
        raise problems.invalid(
            [
                (_api_field(name), str(message))
                for name, messages in form.errors.items()
                for message in messages
            ]
        )
    return form


def _api_field(form_field: str) -> str:
    if form_field.startswith("q") and form_field[1:].isdigit():
        return f"answers.{form_field[1:]}"
    if form_field.startswith("session-"):
        return f"sessions.{form_field.removeprefix('session-')}"
    return form_field


@bp.post(REGISTRATION + "/cancel")
@api.operation(
    "post",
    "/seminars/{seminar_id}/registrations/{registration_id}/cancel",
    summary="Cancel a registration",
    scope="registrations:write",
    responses={200: schemas.Cancelled, 403: None, 404: None},
)
def cancel_registration(seminar_id: int, registration_id: int):
    """Cancel as the person's own link does: they are told by email, and a freed seat goes
    to the first in line at once. Cancelling again changes nothing."""
    seminar = _seminar_or_404(seminar_id)
    registration = _registration_or_404(seminar, registration_id)
    promoted = registrations.cancel(registration, g.api_token)
    db.session.commit()
    return schemas.Cancelled(
        registration=registrations.one(seminar, g.api_token, registration),
        promoted=[p.id for p in promoted],
    ), 200


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.before_request(authenticate)

    @app.errorhandler(problems.ApiProblem)
    def api_problem(problem: problems.ApiProblem):
        return problems.response(problem)
