"""Signed-in sessions, kept on the server so they can be listed and ended.

The Flask session carries a random token; only its SHA-256 is stored. A session whose row
is ended (logged out, ended from another device, or by a password or factor change) is
refused on the next request, whatever its cookie says.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from ua_parser import parse as parse_user_agent

from seminars.accounts import log as account_log
from seminars.extensions import db
from seminars.models import LoginSession, Organizer, utcnow

# "Last seen" is written at most this often, so a busy organiser does not write on every page.
LAST_SEEN_EVERY = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class Started:
    login_session: LoginSession
    token: str  # goes into the Flask session; never stored
    new_device: bool  # a browser this account has not signed in from before


def describe_device(user_agent: str) -> str:
    """ "Firefox 128 on Windows", from the User-Agent header; "" when it says nothing."""
    if not user_agent:
        return ""
    parsed = parse_user_agent(user_agent[:300])
    browser = parsed.user_agent.family if parsed.user_agent else ""
    if parsed.user_agent and parsed.user_agent.major:
        browser = f"{browser} {parsed.user_agent.major}"
    system = parsed.os.family if parsed.os else ""
    return " · ".join(part for part in (browser, system) if part and part != "Other")


def start(
    organizer: Organizer,
    *,
    device_token: str,
    user_agent: str,
    method: str,
    sso_provider_id: int | None = None,
    id_token: str = "",
    now: datetime | None = None,
) -> Started:
    """A new session for this organiser, from the browser with this device cookie."""
    now = now or utcnow()
    device_hash = digest(device_token)
    earlier, from_this_device = db.session.execute(
        select(func.count(), func.count().filter(LoginSession.device_hash == device_hash)).where(
            LoginSession.organizer_id == organizer.id
        )
    ).one()
    token = new_token()
    row = LoginSession(
        organizer_id=organizer.id,
        token_hash=digest(token),
        device_hash=device_hash,
        user_agent=user_agent[:300],
        method=method,
        sso_provider_id=sso_provider_id,
        id_token=id_token,
        created_at=now,
        last_seen_at=now,
    )
    db.session.add(row)
    db.session.flush()
    account_log.record(organizer, f"login_{method}", detail=describe_device(user_agent))
    # The very first sign-in (an accepted invitation) is not news to anyone.
    return Started(row, token, new_device=earlier > 0 and from_this_device == 0)


def current(
    organizer_id: int, token: str, *, idle_limit: timedelta, now: datetime | None = None
) -> LoginSession | None:
    """The live session this token belongs to, with its last-seen time brought up to date.
    A session unused for `idle_limit` has ended (as its cookie has)."""
    now = now or utcnow()
    row = db.session.scalars(
        select(LoginSession).where(
            LoginSession.token_hash == digest(token),
            LoginSession.organizer_id == organizer_id,
            LoginSession.ended_at.is_(None),
            LoginSession.last_seen_at > now - idle_limit,
        )
    ).one_or_none()
    if row is not None and now - row.last_seen_at >= LAST_SEEN_EVERY:
        row.last_seen_at = now
    return row


def active(organizer: Organizer, *, idle_limit: timedelta) -> list[LoginSession]:
    """The organiser's sessions that are still usable, most recently used first."""
    return list(
        db.session.scalars(
            select(LoginSession)
            .where(
                LoginSession.organizer_id == organizer.id,
                LoginSession.ended_at.is_(None),
                LoginSession.last_seen_at > utcnow() - idle_limit,
            )
            .order_by(LoginSession.last_seen_at.desc())
        )
    )


def end(login_session: LoginSession, now: datetime | None = None) -> None:
    if login_session.ended_at is None:
        login_session.ended_at = now or utcnow()
    db.session.flush()


def end_one(organizer: Organizer, session_id: int) -> bool:
    """End one of this organiser's own sessions; False when there is no such live session."""
    ended = db.session.execute(
        update(LoginSession)
        .where(
            LoginSession.id == session_id,
            LoginSession.organizer_id == organizer.id,
            LoginSession.ended_at.is_(None),
        )
        .values(ended_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
    if ended:
        account_log.record(organizer, "session_ended")
    return ended == 1


def end_others(organizer: Organizer, keep: LoginSession | None = None) -> int:
    """End every live session of this organiser but `keep`; returns how many ended."""
    conditions = [LoginSession.organizer_id == organizer.id, LoginSession.ended_at.is_(None)]
    if keep is not None:
        conditions.append(LoginSession.id != keep.id)
    return db.session.execute(
        update(LoginSession).where(*conditions).values(ended_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
