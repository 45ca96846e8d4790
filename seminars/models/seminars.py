"""Seminars with their program, speakers and questions."""

from __future__ import annotations

import enum
from datetime import datetime, time

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seminars.extensions import db
from seminars.models.organisations import Organization
from seminars.models.types import UTCDateTime, utcnow


class SeminarStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class SeminarMode(enum.StrEnum):
    """How a seminar is attended: in the room, online, or either (each with its own seats)."""

    ONSITE = "onsite"
    ONLINE = "online"
    HYBRID = "hybrid"


class DetailsIn(enum.StrEnum):
    """Which email carries the online joining link and instructions."""

    CONFIRMATION = "confirmation"
    REMINDER = "reminder"


class QuestionKind(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    YES_NO = "yes_no"


seminar_cohosts = Table(
    "seminar_cohost",
    db.metadata,
    Column("seminar_id", ForeignKey("seminar.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id"), primary_key=True),
)


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
    # Instructions for taking part online; the joining link is `online_link`.
    online_info: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[SeminarMode] = mapped_column(
        String(10), default=SeminarMode.ONSITE, server_default=SeminarMode.ONSITE
    )
    online_link: Mapped[str] = mapped_column(String(500), default="", server_default="")
    online_details_in: Mapped[DetailsIn] = mapped_column(
        String(20), default=DetailsIn.CONFIRMATION, server_default=DetailsIn.CONFIRMATION
    )
    # The seats of the seminar, or of its room when it is hybrid.
    capacity: Mapped[int]
    # Confirmed registrations, kept in step with them so a seat is taken by one UPDATE.
    seats_taken: Mapped[int] = mapped_column(default=0)
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    # A hybrid seminar's online seats (None: unlimited), kept like the room's.
    online_capacity: Mapped[int | None] = mapped_column(default=None)
    online_seats_taken: Mapped[int] = mapped_column(default=0, server_default="0")
    online_waitlist_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
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

    @property
    def is_hybrid(self) -> bool:
        return self.mode == SeminarMode.HYBRID

    @property
    def fully_booked(self) -> bool:
        """No seat free in any mode."""
        return self.seats_left == 0 and not (self.is_hybrid and self.online_seats_left != 0)

    @property
    def waiting_list_open(self) -> bool:
        """Some mode has a waiting list."""
        return self.waitlist_enabled or (self.is_hybrid and self.online_waitlist_enabled)

    @property
    def online_seats_left(self) -> int | None:
        """A hybrid seminar's free online seats; None when they are unlimited."""
        return online_seats_left(self)

    def registration_open_at(self, moment: datetime) -> bool:
        return registration_phase(self, moment) == "open"


def seats_left(seminar) -> int:
    """For a Seminar, or any row with its capacity and seats_taken (pagecache)."""
    return max(seminar.capacity - seminar.seats_taken, 0)


def online_seats_left(seminar) -> int | None:
    """For a Seminar or a row with its online capacity and seats taken; None: unlimited."""
    if seminar.online_capacity is None:
        return None
    return max(seminar.online_capacity - seminar.online_seats_taken, 0)


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
