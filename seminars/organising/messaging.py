"""Domain: messages from the organiser to a seminar's attendees, and the email log.

Who a message goes to (everyone with a seat, the waiting list, one mode or one parallel
session), the sample shown before sending, sending it once, the history of messages with
their progress, and sending a failed email again. Like `roster`, every action is written
to the audit log in the same transaction, and the caller commits once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import (
    AuditEvent,
    Organizer,
    OutboxMessage,
    Registration,
    Seminar,
    Status,
)
from seminars.organising import audit
from seminars.organising.roster import RosterError, audit_detail, counts, of_mode
from seminars.organising.sessions import seated_in


class NoRecipients(RosterError):
    pass


class AlreadySent(RosterError):
    """The same message form was sent twice (a double click, or a reloaded page)."""


# ------------------------------------------------------------------------- messages


def _audience_filter(audience: str):
    if audience == "confirmed":
        return [Registration.status == Status.CONFIRMED]
    if audience == "waiting":
        return [Registration.status == Status.WAITING]
    if audience == "checked_in":
        return [Registration.status == Status.CONFIRMED, Registration.checked_in_at.is_not(None)]
    if audience == "everyone":
        return [Registration.status.in_([Status.CONFIRMED, Status.WAITING])]
    session_id = audience.removeprefix("session-")
    if session_id.isdigit():  # everyone with a seat in one parallel session
        return [Registration.status == Status.CONFIRMED, seated_in(int(session_id))]
    raise ValueError(audience)


def _recipients_query(seminar: Seminar, audience: str, mode: str = ""):
    return select(Registration).where(
        Registration.seminar_id == seminar.id,
        Registration.anonymised_at.is_(None),
        *_audience_filter(audience),
        *of_mode(mode),
    )


def recipient_count(seminar: Seminar, audience: str, mode: str = "") -> int:
    """How many one audience (of one mode, if given) reaches right now."""
    query = _recipients_query(seminar, audience, mode).subquery()
    return db.session.scalar(select(func.count()).select_from(query))


def recipient_counts(seminar: Seminar) -> dict[str, int]:
    """How many people each audience reaches right now."""
    seminar_counts = counts(seminar)
    return {
        "confirmed": seminar_counts.confirmed,
        "waiting": seminar_counts.waiting,
        "checked_in": seminar_counts.checked_in,
        "everyone": seminar_counts.confirmed + seminar_counts.waiting,
    }


def message_context(subject: str, body: str, *, greeting: bool) -> dict:
    """What the email template gets: the text, and whether to start with "Hej <namn>!"."""
    return {"subject": subject, "body": body, "greeting": greeting}


def sample_message(
    seminar: Seminar, *, audience: str, subject: str, body: str, greeting: bool, mode: str = ""
) -> OutboxMessage | None:
    """The message as its first recipient would get it, unsaved: the preview renders it
    with the worker's own code, so it shows exactly what is sent. None without recipients."""
    first = db.session.scalars(
        _recipients_query(seminar, audience, mode).order_by(Registration.id).limit(1)
    ).first()
    if first is None:
        return None
    # The row queue_for_registration would write for this attendee, not saved.
    return OutboxMessage(
        kind="message",
        dedupe_key="preview",
        to_email=first.email,
        to_name=first.name,
        language=first.language,
        seminar_id=first.seminar_id,
        registration_id=first.id,
        context=message_context(subject, body, greeting=greeting),
    )


def send_message(
    seminar: Seminar,
    organizer: Organizer,
    *,
    audience: str,
    subject: str,
    body: str,
    form_id: str,
    greeting: bool = True,
    mode: str = "",
) -> int:
    """Queue one email per recipient and log it; returns how many were queued.

    `form_id` comes from the preview page: sending the same preview twice raises
    AlreadySent instead of mailing everyone again. `mode`: only to those who take part that
    way (on site or online, at a hybrid seminar).
    """
    # Serialise sends for this seminar so the repeat check below cannot race.
    db.session.execute(select(Seminar.id).where(Seminar.id == seminar.id).with_for_update())
    repeat = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.seminar_id == seminar.id,
            AuditEvent.action == "messaged",
            AuditEvent.detail.contains(json.dumps({"form": form_id})[1:-1], autoescape=True),
        )
    )
    if repeat is not None:
        raise AlreadySent(form_id)
    recipients = db.session.scalars(
        _recipients_query(seminar, audience, mode).order_by(Registration.id)
    ).all()
    if not recipients:
        raise NoRecipients(audience)
    event = audit.record(organizer, "messaged", seminar=seminar)
    event.detail = audit_detail(
        audience=audience,
        count=len(recipients),
        form=form_id,
        subject=subject,
        **({"mode": mode} if mode else {}),
    )
    db.session.flush()
    context = message_context(subject, body, greeting=greeting)
    for registration in recipients:
        outbox.queue_for_registration(
            "message",
            registration,
            dedupe_key=f"message:{event.id}:{registration.id}",
            context=context,
        )
    return len(recipients)


@dataclass(frozen=True)
class SentMessage:
    id: int
    sent_at: datetime
    sent_by: str
    subject: str
    audience: str
    count: int


def message_history(seminar: Seminar) -> list[SentMessage]:
    """Messages sent for this seminar, newest first, as the audit log recorded them."""
    events = db.session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.organizer))
        .where(AuditEvent.seminar_id == seminar.id, AuditEvent.action == "messaged")
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    ).all()
    history = []
    for event in events:
        detail = json.loads(event.detail or "{}")
        history.append(
            SentMessage(
                id=event.id,
                sent_at=event.created_at,
                sent_by=event.organizer.name if event.organizer else "",
                subject=detail.get("subject", ""),
                audience=detail.get("audience", ""),
                count=detail.get("count", 0),
            )
        )
    return history


# ------------------------------------------------------------------------ email log


def resend_email(message: OutboxMessage, seminar: Seminar, organizer: Organizer) -> bool:
    """Try a failed email again at the worker's next pass; False if it was not failed."""
    if not outbox.retry_now(message):
        return False
    audit.record(
        organizer,
        "resent",
        seminar=seminar,
        detail=audit_detail(
            email=message.id, kind=message.kind, registration=message.registration_id
        ),
    )
    return True
