"""Domain: organisers define a seminar's parallel sessions (signup/sessions.py holds their
seats and lines).

A group is one time slot ("Eftermiddagens workshop 14.00–15.30") with its sessions. Saving
a group keeps everyone's choices: a session's capacity may not go below its seated count, a
raised capacity fills from its line at once (with a mail), and a removed session mails
everyone who held a seat or a place in it, saying exactly which session went.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from seminars import signup
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import (
    ChoiceState,
    Organizer,
    Registration,
    Seminar,
    SeminarSession,
    SessionChoice,
    SessionGroup,
)
from seminars.organising import audit
from seminars.signup import sessions as session_seats

MODES = ("onsite", "online")


class CapacityBelowSeated(Exception):
    """A session's new capacity is below the people seated in it."""

    def __init__(self, index: int, seated: int):
        super().__init__(index, seated)
        self.index = index
        self.seated = seated


@dataclass
class SessionDraft:
    title: str
    room: str = ""
    capacity: int | None = None
    waitlist_enabled: bool = True
    id: int | None = None


@dataclass
class GroupDraft:
    title: str
    required: bool = True
    mode: str | None = None
    sessions: list[SessionDraft] = field(default_factory=list)


@dataclass
class GroupResult:
    group: SessionGroup
    moved: list[session_seats.Moved]
    told: int


def _check_capacities(group: SessionGroup, drafts: list[SessionDraft]) -> None:
    existing = {session.id: session for session in group.sessions}
    for index, draft in enumerate(drafts):
        session = existing.get(draft.id) if draft.id is not None else None
        too_few = session is not None and draft.capacity is not None
        if too_few and draft.capacity < session.seats_taken:
            raise CapacityBelowSeated(index, session.seats_taken)


def _tell_removed(session: SeminarSession, group_title: str) -> int:
    """Mail everyone whose seat, place in line or wish was in a removed session."""
    choices = db.session.execute(
        select(SessionChoice, Registration)
        .join(Registration, Registration.id == SessionChoice.registration_id)
        .where(SessionChoice.session_id == session.id)
    ).all()
    for choice, registration in choices:
        held = "wish" if choice.wish else str(choice.state)
        outbox.queue_for_registration(
            "session_removed",
            registration,
            dedupe_suffix=f"{session.id}:{choice.id}",
            context={"session": f"{group_title}: {session.title}", "held": held},
        )
    return len(choices)


def _remove_sessions(group: SessionGroup, removed: list[SeminarSession]) -> int:
    told = 0
    for session in removed:
        told += _tell_removed(session, group.title)
        db.session.execute(delete(SessionChoice).where(SessionChoice.session_id == session.id))
    return told


def _apply_sessions(
    group: SessionGroup, drafts: list[SessionDraft]
) -> tuple[list[SeminarSession], list[SeminarSession], list[int]]:
    """Make the group's sessions match the drafts; returns (removed sessions, sessions
    whose capacity went up)."""
    existing = {session.id: session for session in group.sessions}
    kept, raised = [], []
    for position, draft in enumerate(drafts):
        session = existing.get(draft.id) if draft.id is not None else None
        if session is None:
            session = SeminarSession(seats_taken=0)
        elif _raised(session.capacity, draft.capacity):
            raised.append(session.id)
        session.position = position
        session.title = draft.title
        session.room = draft.room
        session.capacity = draft.capacity
        session.waitlist_enabled = draft.waitlist_enabled
        kept.append(session)
    removed = [s for s in group.sessions if s.id is not None and s not in kept]
    return kept, removed, raised


def _raised(old: int | None, new: int | None) -> bool:
    return old is not None and (new is None or new > old)


def save_group(
    organizer: Organizer, seminar: Seminar, group: SessionGroup | None, draft: GroupDraft
) -> GroupResult:
    """Create or change a session group. Raises CapacityBelowSeated."""
    signup.lock_seminar(seminar.id)
    if group is None:
        group = SessionGroup(seminar_id=seminar.id, position=_next_position(seminar.id))
        db.session.add(group)
    else:
        db.session.refresh(group)
        for session in group.sessions:
            db.session.refresh(session, ["seats_taken"])
    _check_capacities(group, draft.sessions)
    group.title = draft.title
    group.required = draft.required
    group.mode = draft.mode if draft.mode in MODES else None
    kept, removed, raised = _apply_sessions(group, draft.sessions)
    told = _remove_sessions(group, removed)
    group.sessions = kept
    db.session.flush()
    moved = session_seats.fill(db.session.connection(), raised)
    audit.record(
        organizer,
        "sessions_edited",
        seminar=seminar,
        detail={"group": group.title, "sessions": [s.title for s in kept], "told": told},
    )
    session_seats.page_changed(db.session.connection(), seminar.id)
    return GroupResult(group, moved, told)


