"""What an email's templates see: the seminar, the person, their links and answers.

Rendering happens in the worker, outside any request; `rendering()` gives it a request
context so `url_for` and the templates work as in a view, and `absolute()` makes links
start with BASE_URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from seminars import dates, signup
from seminars.mail.message import header_text
from seminars.models import OutboxMessage, Registration, Seminar, Status
from seminars.signup import modes
from seminars.signup import sessions as session_seats

SUBJECTS = {
    "confirmed": _l("You are registered: %(title)s"),
    "waiting": _l("You are on the waiting list: %(title)s"),
    "promoted": _l("You got a seat: %(title)s"),
    "mode_changed": _l("You have changed how you take part: %(title)s"),
    "manage_link": _l("Your registration: %(title)s"),
    "cancelled": _l("Your registration is cancelled: %(title)s"),
    "answers_changed": _l("Your answers are saved: %(title)s"),
    "seminar_changed": _l("New time or place: %(title)s"),
    "seminar_cancelled": _l("Cancelled: %(title)s"),
    "reminder": _l("Reminder: %(title)s"),
    "attendance_check": _l("Are you still coming? %(title)s"),
    "address_changed": _l("Your registration now uses this address: %(title)s"),
    "address_changed_notice": _l("The address of your registration was changed: %(title)s"),
    "password_reset": _l("Reset your password"),
    "invite": _l("You are invited to organise seminars"),
    "new_device_login": _l("New login to your organiser account"),
    "session_seat": _l("You got a seat in a session: %(title)s"),
    "session_removed": _l("A session you chose is removed: %(title)s"),
    "webhook_disabled": _l("A webhook was turned off"),
}
# Kinds about an organiser's account, sent without a seminar.
ACCOUNT_KINDS = {"password_reset", "invite", "new_device_login", "webhook_disabled"}
# Kinds to an address that no longer opens the registration: they carry no manage link.
LINKLESS_KINDS = {"address_changed_notice"}


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
    organization = seminar.organization if seminar else None
    return {
        # The organisation's look (organising/branding.py); render.py adds a PNG logo.
        "brand_accent": organization.accent_color if organization else "",
        "brand_logo_cid": "",
        "kind": row.kind,
        "details": row.context or {},
        "seminar": seminar,
        "seminar_url": absolute("public.seminar", slug=seminar.slug) if seminar else "",
        "sender_name": seminar.organization.name if seminar else _("Seminars"),
        "reply_to": answer_to,
        "reply_to_name": header_text(answer_to[0]) if answer_to else "",
        "has_seat": registration is not None and registration.status == Status.CONFIRMED,
        # A hybrid seminar's online participants get the joining link, not the venue.
        "takes_part_online": seminar is not None and _online(seminar, registration),
        "venue_shown": seminar is not None and modes.venue_for(seminar, registration),
        "online_details": seminar is not None
        and modes.online_details_for(seminar, registration, reminder=row.kind == "reminder"),
        "is_waiting": registration is not None and registration.status == Status.WAITING,
        "subject": subject(row, seminar),
        "calendar_attached": False,
        "check_in_cid": "",
    }


def _online(seminar: Seminar, registration: Registration | None) -> bool:
    return registration.online if registration is not None else seminar.mode == "online"


def personal(
    row: OutboxMessage, registration: Registration | None, link: Callable[..., str] = absolute
) -> dict[str, str]:
    """What differs between two recipients of the same broadcast: their name and links
    (made by `link`, `absolute` or one that gives the same)."""
    values = {"recipient_name": header_text(row.to_name), "manage_url": ""}
    asks_attendance = row.kind == "attendance_check" or "attendance_check" in (
        row.context or {}
    ).get("folded", ())
    if asks_attendance:
        values.update(yes_url="", no_url="")
    if (
        registration is not None
        and registration.anonymised_at is None
        and row.kind not in LINKLESS_KINDS
    ):
        token = signup.manage_token(registration)
        values["manage_url"] = link("public.manage", token=token)
        if asks_attendance:
            values["yes_url"] = link("attendance.answer", token=token, answer="yes")
            values["no_url"] = link("attendance.answer", token=token, answer="no")
    return values


# What url_for puts in a URL as it is: a value made of these alone fills a link pattern.
_URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")


class Links:
    """`absolute`, remembered per endpoint: each endpoint's URL is built once with
    placeholders, and a value url_for would not change is put into a copy of it (a
    reminder run builds the same manage link pattern for 10,000 tokens)."""

    def __init__(self) -> None:
        self.patterns: dict[tuple, str] = {}

    def __call__(self, endpoint: str, **values: str) -> str:
        if not all(_URL_SAFE.fullmatch(value) for value in values.values()):
            return absolute(endpoint, **values)
        names = tuple(values)
        key = (endpoint, names)
        if key not in self.patterns:
            self.patterns[key] = absolute(endpoint, **{name: _hole(name) for name in names})
        url = self.patterns[key]
        for name, value in values.items():
            url = url.replace(_hole(name), value)
        return url


def _hole(name: str) -> str:
    return f"SEMINARSHOLE{name}SEMINARSHOLE"


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
    values["session_lines"] = session_lines(registration)
    return values


def session_lines(registration: Registration) -> list[tuple[str, str]]:
    """The parallel sessions chosen, as (time slot, what the person has in it)."""
    lines = []
    for choice in session_seats.choices_of(registration.id):
        session = choice.session
        place = f"{session.title}, {session.room}" if session.room else session.title
        if choice.wish:
            what = _("waiting to move to %(session)s", session=place)
        elif choice.state == "waiting":
            what = _("%(session)s (waiting list)", session=place)
        else:
            what = place
        lines.append((session.group.title, what))
    return lines
