"""Reading delivered mail in tests: parts, calendar files, links."""

from __future__ import annotations

import re
from email.message import EmailMessage

from icalendar import Calendar

BASE_URL = "http://seminars.test"


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def calendar_part(message: EmailMessage) -> EmailMessage | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part
    return None


def calendar_of(message: EmailMessage) -> Calendar:
    part = calendar_part(message)
    assert part is not None, "no calendar file attached"
    return Calendar.from_ical(part.get_content())


def event_of(message: EmailMessage):
    return calendar_of(message).walk("VEVENT")[0]


def links_in(message: EmailMessage) -> list[str]:
    """Paths of this site's links in the text part, in order."""
    return re.findall(re.escape(BASE_URL) + r"(/[^\s]*)", text_of(message))


def manage_path(message: EmailMessage) -> str:
    paths = [path for path in links_in(message) if re.fullmatch(r"/r/[A-Za-z0-9_-]+", path)]
    assert paths, "no manage link in the mail"
    return paths[0]


def mail_to(messages: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in messages if m["To"].addresses[0].addr_spec == address]
