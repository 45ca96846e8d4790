"""Organiser accounts on the web: log in and out, forgotten password, the session's user."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from seminars.extensions import db, login_manager
from seminars.models import Organizer
from seminars.organising import accounts
from seminars.web.auth.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm
from seminars.web.i18n import current_language
from seminars.web.redirects import local_path
from seminars.web.security import login_rate_limit

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_organizer(organizer_id: str) -> Organizer | None:
        organizer = db.session.get(Organizer, int(organizer_id))
        return organizer if organizer and organizer.active else None


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only, else the dashboard."""
    return local_path(target) or url_for("organizer.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@login_rate_limit
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    problem = ""
    if form.validate_on_submit():
        organizer = accounts.authenticate(form.email.data, form.password.data)
        if organizer is not None:
            # Flask's session cookie then lasts PERMANENT_SESSION_LIFETIME, not "until
            # the browser closes", which on phones can mean weeks.
            session.permanent = True
            login_user(organizer)
            return redirect(safe_next(request.args.get("next")), 303)
        problem = _("Wrong email or password.")
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, problem=problem), status


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@login_rate_limit
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(
            form.email.data,
            lambda token: (
                current_app.config["BASE_URL"] + url_for("auth.reset_password", token=token)
            ),
            language=current_language(),
        )
        db.session.commit()
        return render_template("auth/reset_sent.html")
    status = 422 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if accounts.organizer_for_reset_token(token) is None:
        return render_template("auth/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.reset_password(token, form.password.data)
        db.session.commit()
        flash(_("Your new password is saved. Log in with it."), "success")
        return redirect(url_for("auth.login"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form), status
