"""What an API token does with a seminar's registrations: list them page by page, read the
waiting list, sign someone up (through `signup.sign_up`, the one way in) and cancel.

Every write is recorded in the audit log with the token's name, in the same transaction;
the caller commits once.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from sqlalchemy import and_, or_, select

from seminars import signup
from seminars.api import schemas
from seminars.api.resources import hidden_answers_for, registration_resource
from seminars.extensions import db
from seminars.models import ApiToken, Registration, Seminar, Status
from seminars.organising import audit


class BadCursor(ValueError):
    """A cursor this API did not hand out."""


def encode_cursor(registration: Registration) -> str:
    raw = json.dumps([registration.updated_at.isoformat(), registration.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, registration_id = json.loads(raw)
        moment, registration_id = datetime.fromisoformat(moment), int(registration_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise BadCursor(cursor) from error
    if moment.tzinfo is None or not 0 <= registration_id <= schemas.MAX_ID:
        raise BadCursor(cursor)
    return moment, registration_id


def _waiting_positions(seminar_id: int) -> dict[int, int]:
    ids = db.session.scalars(
        select(Registration.id)
        .where(Registration.seminar_id == seminar_id, Registration.status == Status.WAITING)
        .order_by(Registration.id)
    )
    return {registration_id: place for place, registration_id in enumerate(ids, 1)}


def _resources(seminar: Seminar, token: ApiToken, rows) -> list[schemas.Registration]:
    hidden = hidden_answers_for(token.organization, seminar.id)
    positions = (
        _waiting_positions(seminar.id) if any(r.status == Status.WAITING for r in rows) else {}
    )
    return [
        registration_resource(r, hidden_answers=hidden, waiting_position=positions.get(r.id))
        for r in rows
    ]


def page(
    seminar: Seminar, token: ApiToken, query: schemas.RegistrationQuery
) -> schemas.RegistrationPage:
    """One page of the seminar's registrations in the order they last changed (then id), so
    a client that keeps the last cursor, or asks `updated_since`, misses no change."""
    conditions = [Registration.seminar_id == seminar.id, Registration.anonymised_at.is_(None)]
    if query.status is not None:
        conditions.append(Registration.status == query.status)
    if query.updated_since is not None:
        conditions.append(Registration.updated_at >= query.updated_since)
    if query.cursor:
        moment, last_id = decode_cursor(query.cursor)
        conditions.append(
            or_(
                Registration.updated_at > moment,
                and_(Registration.updated_at == moment, Registration.id > last_id),
            )
        )
    rows = list(
        db.session.scalars(
            select(Registration)
            .where(*conditions)
            .order_by(Registration.updated_at, Registration.id)
            .limit(query.limit + 1)
        )
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return schemas.RegistrationPage(
        items=_resources(seminar, token, rows),
        next_cursor=encode_cursor(rows[-1]) if more else None,
    )


def one(seminar: Seminar, token: ApiToken, registration: Registration) -> schemas.Registration:
    return _resources(seminar, token, [registration])[0]


def waiting_list(seminar: Seminar, token: ApiToken) -> schemas.WaitingList:
    rows = list(
        db.session.scalars(
            select(Registration)
            .where(Registration.seminar_id == seminar.id, Registration.status == Status.WAITING)
            .order_by(Registration.id)
        )
    )
    return schemas.WaitingList(seminar_id=seminar.id, items=_resources(seminar, token, rows))


REFUSED = (
    signup.Outcome.CHANGED,
    signup.Outcome.CLOSED,
    signup.Outcome.FULL,
    signup.Outcome.SESSION_FULL,
)


def sign_up(
    seminar: Seminar,
    attendee: signup.Attendee,
    token: ApiToken,
    *,
    content_version: int,
    mode: str | None = None,
    sessions: dict[int, int] | None = None,
) -> signup.SignupOutcome:
    """Sign a person up as the public form does (the same window, seats and waiting list,
    per mode and per session; someone registered already is sent their link again), in the
    session's transaction."""
    reads = "registrations:read" in token.scopes
    outcome = signup.sign_up(
        seminar.id,
        attendee,
        content_version=content_version,
        place_in_line=reads,
        mode=mode,
        sessions=sessions,
    )
    if outcome.kind in REFUSED:
        return outcome
    audit.record(
        None,
        "api_signup",
        seminar=seminar,
        organization_id=token.organization_id,
        detail={
            "token": token.name,
            "outcome": str(outcome.kind),
            "registration": outcome.registration_id,
        },
    )
    return outcome


def cancel(registration: Registration, token: ApiToken) -> list[Registration]:
    """Cancel as the attendee's own link does: they are told, a freed seat goes to the
    first in line in the same transaction."""
    was = registration.status
    promoted = signup.cancel(registration)
    if was != Status.CANCELLED:
        audit.record(
            None,
            "api_cancelled",
            seminar=registration.seminar,
            organization_id=token.organization_id,
            detail={
                "token": token.name,
                "registration": registration.id,
                "promoted": [p.id for p in promoted],
            },
        )
    return promoted
