"""The attendee's parallel sessions on their own page (/r/<token>): what they hold in each
time slot, and changing it: to a session with a free seat at once; to a full one by
waiting for it while keeping the seat they hold (moved by themselves, and told, when a
seat frees); or, in an optional time slot, to none. Routes on the public blueprint."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from seminars.extensions import db
from seminars.models import (
    ChoiceState,
    Registration,
    SeminarSession,
    SessionChoice,
    SessionGroup,
    Status,
)
from seminars.signup import sessions as session_seats
from seminars.web.fields import ConfirmForm
from seminars.web.public.views import _render_manage, bp, registration_or_404

NONE = "none"


@dataclass
class SlotView:
    """One time slot as the attendee sees it."""

    group: SessionGroup
    held: SessionChoice | None
    place: int  # place in the held session's line, when waiting
    wish: SessionChoice | None
    wish_place: int
    options: list[tuple[SeminarSession, str]]  # other sessions, with what choosing one means


def _place_in_line(choice: SessionChoice) -> int:
    return db.session.scalar(
        select(func.count(SessionChoice.id))
        .join(Registration, Registration.id == SessionChoice.registration_id)
        .where(
            SessionChoice.session_id == choice.session_id,
            SessionChoice.state == ChoiceState.WAITING,
            SessionChoice.id <= choice.id,
            Registration.status == Status.CONFIRMED,
        )
    )


def _option(session: SeminarSession, seated: bool, confirmed: bool) -> str:
    if not session.is_full:
        return "free"
    if not session.waitlist_enabled:
        return "closed"
    return "wish" if seated else "line" if confirmed else "free"


def slots_of(registration: Registration) -> list[SlotView]:
    choices = session_seats.choices_of(registration.id)
    confirmed = registration.status == Status.CONFIRMED
    return [
        _slot(group, [c for c in choices if c.group_id == group.id], confirmed=confirmed)
        for group in session_seats.groups_of(registration.seminar_id)
    ]


def _slot(group: SessionGroup, choices: list[SessionChoice], *, confirmed: bool) -> SlotView:
    held = next((c for c in choices if not c.wish), None)
    wish = next((c for c in choices if c.wish), None)
    seated = held is not None and held.state == ChoiceState.SEATED
    waiting = held is not None and not seated and confirmed
    return SlotView(
        group=group,
        held=held,
        place=_place_in_line(held) if waiting else 0,
        wish=wish,
        wish_place=_place_in_line(wish) if wish else 0,
        options=[
            (session, _option(session, seated, confirmed))
            for session in group.sessions
            if session.id not in {c.session_id for c in choices}
        ],
    )


def _group_of(registration: Registration, group_id: int) -> SessionGroup:
    group = db.session.get(SessionGroup, group_id)
    if group is None or group.seminar_id != registration.seminar_id:
        abort(404)
    return group


def _back(token: str, result: str, **problem):
    return redirect(
        url_for("public.manage", token=token, session=result, **problem) + "#sessions", 303
    )


@bp.post("/r/<token>/sessions/<int:group_id>")
def change_session(token: str, group_id: int):
    registration = registration_or_404(token)
    if registration.status == Status.CANCELLED or not ConfirmForm().validate_on_submit():
        abort(409)
    group = _group_of(registration, group_id)
    choice = request.form.get("session", "")
    if choice == NONE and not group.required:
        session_seats.leave_group(registration, group.id)
        db.session.commit()
        return _back(token, "left")
    if not choice.isdigit():
        return _render_manage(
            registration, token, status=422, session_problem=(group.id, _("Choose a session."))
        )
    return _move(registration, token, group.id, int(choice))


def _move(registration: Registration, token: str, group_id: int, session_id: int):
    try:
        state = session_seats.change_choice(registration, group_id, session_id)
        result = "seated" if state == ChoiceState.SEATED else "waiting"
    except session_seats.SessionFull:
        db.session.rollback()
        try:
            session_seats.wish_for(registration, group_id, session_id)
            result = "wish"
        except (session_seats.SessionFull, session_seats.UnknownSession):
            db.session.rollback()
            problem = _("That session is full and has no waiting list. Choose another.")
            return _render_manage(
                registration, token, status=409, session_problem=(group_id, problem)
            )
    except session_seats.UnknownSession:
        abort(404)
    db.session.commit()
    return _back(token, result)


@bp.post("/r/<token>/sessions/<int:group_id>/stop-waiting")
def stop_waiting(token: str, group_id: int):
    registration = registration_or_404(token)
    if not ConfirmForm().validate_on_submit():
        abort(409)
    session_seats.drop_wish(registration, _group_of(registration, group_id).id)
    db.session.commit()
    return _back(token, "stopped")
