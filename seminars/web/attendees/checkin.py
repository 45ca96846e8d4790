"""Check-in at the door: a phone list that works without JavaScript, and one person's row
(the QR code in the confirmation opens it). Organisers of the seminar and the door helpers
given it use it; a door helper sees names and organisations only (no addresses, answers or
links onward), and has a page of their own seminars."""

from __future__ import annotations

import unicodedata

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from seminars import signup
from seminars.extensions import db
from seminars.models import Status, utcnow
from seminars.organising import access, roster, sessions
from seminars.web.attendees.views import SEMINAR, bp, registration_or_404, search_text
from seminars.web.fields import ConfirmForm


def _for_door_helper(entries: list[roster.Entry], search: str) -> list[roster.Entry]:
    """The search of a door helper looks at names and organisations only."""
    words = unicodedata.normalize("NFC", search).casefold().split()
    if not words:
        return entries
    return [
        entry
        for entry in entries
        if all(
            word in f"{entry.registration.name} {entry.registration.organization}".casefold()
            for word in words
        )
    ]


def _door_mode(seminar) -> str:
    """A hybrid seminar's door list shows those on site unless `?mode=online` asks."""
    if not seminar.is_hybrid:
        return ""
    return "online" if request.args.get("mode") == "online" else "onsite"


def _render_check_in(
    check_in: access.CheckIn, entries, *, single: bool = False, in_session=None, chosen=None
):
    mode = _door_mode(check_in.seminar)
    return render_template(
        "attendees/checkin.html",
        seminar=check_in.seminar,
        session_groups=sessions.session_seats.groups_of(check_in.seminar.id),
        in_session=in_session,
        chosen=chosen if chosen is not None else {},
        full_view=check_in.full,
        entries=entries,
        mode=mode,
        counts=roster.counts(check_in.seminar, mode),
        q=search_text(),
        single=single,
    )


@bp.get("/checkin/")
def my_check_ins():
    """The seminars this person was given as a door helper, soonest first."""
    seminars = db.session.scalars(access.door_seminars(current_user)).all()
    return render_template("attendees/checkin_home.html", seminars=seminars, now=utcnow())


@bp.get(SEMINAR + "/checkin")
def check_in(seminar_id: int):
    check_in = access.check_in_seminar(current_user, seminar_id)
    search = search_text()
    mode = _door_mode(check_in.seminar)
    if check_in.full:
        entries = roster.check_in_list(check_in.seminar, search, mode)
    else:
        entries = _for_door_helper(roster.check_in_list(check_in.seminar, mode=mode), search)
    # At the door of one parallel session: only those seated or waiting in it.
    chosen = sessions.choices_by_registration(check_in.seminar.id)
    in_session = sessions.session_of(check_in.seminar.id, request.args.get("session"))
    if in_session is not None:
        held = sessions.in_session(chosen, in_session.id)
        entries = [entry for entry in entries if entry.registration.id in held]
    return _render_check_in(check_in, entries, in_session=in_session, chosen=chosen)


@bp.get(SEMINAR + "/checkin/<int:registration_id>")
def check_in_person(seminar_id: int, registration_id: int):
    """The row the QR code in the confirmation email opens."""
    check_in = access.check_in_seminar(current_user, seminar_id)
    registration = registration_or_404(check_in.seminar, registration_id)
    if registration.status == Status.CANCELLED:
        return _render_check_in(check_in, [], single=True)
    position = None
    if registration.status == Status.WAITING:
        position = signup.waiting_position(registration)[0]
    return _render_check_in(check_in, [roster.Entry(registration, position)], single=True)


@bp.post(SEMINAR + "/checkin/<int:registration_id>")
def toggle_check_in(seminar_id: int, registration_id: int):
    seminar = access.check_in_seminar(current_user, seminar_id).seminar
    registration = registration_or_404(seminar, registration_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.get("action") == "undo":
        roster.undo_check_in(registration, current_user)
    else:
        try:
            roster.check_in(registration, current_user)
        except roster.NotConfirmed:
            flash(
                _("%(name)s has no seat, so cannot be checked in.", name=registration.name),
                "error",
            )
    db.session.commit()
    if request.form.get("back") == "person":
        return redirect(
            url_for(".check_in_person", seminar_id=seminar.id, registration_id=registration.id),
            303,
        )
    return redirect(
        url_for(".check_in", seminar_id=seminar.id, q=search_text() or None)
        + f"#r{registration.id}",
        303,
    )
