"""The organiser's overview: their seminars with seat counts, and how signups went over time.

A seminar's signup history is rebuilt from its registrations (when each came, when it was
cancelled) and the messages its organisers sent. Seats go in arrival order and the waiting
list moves by itself, so on any day the people above the seat limit are the waiting list.

The dashboard needs four queries however many seminars there are: the seminars, their
co-hosts, every registration's times and status, and the messages sent.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from seminars import dates
from seminars.extensions import db
from seminars.models import (
    AuditEvent,
    Organizer,
    OutboxMessage,
    OutboxStatus,
    Registration,
    Seminar,
    Status,
)
from seminars.organising.access import visible_seminars

PAST_SHOWN = 50


@dataclass(frozen=True)
class Mailing:
    """A message the organisers sent to attendees."""

    sent_at: datetime
    subject: str
    count: int


@dataclass(frozen=True)
class Day:
    """One Stockholm day of a seminar's signups; totals as they stood when the day ended."""

    day: date
    signed_up: int
    cancelled: int
    seated: int
    waiting: int

    @property
    def total(self) -> int:
        return self.seated + self.waiting


@dataclass
class SignupHistory:
    capacity: int
    # The chart's time axis: from the first signup to the seminar's day.
    first_day: date | None
    last_day: date
    today: date
    # Every day from first_day until today (or the seminar's day, if that came first).
    days: list[Day] = field(default_factory=list)
    mailings: list[Mailing] = field(default_factory=list)

    @property
    def latest(self) -> Day | None:
        return self.days[-1] if self.days else None

    @property
    def signups(self) -> int:
        return sum(day.signed_up for day in self.days)


@dataclass(frozen=True)
class _Registration:
    status: Status
    created_at: datetime
    cancelled_at: datetime | None
    checked_in_at: datetime | None


def _local_day(moment: datetime) -> date:
    return dates.local(moment).date()


def _all_seats(seminar: Seminar) -> int:
    """The seats of every mode: a hybrid seminar's unlimited online seats count as taken."""
    if not seminar.is_hybrid:
        return seminar.capacity
    online = seminar.online_capacity
    return seminar.capacity + (seminar.online_seats_taken if online is None else online)


def signup_history(
    seminar: Seminar, registrations: list[_Registration], mailings: list[Mailing], now: datetime
) -> SignupHistory:
    """Day by day: who signed up, who cancelled, and how many had a seat or waited."""
    today, seminar_day = _local_day(now), _local_day(seminar.starts_at)
    came = Counter(_local_day(r.created_at) for r in registrations)
    # A cancellation without its time (data from before it was kept) counts on the day it came.
    left = Counter(
        _local_day(r.cancelled_at or r.created_at)
        for r in registrations
        if r.status == Status.CANCELLED
    )
    confirmed = sum(1 for r in registrations if r.status == Status.CONFIRMED)
    capacity = _all_seats(seminar)
    # People an organiser seated beyond the capacity hold seats too.
    seat_limit = max(capacity, confirmed)
    mailed = [_local_day(mailing.sent_at) for mailing in mailings]
    history = SignupHistory(
        capacity=capacity,
        first_day=min([*came, *mailed]) if came else None,
        last_day=max([seminar_day, *came, *left, *mailed]),
        today=today,
        mailings=mailings,
    )
    if history.first_day is None:
        return history
    shown_until = max([min(today, seminar_day), *came, *left])
    active, day = 0, history.first_day
    while day <= shown_until:
        active += came[day] - left[day]
        seated = min(active, seat_limit)
        history.days.append(Day(day, came[day], left[day], seated, active - seated))
        day += timedelta(days=1)
    return history


def _mailings(seminar_ids) -> dict[int, list[Mailing]]:
    found: dict[int, list[Mailing]] = defaultdict(list)
    events = db.session.execute(
        select(AuditEvent.seminar_id, AuditEvent.created_at, AuditEvent.detail)
        .where(AuditEvent.seminar_id.in_(seminar_ids), AuditEvent.action == "messaged")
        .order_by(AuditEvent.created_at)
    )
    for seminar_id, sent_at, detail in events:
        values = json.loads(detail or "{}")
        found[seminar_id].append(
            Mailing(sent_at, values.get("subject", ""), int(values.get("count", 0)))
        )
    return found


