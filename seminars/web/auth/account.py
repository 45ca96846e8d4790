"""An organiser's own account and its security: password, authenticator app, recovery
codes, passkeys, linked single sign-on identities, sessions on other devices, and the log
of what happened to the account. Also the guard that leads a person through a temporary
password and a required second factor before anything else."""

from __future__ import annotations

import json

import segno
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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from seminars.accounts import factors, organizers, passkeys, sessions, sso
from seminars.accounts import log as account_log
from seminars.extensions import db
from seminars.models import Organizer, SsoIdentity
from seminars.organising import access
from seminars.web.auth import signin
from seminars.web.auth.forms import ChangePasswordForm, PasskeyNameForm, TotpCodeForm
from seminars.web.fields import ConfirmForm

bp = Blueprint("account", __name__, url_prefix="/organizer/account")

REGISTRATION_CHALLENGE = "passkey_registration_challenge"
# Organiser areas the guard watches over; public pages and signing in are never held up.
GUARDED_BLUEPRINTS = {"organizer", "attendees", "exports", "admin", "account"}
# What a person who must first set up a second factor may still use.
SETUP_ENDPOINTS = {
    "account.security",
    "account.totp_setup",
    "account.passkey_options",
    "account.add_passkey",
    "account.new_recovery_codes",
}
# A door helper's pages besides their own account.
DOOR_HELPER_ENDPOINTS = {
    "attendees.my_check_ins",
    "attendees.check_in",
    "attendees.check_in_person",
    "attendees.toggle_check_in",
}


ACCOUNT_EVENT_LABELS = {
    "login_password": _l("Logged in with the password"),
    "login_passkey": _l("Logged in with a passkey"),
    "login_sso": _l("Logged in through single sign-on"),
    "password_changed": _l("Changed the password"),
    "totp_added": _l("Turned on the authenticator app"),
    "totp_removed": _l("Removed the authenticator app"),
    "passkey_added": _l("Added a passkey"),
    "passkey_removed": _l("Removed a passkey"),
    "recovery_code_used": _l("Used a recovery code"),
    "recovery_codes_renewed": _l("Made new recovery codes"),
    "factors_reset": _l("An administrator removed the second factors"),
    "session_ended": _l("Ended a session on another device"),
    "sessions_ended": _l("Logged out on every other device"),
    "invite_accepted": _l("Accepted the invitation"),
    "created": _l("The account was created"),
    "created_by_sso": _l("The account was created at a first single sign-on"),
    "approved": _l("An administrator approved the account"),
    "sso_linked": _l("Linked a login through single sign-on"),
    "sso_unlinked": _l("Removed a link to single sign-on"),
}


def init_app(app: Flask) -> None:
    app.before_request(_guard)
    app.context_processor(
        lambda: {"organiser_nav": _navigation, "account_event_labels": ACCOUNT_EVENT_LABELS}
    )


def standing() -> access.Standing:
    """The signed-in person's standing, read once per request (kept in the request's
    environ: `g` belongs to the app context, which tests keep across requests)."""
    if "seminars.standing" not in request.environ:
        request.environ["seminars.standing"] = access.standing(current_user)
    return request.environ["seminars.standing"]


def _navigation() -> dict[str, bool]:
    """Which of the organiser area's sections the signed-in person has."""
    mine = standing()
    return {
        "seminars": mine.manages_seminars,
        "check_in": not mine.manages_seminars or mine.door_helper,
        "administration": mine.administers,
    }


def _guard():
    """A temporary password is changed first, then a required second factor is set up;
    a door helper never gets past their check-in lists."""
    if request.blueprint not in GUARDED_BLUEPRINTS or not current_user.is_authenticated:
        return None
    me = current_user
    if me.must_change_password:
        if request.endpoint != "account.password":
            return redirect(url_for("account.password"))
        return None
    if session.get(signin.SETUP_FACTOR) and request.endpoint not in SETUP_ENDPOINTS:
        if factors.has_second_factor(me):
            session.pop(signin.SETUP_FACTOR)
        else:
            return redirect(url_for("account.security"))
    helping_at_the_door = request.blueprint == "account" or (
        request.endpoint in DOOR_HELPER_ENDPOINTS
    )
    if not helping_at_the_door and not standing().manages_seminars:
        abort(403)
    return None


@bp.before_request
@login_required
def require_login() -> None:
    """Every page here is about the logged-in person's own account."""


def me() -> Organizer:
    return current_user._get_current_object()


def _keep():
    return signin.current_login_session()


@bp.get("/")
def security():
    organizer = me()
    identities = db.session.scalars(
        select(SsoIdentity).where(SsoIdentity.organizer_id == organizer.id)
    ).all()
    linked = {identity.provider_id for identity in identities}
    return render_template(
        "auth/security.html",
        organizer=organizer,
        has_totp=factors.has_totp(organizer),
        recovery_left=factors.recovery_codes_left(organizer),
        passkeys=passkeys.of(organizer),
        passkey_form=PasskeyNameForm(),
        identities=identities,
        providers=[p for p in sso.enabled_providers() if p.id not in linked],
        login_sessions=sessions.active(organizer, idle_limit=signin.idle_limit()),
        this_session=_keep(),
        describe_device=sessions.describe_device,
        events=account_log.recent(organizer),
        setting_up=bool(session.get(signin.SETUP_FACTOR)),
        required=factors.second_factor_required(organizer),
        action_form=ConfirmForm(),
    )


