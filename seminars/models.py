"""Typed models: organisations, seminars with their program, registrations and the outbox.

Every timestamp is stored as naive UTC (SQLite has no time zones) and handed to Python as an
aware UTC datetime by `UTCDateTime`; local time exists only in forms and templates.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, time

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    TypeDecorator,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class SeminarStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Status(enum.StrEnum):
    """A registration's place: in a seat, in line for one, or gone."""

    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


# The status filter of attendee lists and exports (`?status=`).
STATUS_FILTERS: dict[str, tuple[Status, ...]] = {
    "all": (Status.CONFIRMED, Status.WAITING, Status.CANCELLED),
    "confirmed": (Status.CONFIRMED,),
    "waiting": (Status.WAITING,),
    "cancelled": (Status.CANCELLED,),
}


class QuestionKind(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    YES_NO = "yes_no"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    MISSED = "missed"


seminar_cohosts = Table(
    "seminar_cohost",
    db.metadata,
    Column("seminar_id", ForeignKey("seminar.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id"), primary_key=True),
)

organizer_memberships = Table(
    "organizer_membership",
    db.metadata,
    Column("organizer_id", ForeignKey("organizer.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id"), primary_key=True),
)


class Organization(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    # Days after a seminar before attendee data is anonymised (DESIGN guarantee 8).
    retention_days: Mapped[int] = mapped_column(default=90)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Organizer(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    organizations: Mapped[list[Organization]] = relationship(secondary=organizer_memberships)


class Seminar(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    subtitle: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    venue_address: Mapped[str] = mapped_column(String(300), default="")
    online_info: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int]
    # Confirmed registrations, kept in step with them so a seat is taken by one UPDATE.
    seats_taken: Mapped[int] = mapped_column(default=0)
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[SeminarStatus] = mapped_column(
        String(20), default=SeminarStatus.DRAFT, index=True
    )
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    # Minutes before start; DESIGN: 1 day and 1 hour unless the organiser changes them.
    reminder_offsets: Mapped[list[int]] = mapped_column(JSON, default=lambda: [1440, 60])
    # "Kommer du fortfarande?": days before start, or None when the organiser has not asked.
    attendance_check_days: Mapped[int | None] = mapped_column(default=None)
    # Raised on every change of time or place, so calendars replace the old event.
    sequence: Mapped[int] = mapped_column(default=0)
    # Which rendering of the public page is current (seminars/pagecache.py raises it).
    content_version: Mapped[int] = mapped_column(default=0, server_default="0")
    cancellation_message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship(lazy="joined")
    cohosts: Mapped[list[Organization]] = relationship(
        secondary=seminar_cohosts, order_by="Organization.name"
    )
    program_items: Mapped[list[ProgramItem]] = relationship(
        back_populates="seminar", order_by="ProgramItem.position", cascade="all, delete-orphan"
    )
    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="seminar", order_by="Speaker.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="seminar", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def organizations(self) -> list[Organization]:
        """Host first, then co-hosts: everyone who answers for this seminar."""
        return [self.organization, *(o for o in self.cohosts if o.id != self.organization_id)]

    @property
    def seats_left(self) -> int:
        return seats_left(self)

    def registration_open_at(self, moment: datetime) -> bool:
        return registration_phase(self, moment) == "open"


def seats_left(seminar) -> int:
    """For a Seminar, or any row with its capacity and seats_taken (pagecache)."""
    return max(seminar.capacity - seminar.seats_taken, 0)


def registration_phase(seminar, moment: datetime) -> str:
    """ "open", "not yet open" or "closed": for a Seminar, or any row with its status,
    starts_at, registration_opens_at and registration_closes_at (pagecache, registration)."""
    if seminar.status != SeminarStatus.PUBLISHED or moment >= seminar.starts_at:
        return "closed"
    if seminar.registration_opens_at and moment < seminar.registration_opens_at:
        return "not yet open"
    if seminar.registration_closes_at and moment >= seminar.registration_closes_at:
        return "closed"
    return "open"


class ProgramItem(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(ForeignKey("seminar.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    # Wall-clock time in Stockholm, as printed in a program.
    starts_at: Mapped[time | None]
    title: Mapped[str] = mapped_column(String(300))
    who: Mapped[str] = mapped_column(String(300), default="")
    seminar: Mapped[Seminar] = relationship(back_populates="program_items")


class Speaker(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(ForeignKey("seminar.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    seminar: Mapped[Seminar] = relationship(back_populates="speakers")


class Question(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(ForeignKey("seminar.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str] = mapped_column(String(500), default="")
    kind: Mapped[QuestionKind] = mapped_column(String(20), default=QuestionKind.SHORT_TEXT)
    # One option per line, for QuestionKind.CHOICE.
    choices: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=False)
    # Health data (diet, accessibility): asked only with explicit consent wording.
    sensitive: Mapped[bool] = mapped_column(default=False)
    seminar: Mapped[Seminar] = relationship(back_populates="questions")

    @property
    def field_name(self) -> str:
        return f"q{self.id}"

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Registration(db.Model):
    __table_args__ = (
        # One active registration per person and seminar; cancelled ones may repeat.
        Index(
            "uq_registration_active_email",
            "seminar_id",
            "email_key",
            unique=True,
            sqlite_where=text("status != 'cancelled'"),
            postgresql_where=text("status != 'cancelled'"),
        ),
        Index("ix_registration_seminar_status", "seminar_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(ForeignKey("seminar.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    organization: Mapped[str] = mapped_column(String(200), default="")
    # Question id (as text) -> answer text.
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status: Mapped[Status] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), default="sv")
    # The manage link's token is derived from this salt and SECRET_KEY; only its hash is kept.
    token_salt: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Answer to "Kommer du fortfarande?": "yes", "no" or None.
    attendance_answer: Mapped[str | None] = mapped_column(String(10))
    added_by_organizer: Mapped[bool] = mapped_column(default=False)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    seminar: Mapped[Seminar] = relationship()


class OutboxMessage(db.Model):
    """An email waiting to be delivered, written in the transaction that caused it.

    The message is rendered when the worker sends it, from `kind` and `context`, so no
    manage-link token ever sits in this table.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_email: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(5), default="sv")
    seminar_id: Mapped[int | None] = mapped_column(
        ForeignKey("seminar.id", ondelete="SET NULL"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    subject: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[OutboxStatus] = mapped_column(String(20), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizer.id", ondelete="SET NULL")
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    seminar_id: Mapped[int | None] = mapped_column(
        ForeignKey("seminar.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    organizer: Mapped[Organizer | None] = relationship()


class PurgeRun(db.Model):
    """One run of the data-retention purge, kept as evidence (DESIGN guarantee 8)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    registrations_anonymised: Mapped[int] = mapped_column(default=0)
    seminars: Mapped[int] = mapped_column(default=0)


def count_registrations(seminar_id: int, status: Status):
    return (
        db.select(func.count(Registration.id))
        .where(Registration.seminar_id == seminar_id, Registration.status == status)
        .scalar_subquery()
    )
