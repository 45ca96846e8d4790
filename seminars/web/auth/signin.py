"""What every way of signing in ends with: a server-side session, its token in the Flask
session, the device cookie, and an email when the browser is new to the account. Also the
half-finished login between the password and the second factor."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Response, current_app, g, request, session, url_for
from flask_login import login_user

from seminars import dates
from seminars.accounts import factors, sessions
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import LoginSession, Organizer, utcnow
from seminars.organising import access
from seminars.web.i18n import current_language
from seminars.web.redirects import local_path

DEVICE_COOKIE = "device"
DEVICE_COOKIE_SECONDS = 400 * 24 * 3600  # the longest browsers keep a cookie
# Between the password and the second factor: this long, then the password again.
PENDING_SECONDS = 600
SESSION_TOKEN = "sid"
PENDING = "pending_login"
SETUP_FACTOR = "setup_factor"


def idle_limit() -> timedelta:
    """A session unused this long has ended: the cookie's own lifetime (sliding)."""
    return current_app.permanent_session_lifetime


def current_login_session() -> LoginSession | None:
    """The server-side session of this request (set when the user was loaded)."""
    return g.get("login_session")


def landing(organizer: Organizer, target: str | None) -> str:
    """Where to go after logging in: a path on this site only, else their start page."""
    if target and local_path(target):
        return local_path(target)
    if access.manages_seminars(organizer):
        return url_for("organizer.dashboard")
    return url_for("attendees.my_check_ins")


def complete(
    organizer: Organizer,
    method: str,
    response: Response,
    *,
    sso_provider_id: int | None = None,
    id_token: str = "",
) -> Response:
    """Sign the organiser in on this browser (both factors done); commits."""
    device = request.cookies.get(DEVICE_COOKIE) or sessions.new_token()
    started = sessions.start(
        organizer,
        device_token=device,
        user_agent=request.headers.get("User-Agent", ""),
        method=method,
        sso_provider_id=sso_provider_id,
        id_token=id_token,
    )
    if started.new_device:
        _queue_new_device_mail(organizer, started.login_session)
    # Flask's session cookie then lasts PERMANENT_SESSION_LIFETIME, not "until the browser
    # closes", which on phones can mean weeks.
    session.clear()
    session.permanent = True
    session[SESSION_TOKEN] = started.token
    if (
        method == "password"
        and factors.second_factor_required(organizer)
        and not factors.has_second_factor(organizer)
    ):
        session[SETUP_FACTOR] = True
    db.session.commit()
    g.login_session = started.login_session
    login_user(organizer)
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        max_age=DEVICE_COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


def _queue_new_device_mail(organizer: Organizer, login_session: LoginSession) -> None:
    outbox.queue(
        "new_device_login",
        dedupe_key=f"new_device_login:{login_session.id}",
        to_email=organizer.email,
        to_name=organizer.name,
        language=current_language(),
        context={
            "device": sessions.describe_device(login_session.user_agent),
            "when": dates.when(login_session.created_at, current_language()),
            "security_url": current_app.config["BASE_URL"] + url_for("account.security"),
        },
    )


def start_pending(organizer: Organizer) -> None:
    """The password was right; the second factor is next."""
    session[PENDING] = {"id": organizer.id, "at": int(time.time())}


def pending_organizer() -> Organizer | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    organizer = db.session.get(Organizer, pending.get("id"))
    return organizer if organizer is not None and organizer.active else None


def pending_key() -> str:
    """The rate limiter's key for second-factor attempts: per account, not per browser."""
    pending = session.get(PENDING)
    return f"second-factor:{pending.get('id') if isinstance(pending, dict) else '-'}"


def load(organizer_id: str) -> Organizer | None:
    """Flask-Login's user loader: the account, only with a live server-side session."""
    token = session.get(SESSION_TOKEN)
    if not token or not organizer_id.isdigit():
        return None
    organizer = db.session.get(Organizer, int(organizer_id))
    if organizer is None or not organizer.active:
        return None
    clean = not (db.session.new or db.session.dirty or db.session.deleted)
    row = sessions.current(organizer.id, token, idle_limit=idle_limit(), now=utcnow())
    if row is None:
        return None
    if clean and db.session.dirty:
        # Only "last seen" changed, and nothing else is pending: write it now.
        db.session.commit()
    g.login_session = row
    return organizer
