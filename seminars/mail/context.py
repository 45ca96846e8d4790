"""What an email's templates see: the seminar, the person, their links and answers.

Rendering happens in the worker, outside any request; `rendering()` gives it a request
context so `url_for` and the templates work as in a view, and `absolute()` makes links
start with BASE_URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from seminars import dates, signup
from seminars.mail.message import header_text
from seminars.models import OutboxMessage, Registration, Seminar, Status

SUBJECTS = {
    "confirmed": _l("You are registered: %(title)s"),
    "waiting": _l("You are on the waiting list: %(title)s"),
    "promoted": _l("You got a seat: %(title)s"),
    "manage_link": _l("Your registration: %(title)s"),
    "cancelled": _l("Your registration is cancelled: %(title)s"),
    "answers_changed": _l("Your answers are saved: %(title)s"),
    "seminar_changed": _l("New time or place: %(title)s"),
    "seminar_cancelled": _l("Cancelled: %(title)s"),
    "reminder": _l("Reminder: %(title)s"),
    "attendance_check": _l("Are you still coming? %(title)s"),
    "password_reset": _l("Reset your password"),
    "invite": _l("You are invited to organise seminars"),
    "new_device_login": _l("New login to your organiser account"),
    "webhook_disabled": _l("A webhook was turned off"),
}
# Kinds about an organiser's account, sent without a seminar.
ACCOUNT_KINDS = {"password_reset", "invite", "new_device_login", "webhook_disabled"}


def absolute(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


@contextmanager
def rendering() -> Iterator[None]:
    """A request context, so url_for and templates work in the worker as in a view."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context("/"):
        yield


def formatters(language: str) -> dict:
    """The language and the templates' fmt_* helpers for it, remembering what they
    formatted: a reminder run formats the same few moments for everyone."""
    return {
        "language": language,
        "fmt_span": cache(lambda start, end: dates.span(start, end, language)),
        "fmt_when": cache(lambda moment: dates.when(moment, language)),
        "fmt_day": cache(lambda moment: dates.day(moment, language)),
        "fmt_clock": cache(lambda moment: dates.clock(moment, language)),
    }


def subject(row: OutboxMessage, seminar: Seminar | None) -> str:
    if row.kind == "message":
        return header_text(row.context.get("subject"))
    title = header_text(seminar.title) if seminar else ""
    return header_text(str(SUBJECTS[row.kind]) % {"title": title})


def reply_to(seminar: Seminar | None) -> tuple[str, str] | None:
    """Replies go to the seminar's contact person, else to the organisation."""
    if seminar is None:
        return None
    contact_email = seminar.contact_email or seminar.organization.contact_email
    if not contact_email:
        return None
    return (seminar.contact_name or seminar.organization.name, contact_email)


def shared(row: OutboxMessage, seminar: Seminar | None, registration: Registration | None):
    """What every recipient of this kind of email about this seminar has in common."""
    answer_to = reply_to(seminar)
    return {
        "kind": row.kind,
        "details": row.context or {},
        "seminar": seminar,
        "seminar_url": absolute("public.seminar", slug=seminar.slug) if seminar else "",
        "sender_name": seminar.organization.name if seminar else _("Seminars"),
        "reply_to": answer_to,
        "reply_to_name": header_text(answer_to[0]) if answer_to else "",
        "has_seat": registration is not None and registration.status == Status.CONFIRMED,
        "is_waiting": registration is not None and registration.status == Status.WAITING,
        "subject": subject(row, seminar),
        "calendar_attached": False,
        "check_in_cid": "",
    }


def personal(row: OutboxMessage, registration: Registration | None) -> dict[str, str]:
    """What differs between two recipients of the same broadcast: their name and links."""
    values = {"recipient_name": header_text(row.to_name), "manage_url": ""}
    if row.kind == "attendance_check":
        values.update(yes_url="", no_url="")
    if registration is not None and registration.anonymised_at is None:
        token = signup.manage_token(registration)
        values["manage_url"] = absolute("public.manage", token=token)
        if row.kind == "attendance_check":
            values["yes_url"] = absolute("attendance.answer", token=token, answer="yes")
            values["no_url"] = absolute("attendance.answer", token=token, answer="no")
    return values


def answers(seminar: Seminar, registration: Registration) -> tuple[list[tuple[str, str]], bool]:
    """The attendee's answers to repeat in email; health data stays out of mailboxes."""
    shown, sensitive_answered = [], False
    for question in seminar.questions:
        answer = registration.answers.get(str(question.id))
        if not answer:
            continue
        if question.sensitive:
            sensitive_answered = True
        else:
            shown.append((question.text, answer))
    return shown, sensitive_answered


def about_registration(seminar: Seminar | None, registration: Registration | None) -> dict:
    """For an email to one person: their registration, place in line and answers."""
    values: dict = {"registration": registration, "position": 0, "waiting_total": 0}
    if registration is None:
        return values
    if registration.status == Status.WAITING:
        values["position"], values["waiting_total"] = signup.waiting_position(registration)
    if seminar is not None:
        values["answers"], values["sensitive_answered"] = answers(seminar, registration)
    return values