@bp.route("/password", methods=["GET", "POST"])
def password():
    organizer = me()
    form = ChangePasswordForm()
    if organizer.must_change_password:
        # They logged in with the temporary password a moment ago.
        del form.current
    if form.validate_on_submit():
        if form.current and organizers.authenticate(organizer.email, form.current.data) is None:
            form.current.errors.append(_("That is not your current password."))
        else:
            organizers.change_password(organizer, form.password.data, keep=_keep())
            db.session.commit()
            flash(_("Your new password is saved. You are logged out everywhere else."), "success")
            return redirect(url_for("account.security"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form, forced=not form.current), status


def _qr_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


@bp.route("/app", methods=["GET", "POST"])
def totp_setup():
    organizer = me()
    form = TotpCodeForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            codes = factors.confirm_totp(organizer, form.code.data, keep=_keep())
        except factors.WrongCode:
            form.code.errors.append(
                _("That code is not right. Check the time on your phone and try the next one.")
            )
        else:
            db.session.commit()
            session.pop(signin.SETUP_FACTOR, None)
            return _show_recovery_codes(codes, just_added=True)
    secret = factors.pending_totp_secret(organizer) or factors.start_totp(organizer)
    db.session.commit()
    uri = factors.provisioning_uri(organizer, secret, issuer=_("Seminars"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "auth/totp_setup.html",
        form=form,
        qr=_qr_data_uri(uri),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    ), status


def _show_recovery_codes(codes: list[str], *, just_added: bool = False):
    response = Response(
        render_template("auth/recovery_codes.html", codes=codes, just_added=just_added)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/recovery-codes")
def new_recovery_codes():
    organizer = me()
    if not ConfirmForm().validate_on_submit() or not factors.has_second_factor(organizer):
        abort(400)
    codes = factors.new_recovery_codes(organizer)
    account_log.record(organizer, "recovery_codes_renewed")
    db.session.commit()
    return _show_recovery_codes(codes)


def _would_leave_no_factor(organizer: Organizer, *, removing_totp: bool) -> bool:
    others = factors.passkey_count(organizer) - (0 if removing_totp else 1)
    if not removing_totp and factors.has_totp(organizer):
        others += 1
    return factors.second_factor_required(organizer) and others <= 0


@bp.post("/app/remove")
def remove_totp():
    organizer = me()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if _would_leave_no_factor(organizer, removing_totp=True):
        flash(_("Your organisation requires a second factor: add a passkey first."), "error")
    else:
        factors.remove_totp(organizer, keep=_keep())
        db.session.commit()
        flash(_("The authenticator app is removed."), "success")
    return redirect(url_for("account.security"), 303)


@bp.post("/passkeys/options")
def passkey_options():
    options, challenge = passkeys.registration_options(
        me(), current_app.config["BASE_URL"], site_name=_("Seminars")
    )
    session[REGISTRATION_CHALLENGE] = challenge
    db.session.commit()
    return Response(options, mimetype="application/json")


@bp.post("/passkeys")
def add_passkey():
    """The browser's new credential (JSON, sent by passkeys.js) and the name typed for it."""
    payload = request.get_json(silent=True) or {}
    form = PasskeyNameForm(data={"name": payload.get("name", "")}, meta={"csrf": False})
    challenge = session.pop(REGISTRATION_CHALLENGE, None)
    if not form.validate():
        return jsonify(error=form.name.errors[0]), 422
    if challenge is None or not isinstance(payload.get("credential"), dict):
        return jsonify(error=_("Adding the passkey took too long. Try again.")), 400
    try:
        passkeys.register(
            me(),
            json.dumps(payload["credential"]),
            challenge=challenge,
            name=form.name.data,
            base_url=current_app.config["BASE_URL"],
            keep=_keep(),
        )
    except passkeys.PasskeyRefused:
        db.session.rollback()
        return jsonify(error=_("The passkey could not be added. Try again.")), 422
    session.pop(signin.SETUP_FACTOR, None)
    db.session.commit()
    flash(_("The passkey “%(name)s” is added.", name=form.name.data), "success")
    return jsonify(redirect=url_for("account.security"))


@bp.post("/passkeys/<int:passkey_id>/remove")
def remove_passkey(passkey_id: int):
    organizer = me()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not any(p.id == passkey_id for p in passkeys.of(organizer)):
        abort(404)
    if _would_leave_no_factor(organizer, removing_totp=False):
        flash(_("Your organisation requires a second factor: add another one first."), "error")
    else:
        passkeys.remove(organizer, passkey_id, keep=_keep())
        db.session.commit()
        flash(_("The passkey is removed."), "success")
    return redirect(url_for("account.security"), 303)


@bp.post("/sessions/<int:session_id>/end")
def end_session(session_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not sessions.end_one(me(), session_id):
        abort(404)
    db.session.commit()
    flash(_("That session is ended."), "success")
    return redirect(url_for("account.security"), 303)


@bp.post("/sessions/end-others")
def end_other_sessions():
    organizer = me()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ended = sessions.end_others(organizer, keep=_keep())
    account_log.record(organizer, "sessions_ended")
    db.session.commit()
    flash(_("You are logged out on every other device (%(num)d).", num=ended), "success")
    return redirect(url_for("account.security"), 303)
