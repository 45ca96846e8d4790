"""Calendar files (.ics) for one seminar or all upcoming ones, and an organisation's
subscribable feed, built with `icalendar`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event, vCalAddress, vDuration, vText

from seminars.models import Seminar, SeminarStatus, utcnow


def event_uid(seminar: Seminar, base_url: str) -> str:
    """Stable for the seminar's lifetime, so calendars update the event instead of adding one."""
    host = urlsplit(base_url).hostname or "seminars.invalid"
    return f"seminar-{seminar.id}@{host}"


def _event(seminar: Seminar, base_url: str, url: str, joining_link: str = "") -> Event:
    event = Event()
    event.add("uid", event_uid(seminar, base_url))
    event.add("dtstamp", utcnow())
    event.add("dtstart", seminar.starts_at)
    event.add("dtend", seminar.ends_at)
    event.add("sequence", seminar.sequence)
    event.add("summary", seminar.title)
    # An online participant's entry is at the joining link; everyone else's at the venue.
    location = joining_link or ", ".join(
        part for part in (seminar.venue_name, seminar.venue_address) if part
    )
    if location:
        event.add("location", location)
    description = "\n\n".join(part for part in (seminar.subtitle, joining_link, url) if part)
    event.add("description", description)
    event.add("url", joining_link or url)
    if seminar.contact_email:
        organizer = vCalAddress(f"mailto:{seminar.contact_email}")
        organizer.params["cn"] = vText(seminar.contact_name or seminar.organization.name)
        event.add("organizer", organizer)
    cancelled = seminar.status == SeminarStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def calendar_for(
    seminars: Iterable[tuple[Seminar, str]],
    base_url: str,
    *,
    name: str = "",
    joining_link: str = "",
) -> bytes:
    """One VCALENDAR. METHOD:CANCEL when it carries a single cancelled seminar.
    `joining_link`: the event of one online participant, placed at that link."""
    pairs = list(seminars)
    calendar = Calendar()
    calendar.add("prodid", "-//Seminars//seminars//SV")
    calendar.add("version", "2.0")
    single_cancelled = len(pairs) == 1 and pairs[0][0].status == SeminarStatus.CANCELLED
    calendar.add("method", "CANCEL" if single_cancelled else "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    for seminar, url in pairs:
        calendar.add_component(_event(seminar, base_url, url, joining_link))
    return calendar.to_ical()


# How often a subscribed calendar should fetch the feed again (RFC 7986 REFRESH-INTERVAL;
# X-PUBLISHED-TTL for Outlook and older Apple clients).
FEED_REFRESH = timedelta(hours=1)


def feed_for(seminars: Iterable[tuple[Seminar, str]], base_url: str, *, name: str) -> bytes:
    """A subscribable calendar: every event under its stable UID, cancelled ones kept and
    marked STATUS:CANCELLED so subscribers see the cancellation instead of a vanished event.
    Always METHOD:PUBLISH, even when the only seminar in it is cancelled."""
    calendar = Calendar()
    calendar.add("prodid", "-//Seminars//seminars//SV")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    refresh = vDuration(FEED_REFRESH)
    refresh.params["value"] = "DURATION"
    calendar.add("refresh-interval", refresh)
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for seminar, url in seminars:
        event = _event(seminar, base_url, url)
        event.add("last-modified", seminar.updated_at)
        calendar.add_component(event)
    return calendar.to_ical()
