"""What travels with an email besides its text: the seminar as a calendar file, and the
door check-in QR code shown inline in a confirmation."""

from __future__ import annotations

import io

import segno
from flask import current_app

from seminars.exports import calendar
from seminars.mail.context import absolute
from seminars.mail.message import CalendarFile, InlineImage
from seminars.models import OutboxMessage, Registration, Seminar, SeminarStatus

# Kinds that carry the seminar as a calendar file; the last two only to people with a seat.
CALENDAR_KINDS = {"confirmed", "promoted", "reminder"}
CALENDAR_KINDS_FOR_SEATED = {"seminar_changed", "seminar_cancelled", "address_changed"}
CHECK_IN_KINDS = {"confirmed", "promoted"}


def calendar_text(seminar: Seminar) -> str:
    url = absolute("public.seminar", slug=seminar.slug)
    return calendar.calendar_for([(seminar, url)], current_app.config["BASE_URL"]).decode()


def wants_calendar(kind: str, seminar: Seminar | None, has_seat: bool) -> bool:
    if seminar is None:
        return False
    return kind in CALENDAR_KINDS or (kind in CALENDAR_KINDS_FOR_SEATED and has_seat)


def calendar_file(seminar: Seminar, text: str) -> CalendarFile:
    """PUBLISH adds or updates the event in the attendee's calendar; CANCEL removes it."""
    method = "CANCEL" if seminar.status == SeminarStatus.CANCELLED else "PUBLISH"
    return CalendarFile(f"{seminar.slug}.ics", text, method)


def check_in_image(
    row: OutboxMessage, seminar: Seminar | None, registration: Registration | None, host: str
) -> InlineImage | None:
    """A QR code of the door check-in URL, for a confirmation to someone with a seat."""
    if row.kind not in CHECK_IN_KINDS or seminar is None or registration is None:
        return None
    url = absolute(
        "attendees.check_in_person", seminar_id=seminar.id, registration_id=registration.id
    )
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
    return InlineImage(f"check-in-{registration.id}@{host}", buffer.getvalue())
