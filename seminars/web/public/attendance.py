"""The attendee's one-click answer to "Kommer du fortfarande?" (the attendance email).

GET only shows a page with one button: mail scanners open every link in a message, so
following the link must change nothing. The POST records the answer; "no" cancels the
registration and gives the seat to the first person in line at once.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from seminars.extensions import db
from seminars.mail import reminders
from seminars.models import SeminarStatus, Status
from seminars.web.fields import ConfirmForm
from seminars.web.public.views import registration_or_404

bp = Blueprint("attendance", __name__)


@bp.route("/r/<token>/attendance/<answer>", methods=["GET", "POST"])
def answer(token: str, answer: str):
    if answer not in reminders.ANSWERS:
        abort(404)
    registration = registration_or_404(token)
    seminar = registration.seminar
    can_answer = (
        registration.status != Status.CANCELLED and seminar.status == SeminarStatus.PUBLISHED
    )
    form = ConfirmForm()
    if request.method == "POST" and can_answer and form.validate_on_submit():
        reminders.answer_attendance_check(registration, answer)
        db.session.commit()
        return render_template(
            "attendance/answered.html",
            registration=registration,
            seminar=seminar,
            token=token,
            answer=answer,
        )
    status = 409 if request.method == "POST" else 200
    return (
        render_template(
            "attendance/answer.html",
            registration=registration,
            seminar=seminar,
            token=token,
            answer=answer,
            can_answer=can_answer,
            form=form,
        ),
        status,
    )
