"""Building one email as MIME bytes, ready for SMTP.

Every header value is encoded here: names with å, ä, ö as RFC 2047 encoded words, each
user-typed value on one line (CR, LF and other controls become spaces), addresses with the
domain in IDNA. Bodies stay 7-bit safe: the plain-text part quoted-printable (a person may
read the raw source), the rest base64 (computed in C). Lines end in CRLF, as SMTP wants.
"""

from __future__ import annotations

import secrets
from base64 import encodebytes
from dataclasses import dataclass, field
from email import quoprimime
from email.charset import BASE64, Charset
from email.header import Header
from email.utils import encode_rfc2231, format_datetime, formataddr, quote
from functools import lru_cache

from seminars.models import utcnow
from seminars.text import single_line

header_text = single_line  # user-typed text made safe for a header: no CR, LF or controls


class NeedsSMTPUTF8(ValueError):
    """The address has a non-ASCII local part, which plain SMTP cannot carry."""


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


CRLF = "\r\n"
# The line length the standard library's email package folds encoded bodies at (its
# policies' max_line_length): the output below matches what it writes, byte for byte.
_MAX_LINE = 78


def _param(name: str, value: str) -> str:
    """A MIME parameter as the email package writes it: quoted, or RFC 2231 when not ASCII."""
    if value.isascii():
        return f'{name}="{quote(value)}"'
    return f"{name}*={encode_rfc2231(value, 'utf-8')}"


def _part(headers: list[str], payload: str) -> str:
    return CRLF.join(headers) + CRLF + CRLF + payload


def _multipart(subtype: str, parts: list[str], headers: tuple[str, ...] = ()) -> str:
    """A multipart entity; its parts are written after a fresh boundary each."""
    boundary = _boundary()
    separator = f"{CRLF}--{boundary}{CRLF}"
    return (
        CRLF.join((f'Content-Type: multipart/{subtype}; boundary="{boundary}"', *headers))
        + f"{CRLF}{CRLF}--{boundary}{CRLF}"
        + separator.join(parts)
        + f"{CRLF}--{boundary}--{CRLF}"
    )


def _lines(text: str) -> list[bytes]:
    return text.encode("utf-8").splitlines()


def _base64(data: bytes) -> str:
    """Base64 in lines of 76 characters, each ending in CRLF."""
    return encodebytes(data).decode("ascii").replace("\n", CRLF)


def _text_part(text: str) -> str:
    body = b"\n".join(_lines(text)) + b"\n"
    return _part(
        [
            'Content-Type: text/plain; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
        ],
        quoprimime.body_encode(body.decode("latin-1"), _MAX_LINE, eol=CRLF),
    )


def _html_part(html: str) -> str:
    return _part(
        ['Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: base64"],
        _base64(b"\r\n".join(_lines(html)) + b"\r\n"),
    )


def _image_part(image: InlineImage) -> str:
    return _part(
        [
            "Content-Type: image/png",
            "Content-Transfer-Encoding: base64",
            f"Content-Disposition: inline; {_param('filename', image.filename)}",
            f"Content-ID: <{image.content_id}>",
        ],
        _base64(image.png),
    )


# A reminder run attaches the same calendar file to every email: encoded once.
@lru_cache(maxsize=64)
def _calendar_part(calendar_file: CalendarFile) -> str:
    return _part(
        [
            "Content-Transfer-Encoding: base64",
            f"Content-Disposition: attachment; {_param('filename', calendar_file.filename)}",
            'Content-Type: text/calendar; charset="utf-8"; '
            + _param("method", calendar_file.method),
        ],
        _base64(b"\r\n".join(_lines(calendar_file.body)) + b"\r\n"),
    )


def as_bytes(email: Email) -> bytes:
    """The MIME message, ready for SMTP: text and HTML as alternatives, inline images next
    to the HTML, calendar files attached, every header encoded, lines ending in CRLF.

    Written directly rather than through `email.message.EmailMessage`, whose generator cost
    more than the rest of a reminder: the bytes are the same as it writes for this shape
    (tests/test_mail_mime.py compares the two).
    """
    html = _html_part(email.html)
    if email.inline_images:
        html = _multipart("related", [html, *map(_image_part, email.inline_images)])
    headers = [
        "MIME-Version: 1.0",
        f"Subject: {text_header(email.subject)}",
        f"From: {mailbox_header(*email.sender)}",
        f"To: {mailbox_header(*email.recipient)}",
    ]
    if email.reply_to is not None:
        headers.append(f"Reply-To: {mailbox_header(*email.reply_to)}")
    headers += [
        f"Date: {format_datetime(utcnow())}",
        f"Message-ID: {email.message_id}",
        # Stops out-of-office replies to reminders sent to a whole seminar.
        "Auto-Submitted: auto-generated",
    ]
    alternative = _multipart("alternative", [_text_part(email.text), html])
    calendars = [_calendar_part(calendar_file) for calendar_file in email.calendar_files]
    return _multipart("mixed", [alternative, *calendars], tuple(headers)).encode("ascii")
