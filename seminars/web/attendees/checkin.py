"""Check-in at the door: a phone list that works without JavaScript, and one person's row
(the QR code in the confirmation opens it)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from seminars import signup
from seminars.extensions import db
from seminars.models import (
    Seminar,
    Status,
)
from seminars.organising import roster
from seminars.organising.access import managed_seminar
from seminars.web.attendees.views import (
    SEMINAR,
    bp,
    registration_or_404,
    search_text,
)
from seminars.web.fields import ConfirmForm


def _render_check_in(seminar: Seminar, entries: list[roster.Entry], *, single: bool = False):
    return render_template(
        "attendees/checkin.html",
        seminar=seminar,
        entries=entries,
        counts=roster.counts(seminar),
        q=search_text(),
        single=single,
    )


@bp.get(SEMINAR + "/checkin")
def check_in(seminar_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    return _render_check_in(seminar, roster.check_in_list(seminar, search_text()))


@bp.get(SEMINAR + "/checkin/<int:registration_id>")
def check_in_person(seminar_id: int, registration_id: int):
    """The row the QR code in the confirmation email opens."""
    seminar = managed_seminar(current_user, seminar_id)
    registration = registration_or_404(seminar, registration_id)
    if registration.status == Status.CANCELLED:
        return _render_check_in(seminar, [], single=True)
    position = None
    if registration.status == Status.WAITING:
        position = signup.waiting_position(registration)[0]
    return _render_check_in(seminar, [roster.Entry(registration, position)], single=True)


@bp.post(SEMINAR + "/checkin/<int:registration_id>")
def toggle_check_in(seminar_id: int, registration_id: int):
    seminar = managed_seminar(current_user, seminar_id)
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
