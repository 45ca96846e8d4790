"""Error pages in the visitor's language; a 500 never shows a stack trace."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from seminars.extensions import db
from seminars.organising import access
from seminars.web.api import problems

MESSAGES = {
    400: (_l("Something in the request was wrong"), _l("Please go back and try again.")),
    403: (_l("You do not have access to this page"), _l("Log in with an account that may see it.")),
    404: (
        _l("Page not found"),
        _l("The page does not exist, or the link is no longer valid."),
    ),
    405: (_l("That does not work here"), _l("This page cannot be used that way.")),
    409: (_l("That cannot be done now"), _l("Please reload the page and try again.")),
    413: (
        _l("The file is too large"),
        _l("Please send a smaller file (at most 2 MB)."),
    ),
    422: (_l("Something in the form was wrong"), _l("Please go back and check the form.")),
    429: (
        _l("Too many attempts"),
        _l("Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Your request was not completed. Please try again in a little while."),
    ),
}


def _page(code: int):
    if request.path.startswith("/api/"):
        return problems.for_status(code)
    heading, explanation = MESSAGES.get(code, MESSAGES[500])
    wants_json = request.accept_mimetypes.best == "application/json"
    if wants_json:
        return {"error": str(heading)}, code
    return render_template("errors/error.html", heading=heading, explanation=explanation), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        heading = _l("The form expired")
        explanation = _l("Please go back, reload the page and send the form again.")
        return render_template("errors/error.html", heading=heading, explanation=explanation), 400

    @app.errorhandler(access.NotFound)
    def not_found(error: access.NotFound):
        return _page(404)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if request.path.startswith("/api/"):
            kept = {"allow", "retry-after"}
            headers = {k: v for k, v in error.get_headers() if k.lower() in kept}
            return problems.for_status(error.code, headers)
        return _page(error.code)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        db.session.rollback()
        return _page(500)
