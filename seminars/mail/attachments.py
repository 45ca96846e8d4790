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
CALENDAR_KINDS = {"confirmed", "promoted", "reminder", "mode_changed"}
CALENDAR_KINDS_FOR_SEATED = {"seminar_changed", "seminar_cancelled", "address_changed"}
CHECK_IN_KINDS = {"confirmed", "promoted", "mode_changed"}


def calendar_text(seminar: Seminar, joining_link: str = "") -> str:
    """The seminar as a calendar event; for someone taking part online, at its joining link."""
    url = absolute("public.seminar", slug=seminar.slug)
    base_url = current_app.config["BASE_URL"]
    return calendar.calendar_for([(seminar, url)], base_url, joining_link=joining_link).decode()


def joining_link(values: dict) -> str:
    """The link an online participant's calendar entry carries; none for others, nor before
    the email that brings the link."""
    if not values["takes_part_online"]:
        return ""
    return values["seminar"].online_link if values["online_details"] else ""


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
    if registration.online:
        return None  # the door concerns only those on site
    url = absolute(
        "attendees.check_in_person", seminar_id=seminar.id, registration_id=registration.id
    )
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
    return InlineImage(f"check-in-{registration.id}@{host}", buffer.getvalue())
