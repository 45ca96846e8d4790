"""Calendar files (.ics) for one seminar or all upcoming ones, built with `icalendar`."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vCalAddress, vText

from seminars.models import Seminar, SeminarStatus, utcnow


def event_uid(seminar: Seminar, base_url: str) -> str:
    """Stable for the seminar's lifetime, so calendars update the event instead of adding one."""
    host = urlsplit(base_url).hostname or "seminars.invalid"
    return f"seminar-{seminar.id}@{host}"


def _event(seminar: Seminar, base_url: str, url: str) -> Event:
    event = Event()
    event.add("uid", event_uid(seminar, base_url))
    event.add("dtstamp", utcnow())
    event.add("dtstart", seminar.starts_at)
    event.add("dtend", seminar.ends_at)
    event.add("sequence", seminar.sequence)
    event.add("summary", seminar.title)
    location = ", ".join(part for part in (seminar.venue_name, seminar.venue_address) if part)
    if location:
        event.add("location", location)
    description = "\n\n".join(part for part in (seminar.subtitle, url) if part)
    event.add("description", description)
    event.add("url", url)
    if seminar.contact_email:
        organizer = vCalAddress(f"mailto:{seminar.contact_email}")
        organizer.params["cn"] = vText(seminar.contact_name or seminar.organization.name)
        event.add("organizer", organizer)
    cancelled = seminar.status == SeminarStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def calendar_for(
    seminars: Iterable[tuple[Seminar, str]], base_url: str, *, name: str = ""
) -> bytes:
    """One VCALENDAR. METHOD:CANCEL when it carries a single cancelled seminar."""
    pairs = list(seminars)
    calendar = Calendar()
    calendar.add("prodid", "-//Seminars//seminars//SV")
    calendar.add("version", "2.0")
    single_cancelled = len(pairs) == 1 and pairs[0][0].status == SeminarStatus.CANCELLED
    calendar.add("method", "CANCEL" if single_cancelled else "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    for seminar, url in pairs:
        calendar.add_component(_event(seminar, base_url, url))
    return calendar.to_ical()
