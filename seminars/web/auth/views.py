"""Signing in on the web: the password, the second step (authenticator app, recovery code
or passkey), a passkey alone, logging out, a forgotten password, accepting an invitation."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from seminars.accounts import factors, invites, organizers, passkeys, sessions
from seminars.extensions import db, login_manager
from seminars.web.auth import signin
from seminars.web.auth.forms import (
    AcceptInviteForm,
    ForgotPasswordForm,
    LoginForm,
    RecoveryCodeForm,
    ResetPasswordForm,
    TotpCodeForm,
)
from seminars.web.i18n import current_language
from seminars.web.security import login_rate_limit, second_factor_rate_limit, sign_in_rate_limit

bp = Blueprint("auth", __name__)

PASSKEY_CHALLENGE = "passkey_challenge"


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.user_loader(signin.load)


def _status() -> int:
    return 422 if request.method == "POST" else 200


def _sso_providers():
    from seminars.accounts import sso

    return sso.enabled_providers()


@bp.route("/login", methods=["GET", "POST"])
@login_rate_limit
def login():
    if current_user.is_authenticated:
        return redirect(signin.landing(current_user, request.args.get("next")))
    form = LoginForm()
    problem = ""
    if form.validate_on_submit():
        organizer = organizers.authenticate(form.email.data, form.password.data)
        if organizer is not None:
            target = request.args.get("next")
            if factors.has_second_factor(organizer):
                signin.start_pending(organizer)
                return redirect(url_for("auth.second_factor", next=target), 303)
            response = redirect(signin.landing(organizer, target), 303)
            return signin.complete(organizer, "password", response)
        problem = _("Wrong email or password.")
    return render_template(
        "auth/login.html", form=form, problem=problem, providers=_sso_providers()
    ), _status()


def _second_factor_page(organizer, totp_form, recovery_form, problem="", status=200):
    return render_template(
        "auth/second_factor.html",
        organizer=organizer,
        totp_form=totp_form,
        recovery_form=recovery_form,
        has_totp=factors.has_totp(organizer),
        has_passkey=factors.passkey_count(organizer) > 0,
        recovery_left=factors.recovery_codes_left(organizer),
        problem=problem,
    ), status


@bp.route("/login/verify", methods=["GET", "POST"])
@second_factor_rate_limit
def second_factor():
    organizer = signin.pending_organizer()
    if organizer is None:
        flash(_("Log in again: the login took too long."), "error")
        return redirect(url_for("auth.login"), 303)
    totp_form = TotpCodeForm(prefix="totp")
    recovery_form = RecoveryCodeForm(prefix="recovery")
    target = request.args.get("next")
    if request.method == "POST":
        if "recovery-recovery_code" in request.form:
            field = recovery_form.recovery_code
            valid = recovery_form.validate_on_submit()
            accepted = valid and factors.use_recovery_code(organizer, field.data)
            wrong = _("That recovery code is not right, or it was used already.")
        else:
            field = totp_form.code
            valid = totp_form.validate_on_submit()
            accepted = valid and factors.verify_totp(organizer, field.data)
            wrong = _("That code is not right, or it was used already. Wait for the next one.")
        if accepted:
            response = redirect(signin.landing(organizer, target), 303)
            return signin.complete(organizer, "password", response)
        db.session.commit()
        if valid:
            field.errors.append(wrong)
        return _second_factor_page(organizer, totp_form, recovery_form, status=422)
    return _second_factor_page(organizer, totp_form, recovery_form)


def _json_credential() -> str:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("credential"), dict):
        abort(400)
    return json.dumps(payload["credential"])


@bp.post("/login/passkey/options")
@sign_in_rate_limit
def passkey_options():
    """Options for signing in with a passkey: this account's (second step) or any."""
    organizer = signin.pending_organizer() if request.args.get("step") == "second" else None
    if request.args.get("step") == "second" and organizer is None:
        abort(400)
    options, challenge = passkeys.sign_in_options(current_app.config["BASE_URL"], organizer)
    session[PASSKEY_CHALLENGE] = challenge
    db.session.commit()
    return Response(options, mimetype="application/json")


@bp.post("/login/passkey")
@sign_in_rate_limit
def passkey_login():
    """The browser's answer: a passkey alone (both factors), or as the second step."""
    challenge = session.pop(PASSKEY_CHALLENGE, None)
    second_step = request.args.get("step") == "second"
    organizer = signin.pending_organizer() if second_step else None
    if challenge is None or (second_step and organizer is None):
        return jsonify(error=_("Log in again: the login took too long.")), 400
    try:
        owner = passkeys.authenticate(
            _json_credential(),
            challenge=challenge,
            base_url=current_app.config["BASE_URL"],
            organizer=organizer,
        )
    except passkeys.PasskeyRefused:
        db.session.rollback()
        return jsonify(error=_("That passkey could not be used to log in here.")), 422
    if not owner.active:
        return jsonify(error=_("That passkey could not be used to log in here.")), 422
    target = signin.landing(owner, request.args.get("next"))
    response = jsonify(redirect=target)
    # The second step of a password login, or a passkey that was both factors.
    return signin.complete(owner, "password" if second_step else "passkey", response)


@bp.post("/logout")
def logout():
    login_session = signin.current_login_session() if current_user.is_authenticated else None
    at_provider = None
    if login_session is not None:
        sessions.end(login_session)
        if login_session.sso_provider_id:
            from seminars.web.auth import sso

            at_provider = sso.end_session_page(login_session)
        db.session.commit()
    logout_user()
    session.clear()
    if at_provider is not None:
        return at_provider
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@login_rate_limit
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        organizers.request_password_reset(
            form.email.data,
            lambda token: (
                current_app.config["BASE_URL"] + url_for("auth.reset_password", token=token)
            ),
            language=current_language(),
        )
        db.session.commit()
        return render_template("auth/reset_sent.html")
    return render_template("auth/forgot.html", form=form), _status()


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if organizers.organizer_for_reset_token(token) is None:
        return render_template("auth/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        organizers.reset_password(token, form.password.data)
        db.session.commit()
        flash(_("Your new password is saved. Log in with it."), "success")
        return redirect(url_for("auth.login"), 303)
    return render_template("auth/reset.html", form=form), _status()


@bp.route("/invite/<token>", methods=["GET", "POST"])
@sign_in_rate_limit
def accept_invite(token: str):
    try:
        invite = invites.usable(token)
    except invites.InviteUnusable:
        return render_template("auth/invite_invalid.html"), 400
    form = AcceptInviteForm()
    if form.validate_on_submit():
        try:
            organizer = invites.accept(token, form.password.data)
        except (invites.InviteUnusable, organizers.EmailTaken):
            db.session.rollback()
            return render_template("auth/invite_invalid.html"), 400
        flash(_("Welcome! Your account is ready."), "success")
        response = redirect(signin.landing(organizer, None), 303)
        return signin.complete(organizer, "password", response)
    return render_template("auth/invite.html", form=form, invite=invite), _status()
