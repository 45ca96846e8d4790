"""The parallel sessions in exports: a column per time slot in CSV and Excel, the session
on each line of the printed list and on each badge, and a list per session.

Read up front in one query, like the questions (lists.py), so streaming rows never touches
an ORM object. No Flask imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from seminars.exports import lists  # which imports this module: used at call time only
from seminars.models import ChoiceState, SeminarSession, SessionChoice, SessionGroup


def N_(message: str) -> str:
    """Marks a message for translation; the caller's `translate` translates it."""
    return message


WAITING_LABEL = N_("waiting list")


@dataclass(frozen=True)
class SessionColumns:
    """One column per time slot; each registration's session in it ("" when none)."""

    headings: list[str]
    by_registration: dict[int, list[str]]
    # Registration id → the session ids they are seated or waiting in.
    sessions_of: dict[int, set[int]]

    def cells(self, registration_id: int) -> list[str]:
        return self.by_registration.get(registration_id, [""] * len(self.headings))

    def badge_text(self, registration_id: int) -> str:
        return " · ".join(cell for cell in self.cells(registration_id) if cell)


def session_columns(
    session: Session, seminar_id: int, translate: Callable[[str], str]
) -> SessionColumns:
    groups = session.scalars(
        select(SessionGroup)
        .where(SessionGroup.seminar_id == seminar_id)
        .order_by(SessionGroup.position, SessionGroup.id)
    ).all()
    if not groups:
        return SessionColumns([], {}, {})
    column = {group.id: index for index, group in enumerate(groups)}
    rows = session.execute(
        select(
            SessionChoice.registration_id,
            SessionChoice.group_id,
            SessionChoice.session_id,
            SessionChoice.state,
            SeminarSession.title,
        )
        .join(SeminarSession, SeminarSession.id == SessionChoice.session_id)
        .where(SessionChoice.group_id.in_(column), SessionChoice.wish.is_(False))
    ).all()
    waiting = translate(WAITING_LABEL)
    by_registration: dict[int, list[str]] = {}
    sessions_of: dict[int, set[int]] = {}
    for registration_id, group_id, session_id, state, title in rows:
        cells = by_registration.setdefault(registration_id, [""] * len(groups))
        text = lists.clean(title)
        cells[column[group_id]] = text if state == ChoiceState.SEATED else f"{text} ({waiting})"
        sessions_of.setdefault(registration_id, set()).add(session_id)
    return SessionColumns(
        [lists.clean(group.title) for group in groups], by_registration, sessions_of
    )
