"""Parallel sessions: a seminar's session groups (one time slot, e.g. "Eftermiddagens
workshop 14.00–15.30"), each with sessions of their own capacity and waiting list, and each
registration's choice per group.

A choice is seated or waiting, in arrival order (its id: choices are inserted under the
seminar's row lock). A person holding a seat may also wish for another session of the same
group: a second row with `wish` set, always waiting. The unique constraint on (registration,
group, wish) and the check that a wish is never seated mean nobody ever holds two seats in
one group.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seminars.extensions import db
from seminars.models.seminars import Seminar
from seminars.models.types import UTCDateTime, utcnow


class ChoiceState(enum.StrEnum):
    SEATED = "seated"
    WAITING = "waiting"


class SessionGroup(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(
        ForeignKey("seminar.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(default=True)
    # 'onsite' or 'online' when the group is only for those taking part that way.
    mode: Mapped[str | None] = mapped_column(String(10))

    seminar: Mapped[Seminar] = relationship()
    sessions: Mapped[list[SeminarSession]] = relationship(
        back_populates="group",
        order_by="SeminarSession.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def field_name(self) -> str:
        """The signup form's field for this group (DESIGN: `session-<group id>`)."""
        return f"session-{self.id}"


class SeminarSession(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("session_group.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    room: Mapped[str] = mapped_column(String(200), default="")
    # None: unlimited.
    capacity: Mapped[int | None]
    # Seated choices, kept in step with them so a seat is taken by one UPDATE.
    seats_taken: Mapped[int] = mapped_column(default=0)
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)

    group: Mapped[SessionGroup] = relationship(back_populates="sessions")

    @property
    def seats_left(self) -> int | None:
        """Free seats, or None when the session is unlimited."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.seats_taken >= self.capacity


class SessionChoice(db.Model):
    __table_args__ = (
        UniqueConstraint("registration_id", "group_id", "wish"),
        CheckConstraint("NOT (wish AND state = 'seated')", name="wish_never_seated"),
        Index("ix_session_choice_line", "session_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint, which leads with it.
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("session_group.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("seminar_session.id", ondelete="CASCADE"))
    state: Mapped[ChoiceState] = mapped_column(String(10))
    # A wish to move here while holding a seat in another session of the group.
    wish: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[SeminarSession] = relationship()
