"""Building one email as the standard library's `EmailMessage`, ready for SMTP.

Every header value is encoded here: names with å, ä, ö as RFC 2047 encoded words, each
user-typed value on one line (CR, LF and other controls become spaces), addresses with the
domain in IDNA. Bodies stay 7-bit safe: the plain-text part quoted-printable (a person may
read the raw source), the rest base64 (computed in C). Lines end in CRLF, as SMTP wants.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from email.charset import BASE64, Charset
from email.header import Header
from email.message import EmailMessage, MIMEPart
from email.policy import EmailPolicy
from email.utils import format_datetime, formataddr
from functools import lru_cache

from seminars.models import utcnow
from seminars.text import single_line

header_text = single_line  # user-typed text made safe for a header: no CR, LF or controls


class NeedsSMTPUTF8(ValueError):
    """The address has a non-ASCII local part, which plain SMTP cannot carry."""


class _PreparedHeaders(EmailPolicy):
    """An EmailPolicy that keeps header values as this module encoded them.

    The default policy parses every header into an object and refolds it when the message
    is written, which costs more than the rest of a reminder together; the values set here
    are encoded and on one line already, so they are stored and written as they are.
    """

    def header_max_count(self, name: str) -> None:
        return None  # each header is set once, here

    def header_store_parse(self, name: str, value: str) -> tuple[str, str]:
        return (name, str(value))

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value

    def fold(self, name: str, value: str) -> str:
        return f"{name}: {value}{self.linesep}"

    def fold_binary(self, name: str, value: str) -> bytes:
        return self.fold(name, value).encode("ascii")


SMTP_POLICY = _PreparedHeaders(linesep="\r\n")

_UTF8 = Charset("utf-8")
_UTF8.header_encoding = BASE64


def ascii_address(address: str) -> str:
    """An address as it goes into a header or an envelope: the domain in IDNA."""
    local, _at, domain = header_text(address).rpartition("@")
    if not local.isascii():
        raise NeedsSMTPUTF8(address)
    return f"{local}@{domain.encode('idna').decode('ascii')}"


# Encoding is pure and a batch repeats the same sender, reply-to and subject thousands of
# times; a bounded cache keeps a long-running worker's memory flat.
@lru_cache(maxsize=1024)
def mailbox_header(name: str, address: str) -> str:
    """'Åsa Plesner <asa@example.org>' as one RFC 2047 encoded word, or quoted when ASCII."""
    name, address = header_text(name), ascii_address(address)
    if not name:
        return address
    return formataddr((name, address), charset=_UTF8)


@lru_cache(maxsize=1024)
def text_header(text: str) -> str:
    text = header_text(text)
    return text if text.isascii() else Header(text, _UTF8).encode(linesep="\r\n")


def _boundary() -> str:
    """A MIME boundary that cannot occur in the parts: quoted-printable writes "=" as "=3D"
    and base64 has no "_". Choosing it here spares the generator a search per message."""
    return f"=_{secrets.token_hex(12)}"


@dataclass(frozen=True)
class CalendarFile:
    filename: str
    body: str
    method: str  # the iTIP method: PUBLISH, or CANCEL when the seminar is cancelled


@dataclass
class InlineImage:
    content_id: str
    png: bytes
    filename: str = "check-in.png"


@dataclass
class Email:
    """What an email says and to whom; `build` turns it into MIME."""

    subject: str
    sender: tuple[str, str]  # (name, address)
    recipient: tuple[str, str]
    text: str
    html: str
    message_id: str
    reply_to: tuple[str, str] | None = None
    inline_images: list[InlineImage] = field(default_factory=list)
    calendar_files: list[CalendarFile] = field(default_factory=list)

    @property
    def envelope_recipient(self) -> str:
        return ascii_address(self.recipient[1])


def _html_part(email: Email) -> MIMEPart:
    html = MIMEPart(policy=SMTP_POLICY)
    html.set_content(email.html, subtype="html", cte="base64")
    if not email.inline_images:
        return html
    related = MIMEPart(policy=SMTP_POLICY)
    related.make_related(boundary=_boundary())
    related.attach(html)
    for image in email.inline_images:
        part = MIMEPart(policy=SMTP_POLICY)
        part.set_content(image.png, "image", "png", disposition="inline", filename=image.filename)
        part["Content-ID"] = f"<{image.content_id}>"
        related.attach(part)
    return related


# A reminder run attaches the same calendar file to every email: encoded once, shared by
# every message (a part is not changed once built).
@lru_cache(maxsize=64)
def _calendar_part(calendar_file: CalendarFile) -> MIMEPart:
    part = MIMEPart(policy=SMTP_POLICY)
    part.set_content(
        calendar_file.body,
        subtype="calendar",
        cte="base64",
        disposition="attachment",
        filename=calendar_file.filename,
        params={"method": calendar_file.method},
    )
    return part


def build(email: Email) -> EmailMessage:
    """The MIME message: text and HTML as alternatives, inline images next to the HTML,
    calendar files attached, every header encoded."""
    text = MIMEPart(policy=SMTP_POLICY)
    text.set_content(email.text, cte="quoted-printable")
    alternative = MIMEPart(policy=SMTP_POLICY)
    alternative.make_alternative(boundary=_boundary())
    alternative.attach(text)
    alternative.attach(_html_part(email))
    message = EmailMessage(policy=SMTP_POLICY)
    message.make_mixed(boundary=_boundary())
    message.attach(alternative)
    for calendar_file in email.calendar_files:
        message.attach(_calendar_part(calendar_file))
    message["MIME-Version"] = "1.0"
    message["Subject"] = text_header(email.subject)
    message["From"] = mailbox_header(*email.sender)
    message["To"] = mailbox_header(*email.recipient)
    if email.reply_to is not None:
        message["Reply-To"] = mailbox_header(*email.reply_to)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = email.message_id
    # Stops out-of-office replies to reminders sent to a whole seminar.
    message["Auto-Submitted"] = "auto-generated"
    return message


def as_bytes(email: Email) -> bytes:
    return build(email).as_bytes()
