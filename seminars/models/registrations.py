"""Registrations: a person's place at a seminar."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seminars.extensions import db
from seminars.models.seminars import Seminar
from seminars.models.types import UTCDateTime, utcnow


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
    # How the person takes part ("onsite" or "online"): at a hybrid seminar the mode whose
    # seat they hold or whose waiting list they are on.
    mode: Mapped[str] = mapped_column(String(10), default="onsite", server_default="onsite")
    # A seated person in line for the other mode of a hybrid seminar, and since when: they
    # keep their seat until one frees there.
    wanted_mode: Mapped[str | None] = mapped_column(String(10), default=None)
    wanted_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
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
    # The address a mail server refused for good or bounced; the warning ends when the
    # address is corrected.
    undeliverable_email: Mapped[str] = mapped_column(String(254), default="", server_default="")

    seminar: Mapped[Seminar] = relationship()

    @property
    def online(self) -> bool:
        """Whether this person takes part online (gets the joining link, not the venue):
        their own choice at a hybrid seminar, else the seminar's mode."""
        if self.seminar.mode == "hybrid":
            return self.mode == "online"
        return self.seminar.mode == "online"

    @property
    def address_undeliverable(self) -> bool:
        """Mail to this person's current address cannot be delivered."""
        return bool(self.undeliverable_email) and self.undeliverable_email == self.email