def delete_group(organizer: Organizer, seminar: Seminar, group: SessionGroup) -> int:
    """Remove a whole group; everyone who chose one of its sessions is told. Returns how
    many were told."""
    signup.lock_seminar(seminar.id)
    told = _remove_sessions(group, list(group.sessions))
    audit.record(organizer, "sessions_removed", seminar=seminar, detail={"group": group.title})
    db.session.delete(group)
    db.session.flush()
    session_seats.page_changed(db.session.connection(), seminar.id)
    return told


def _next_position(seminar_id: int) -> int:
    positions = db.session.scalars(
        select(SessionGroup.position).where(SessionGroup.seminar_id == seminar_id)
    ).all()
    return max(positions, default=-1) + 1


@dataclass(frozen=True)
class SessionCount:
    session: SeminarSession
    seated: int
    waiting: int
    wishing: int


def counts(seminar_id: int) -> list[tuple[SessionGroup, list[SessionCount]]]:
    """Per group, each session with its seated, waiting and wishing counts."""
    rows = db.session.execute(
        select(SessionChoice.session_id, SessionChoice.state, SessionChoice.wish, func.count())
        .join(SessionGroup, SessionGroup.id == SessionChoice.group_id)
        .where(SessionGroup.seminar_id == seminar_id)
        .group_by(SessionChoice.session_id, SessionChoice.state, SessionChoice.wish)
    ).all()
    tally: dict[tuple[int, str], int] = {}
    for session_id, state, wish, number in rows:
        key = "wishing" if wish else str(state)
        tally[(session_id, key)] = tally.get((session_id, key), 0) + number
    return [
        (
            group,
            [
                SessionCount(
                    session,
                    tally.get((session.id, ChoiceState.SEATED.value), 0),
                    tally.get((session.id, ChoiceState.WAITING.value), 0),
                    tally.get((session.id, "wishing"), 0),
                )
                for session in group.sessions
            ],
        )
        for group in session_seats.groups_of(seminar_id)
    ]


def session_of(seminar_id: int, value: str | None) -> SeminarSession | None:
    """The seminar's session a `?session=` value names, or None."""
    if not value or not value.isdigit():
        return None
    session = db.session.get(SeminarSession, int(value))
    if session is None or session.group.seminar_id != seminar_id:
        return None
    return session


def choices_by_registration(seminar_id: int) -> dict[int, list[SessionChoice]]:
    """Each registration's choices (held ones, in the groups' order; no wishes), in one query."""
    choices = db.session.scalars(
        select(SessionChoice)
        .join(SessionGroup, SessionGroup.id == SessionChoice.group_id)
        .where(SessionGroup.seminar_id == seminar_id, SessionChoice.wish.is_(False))
        .order_by(SessionGroup.position, SessionGroup.id)
        .options(joinedload(SessionChoice.session))
    ).all()
    by_registration: dict[int, list[SessionChoice]] = {}
    for choice in choices:
        by_registration.setdefault(choice.registration_id, []).append(choice)
    return by_registration


def in_session(choices: dict[int, list[SessionChoice]], session_id: int) -> set[int]:
    """The registrations seated or waiting in one session."""
    return {
        registration_id
        for registration_id, held in choices.items()
        if any(choice.session_id == session_id for choice in held)
    }


def seated_in(session_id: int):
    """A condition on Registration: seated in this session."""
    return Registration.id.in_(
        select(SessionChoice.registration_id).where(
            SessionChoice.session_id == session_id,
            SessionChoice.state == ChoiceState.SEATED,
            SessionChoice.wish.is_(False),
        )
    )


def message_audiences(seminar_id: int) -> list[tuple[str, SeminarSession, int]]:
    """("session-<id>", session, people seated in it) for a message to one session."""
    return [
        (f"session-{count.session.id}", count.session, count.seated)
        for _group, group_counts in counts(seminar_id)
        for count in group_counts
    ]


def chosen_in_form(seminar_id: int, form) -> dict[int, int]:
    """Group id → session id from `session-<group id>` fields, only the seminar's own."""
    chosen = {}
    for group in session_seats.groups_of(seminar_id):
        value = form.get(group.field_name, "")
        if value.isdigit() and int(value) in {session.id for session in group.sessions}:
            chosen[group.id] = int(value)
    return chosen


def by_seminar(seminar_ids: list[int]) -> dict[int, list[SeminarSession]]:
    """Each seminar's sessions with their seat counts, in one query (the dashboard)."""
    if not seminar_ids:
        return {}
    rows = db.session.execute(
        select(SessionGroup.seminar_id, SeminarSession)
        .join(SeminarSession, SeminarSession.group_id == SessionGroup.id)
        .where(SessionGroup.seminar_id.in_(seminar_ids))
        .order_by(SessionGroup.position, SessionGroup.id, SeminarSession.position)
    ).all()
    sessions: dict[int, list[SeminarSession]] = {}
    for seminar_id, session in rows:
        sessions.setdefault(seminar_id, []).append(session)
    return sessions