def _registrations(seminar_ids) -> dict[int, list[_Registration]]:
    found: dict[int, list[_Registration]] = defaultdict(list)
    rows = db.session.execute(
        select(
            Registration.seminar_id,
            Registration.status,
            Registration.created_at,
            Registration.cancelled_at,
            Registration.checked_in_at,
        ).where(Registration.seminar_id.in_(seminar_ids))
    )
    for seminar_id, *values in rows:
        found[seminar_id].append(_Registration(*values))
    return found


def seminar_history(seminar: Seminar, now: datetime) -> SignupHistory:
    """The signup history of one seminar (for its organiser page)."""
    return signup_history(
        seminar,
        _registrations([seminar.id]).get(seminar.id, []),
        _mailings([seminar.id]).get(seminar.id, []),
        now,
    )


@dataclass
class SeminarSummary:
    seminar: Seminar
    history: SignupHistory
    confirmed: int = 0
    waiting: int = 0
    checked_in: int = 0
    # A hybrid seminar's (confirmed, waiting) per mode, on site and online.
    by_mode: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class Overview:
    upcoming: list[SeminarSummary]
    past: list[SeminarSummary]


def _summary(
    seminar: Seminar, registrations: list[_Registration], mailings: list[Mailing], now: datetime
) -> SeminarSummary:
    statuses = Counter(r.status for r in registrations)
    return SeminarSummary(
        seminar=seminar,
        history=signup_history(seminar, registrations, mailings, now),
        confirmed=statuses[Status.CONFIRMED],
        waiting=statuses[Status.WAITING],
        checked_in=sum(
            1 for r in registrations if r.checked_in_at and r.status != Status.CANCELLED
        ),
    )


def _counts_by_mode(seminar_ids: list[int]) -> dict[int, dict[str, tuple[int, int]]]:
    """(confirmed, waiting) per mode of each hybrid seminar, in one query."""
    found: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    if not seminar_ids:
        return found
    rows = db.session.execute(
        select(
            Registration.seminar_id,
            Registration.mode,
            func.count().filter(Registration.status == Status.CONFIRMED),
            func.count().filter(Registration.status == Status.WAITING),
        )
        .where(Registration.seminar_id.in_(seminar_ids))
        .group_by(Registration.seminar_id, Registration.mode)
    )
    for seminar_id, mode, confirmed, waiting in rows:
        found[seminar_id][mode] = (confirmed, waiting)
    return found


def overview(organizer: Organizer, now: datetime) -> Overview:
    seminars = db.session.scalars(
        visible_seminars(organizer)
        .options(selectinload(Seminar.cohosts))
        .order_by(Seminar.starts_at)
    ).all()
    mine = visible_seminars(organizer).with_only_columns(Seminar.id).scalar_subquery()
    upcoming = [seminar for seminar in seminars if seminar.ends_at >= now]
    past = [seminar for seminar in reversed(seminars) if seminar.ends_at < now][:PAST_SHOWN]
    registrations = _registrations(mine)
    mailings = _mailings(mine)

    by_mode = _counts_by_mode([s.id for s in seminars if s.is_hybrid])

    def summaries(shown: list[Seminar]) -> list[SeminarSummary]:
        found = [
            _summary(seminar, registrations[seminar.id], mailings[seminar.id], now)
            for seminar in shown
        ]
        for summary in found:
            summary.by_mode = by_mode.get(summary.seminar.id, {})
        return found

    return Overview(upcoming=summaries(upcoming), past=summaries(past))


@dataclass(frozen=True)
class Progress:
    """How far the emails of one message to attendees have come."""

    queued: int = 0
    sent: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.failed

    @property
    def done(self) -> bool:
        return self.queued == 0


def message_progress(seminar_id: int, message_id: int) -> Progress:
    """The emails of the message logged as audit event `message_id` (their dedupe keys are
    `message:<event id>:<registration id>`), counted by how far they have come."""
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count())
            .where(
                OutboxMessage.seminar_id == seminar_id,
                OutboxMessage.kind == "message",
                OutboxMessage.dedupe_key.startswith(f"message:{message_id}:", autoescape=True),
            )
            .group_by(OutboxMessage.status)
        ).all()
    )
    return Progress(
        queued=counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0),
        sent=counts.get(OutboxStatus.SENT, 0),
        failed=counts.get(OutboxStatus.FAILED, 0) + counts.get(OutboxStatus.MISSED, 0),
    )
