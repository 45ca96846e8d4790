"""The organiser's overview: their seminars with seat counts and signups per day.

Everything comes from three queries however many seminars there are: the seminars, the
counts grouped by seminar, and the signup times (bucketed into Stockholm days here).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from seminars import dates
from seminars.extensions import db
from seminars.models import Organizer, Registration, Seminar, Status
from seminars.organising.access import visible_seminars

# Days shown in a signup chart; older days still count in the totals.
CHART_DAYS = 60
PAST_SHOWN = 50


@dataclass
class SeminarSummary:
    seminar: Seminar
    confirmed: int = 0
    waiting: int = 0
    checked_in: int = 0
    # (Stockholm day, signups that day), every day from the first signup, zeros included.
    signups_per_day: list[tuple[date, int]] = field(default_factory=list)
    signups_total: int = 0

    @property
    def busiest_day(self) -> tuple[date, int] | None:
        return max(self.signups_per_day, key=lambda pair: pair[1], default=None)


@dataclass
class Overview:
    upcoming: list[SeminarSummary]
    past: list[SeminarSummary]


def _daily(moments: list[datetime], last_day: date) -> list[tuple[date, int]]:
    per_day = Counter(dates.local(moment).date() for moment in moments)
    if not per_day:
        return []
    last_day = max(last_day, max(per_day))
    first_day = max(min(per_day), last_day - timedelta(days=CHART_DAYS - 1))
    return [
        (first_day + timedelta(days=n), per_day.get(first_day + timedelta(days=n), 0))
        for n in range((last_day - first_day).days + 1)
    ]


def overview(organizer: Organizer, now: datetime) -> Overview:
    seminars = db.session.scalars(
        visible_seminars(organizer)
        .options(selectinload(Seminar.cohosts))
        .order_by(Seminar.starts_at)
    ).all()
    mine = visible_seminars(organizer).with_only_columns(Seminar.id).scalar_subquery()
    active = Registration.status != Status.CANCELLED
    counts = {
        row.seminar_id: row
        for row in db.session.execute(
            select(
                Registration.seminar_id,
                func.count().filter(Registration.status == Status.CONFIRMED).label("confirmed"),
                func.count().filter(Registration.status == Status.WAITING).label("waiting"),
                func.count()
                .filter(active, Registration.checked_in_at.is_not(None))
                .label("checked_in"),
            )
            .where(Registration.seminar_id.in_(mine))
            .group_by(Registration.seminar_id)
        )
    }
    signup_times: dict[int, list[datetime]] = defaultdict(list)
    for seminar_id, created_at in db.session.execute(
        select(Registration.seminar_id, Registration.created_at).where(
            Registration.seminar_id.in_(mine)
        )
    ):
        signup_times[seminar_id].append(created_at)

    today = dates.local(now).date()
    upcoming, past = [], []
    for seminar in seminars:
        row = counts.get(seminar.id)
        times = signup_times.get(seminar.id, [])
        summary = SeminarSummary(
            seminar=seminar,
            confirmed=row.confirmed if row else 0,
            waiting=row.waiting if row else 0,
            checked_in=row.checked_in if row else 0,
            signups_per_day=_daily(times, min(today, dates.local(seminar.starts_at).date())),
            signups_total=len(times),
        )
        (upcoming if seminar.ends_at >= now else past).append(summary)
    past.reverse()
    return Overview(upcoming=upcoming, past=past[:PAST_SHOWN])
