"""Domain: which reminders and "Kommer du fortfarande?" checks are due, as outbox rows.

A reminder is due at the seminar's start minus its offset, computed in UTC, so it fires the
same number of hours before the start whatever daylight-saving change lies between. Each
(registration, offset) is queued at most once (dedupe key `reminder:<offset>:<id>`). A
registration made after a reminder's due time never gets that reminder, and one whose due
time passed more than REMINDER_GRACE_MINUTES ago (the worker was down) is recorded as
missed instead of being sent late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import String, cast, exists, literal, select

from seminars import signup
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import (
    OutboxMessage,
    OutboxStatus,
    Registration,
    Seminar,
    SeminarStatus,
    Status,
    utcnow,
)

ANSWERS = ("yes", "no")
# Seminars that began longer ago than this are no longer looked at, so a pass stays cheap.
LOOKBACK = timedelta(days=7)


@dataclass
class QueuedReport:
    queued: int = 0
    missed: int = 0


def _recent_seminars(now: datetime) -> list[Seminar]:
    return list(
        db.session.scalars(
            select(Seminar).where(
                Seminar.status == SeminarStatus.PUBLISHED, Seminar.starts_at > now - LOOKBACK
            )
        )
    )


def _queue_due(
    kind: str,
    seminar: Seminar,
    due: datetime,
    dedupe_prefix: str,
    now: datetime,
    report: QueuedReport,
    *,
    context: dict | None = None,
    unanswered_only: bool = False,
) -> None:
    """Queue `kind` for every confirmed registration of `seminar` made by `due` that has none."""
    grace = timedelta(minutes=current_app.config["REMINDER_GRACE_MINUTES"])
    status = OutboxStatus.MISSED if now - due > grace else OutboxStatus.PENDING
    already_queued = exists().where(
        OutboxMessage.dedupe_key == literal(dedupe_prefix) + cast(Registration.id, String)
    )
    query = select(Registration).where(
        Registration.seminar_id == seminar.id,
        Registration.status == Status.CONFIRMED,
        Registration.created_at <= due,
        Registration.anonymised_at.is_(None),
        ~already_queued,
    )
    if unanswered_only:
        query = query.where(Registration.attendance_answer.is_(None))
    queued = outbox.queue_for_registrations(
        kind,
        query.order_by(Registration.id),
        dedupe_prefix=dedupe_prefix,
        context=context,
        status=status,
    )
    if status == OutboxStatus.MISSED:
        report.missed += queued
    else:
        report.queued += queued


def queue_due_reminders(now: datetime | None = None) -> QueuedReport:
    """Queue every reminder whose time has come; record as missed those long overdue."""
    now = now or utcnow()
    report = QueuedReport()
    for seminar in _recent_seminars(now):
        for offset in seminar.reminder_offsets or ():
            due = seminar.starts_at - timedelta(minutes=offset)
            if due <= now:
                _queue_due(
                    "reminder",
                    seminar,
                    due,
                    f"reminder:{offset}:",
                    now,
                    report,
                    context={"offset_minutes": offset},
                )
    db.session.flush()
    return report


def queue_due_attendance_checks(now: datetime | None = None) -> QueuedReport:
    """Queue "Kommer du fortfarande?" for seminars that ask it, N days before the start."""
    now = now or utcnow()
    report = QueuedReport()
    for seminar in _recent_seminars(now):
        if not seminar.attendance_check_days:
            continue
        due = seminar.starts_at - timedelta(days=seminar.attendance_check_days)
        if due <= now:
            _queue_due(
                "attendance_check",
                seminar,
                due,
                "attendance_check:",
                now,
                report,
                unanswered_only=True,
            )
    db.session.flush()
    return report


def answer_attendance_check(
    registration: Registration, answer: str, *, now: datetime | None = None
) -> list[Registration]:
    """Record "yes, I'm coming" or "I can't come"; the latter frees the seat at once.

    Returns the people promoted from the waiting list.
    """
    if answer not in ANSWERS:
        raise ValueError(answer)
    registration.attendance_answer = answer
    registration.updated_at = now or utcnow()
    db.session.flush()
    if answer == "no" and registration.status != Status.CANCELLED:
        return signup.cancel(registration, now=now)
    return []
