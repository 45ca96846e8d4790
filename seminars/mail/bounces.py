"""Undeliverable addresses: a permanent SMTP refusal, or a bounce read from a mailbox.

Every email carries its outbox row in two places a bounce gives back: its Message-ID
(`<row id>.<signature>.outbox@host>`) and, when BOUNCE_IMAP_URL is set, a VERP-style
envelope sender (`seminarier+bounce-<row id>-<signature>@…`), so the mail server's bounce
goes to that address. The signature is an HMAC with SECRET_KEY: a forged bounce cannot mark
an address as not working. The worker reads the bounce mailbox over IMAP; a delivery-status
notification (RFC 3464) that says a recipient failed for good marks the row undeliverable,
and the organiser sees "The address does not work" next to the person.
"""

from __future__ import annotations

import hashlib
import hmac
import imaplib
import re
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser, HeaderParser
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import Connection, update

from seminars.models import OutboxMessage, OutboxStatus, Registration

# The worker looks at the bounce mailbox at most this often (seconds).
POLL_INTERVAL = 60.0
_RETURN_PATH = re.compile(r"\+bounce-([0-9]+)-([0-9a-f]{16})@", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<([0-9]+)\.([0-9a-f]{16})\.outbox@", re.IGNORECASE)
# Where a bounce to a VERP address shows that address.
_RECIPIENT_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")


class _Schedule:
    last_poll = float("-inf")


_schedule = _Schedule()


def _signature(row_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"outbox:{row_id}".encode(), hashlib.sha256).hexdigest()[:16]


def message_id(row_id: int, host: str) -> str:
    return f"<{row_id}.{_signature(row_id)}.outbox@{host}>"


def envelope_sender(row_id: int, sender: str) -> str:
    """The return path: the sender's address with the row's token when bounces are read."""
    if not current_app.config.get("BOUNCE_IMAP_URL"):
        return sender
    local, _at, domain = sender.rpartition("@")
    return f"{local}+bounce-{row_id}-{_signature(row_id)}@{domain}"


def _verified(match: re.Match | None) -> int | None:
    if match is None:
        return None
    row_id = int(match.group(1))
    return row_id if hmac.compare_digest(match.group(2).lower(), _signature(row_id)) else None


def mark_undeliverable(
    connection: Connection, row_id: int, reason: str, *, attempts: int | None = None
) -> bool:
    """Record that the row's address does not work, on the row and on its registration
    (while the registration still has that address); committed at once."""
    outbox = OutboxMessage.__table__
    registration = Registration.__table__
    values = {
        "status": OutboxStatus.FAILED,
        "undeliverable": True,
        "last_error": reason[:1000],
        "claimed_at": None,
        "claimed_by": None,
    }
    if attempts is not None:
        values["attempts"] = attempts
    with connection.begin():
        found = connection.execute(
            update(outbox)
            .where(outbox.c.id == row_id)
            .values(**values)
            .returning(outbox.c.registration_id, outbox.c.to_email)
        ).first()
        if found is None:
            return False
        if found.registration_id is not None and found.to_email:
            connection.execute(
                update(registration)
                .where(
                    registration.c.id == found.registration_id,
                    registration.c.email == found.to_email,
                )
                .values(undeliverable_email=found.to_email)
            )
    return True


@dataclass
class Bounce:
    row_id: int
    reason: str


def _permanent_failure(report: EmailMessage) -> str | None:
    """The status and diagnostic of a recipient the report says failed for good."""
    for part in report.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for fields in part.get_payload()[1:]:  # the first block is about the message
            action = str(fields.get("Action", "")).strip().lower()
            status = str(fields.get("Status", "")).strip()
            if action == "failed" and status.startswith("5"):
                diagnostic = " ".join(str(fields.get("Diagnostic-Code", "")).split())
                return f"{status} {diagnostic}".strip()
    return None


def _original_message_id(report: EmailMessage) -> str:
    for part in report.walk():
        if part.get_content_type() == "message/rfc822":
            return str(part.get_payload()[0].get("Message-ID", ""))
        if part.get_content_type() == "text/rfc822-headers":
            return str(HeaderParser().parsestr(part.get_content()).get("Message-ID", ""))
    return ""


def _row_of(report: EmailMessage) -> int | None:
    """The outbox row a bounce is about: by its return path, else by the original's
    Message-ID."""
    for name in _RECIPIENT_HEADERS:
        for value in report.get_all(name, []):
            row_id = _verified(_RETURN_PATH.search(str(value)))
            if row_id is not None:
                return row_id
    return _verified(_MESSAGE_ID.search(_original_message_id(report)))


def read_bounce(raw: bytes) -> Bounce | None:
    """A delivery-status notification of a permanent failure of one of our emails, or None
    (a delay notice, an out-of-office reply, anything else)."""
    report = BytesParser(policy=policy.default).parsebytes(raw)
    if report.get_content_type() != "multipart/report":
        return None
    reason = _permanent_failure(report)
    row_id = _row_of(report) if reason is not None else None
    if row_id is None:
        return None
    return Bounce(row_id, f"bounce: {reason}")


def _mailbox(url: str) -> tuple[imaplib.IMAP4, str]:
    """Logged in to the mailbox of `imaps://user:password@host[:port]/MAILBOX` (or imap://
    for a server on this machine)."""
    parts = urlsplit(url)
    secure = parts.scheme == "imaps"
    imap_class = imaplib.IMAP4_SSL if secure else imaplib.IMAP4
    port = parts.port or (993 if secure else 143)
    imap = imap_class(parts.hostname, port, timeout=current_app.config["MAIL_TIMEOUT"])
    try:
        imap.login(unquote(parts.username or ""), unquote(parts.password or ""))
    except BaseException:
        imap.shutdown()
        raise
    return imap, unquote(parts.path.strip("/")) or "INBOX"


def poll(connection: Connection, url: str) -> int:
    """Read unseen mail in the bounce mailbox; record each bounce of ours and delete it.
    Returns how many addresses were marked as not working."""
    imap, mailbox = _mailbox(url)
    marked = 0
    try:
        imap.select(mailbox)
        _status, found = imap.uid("SEARCH", None, "UNSEEN")
        for uid in found[0].split():
            _status, fetched = imap.uid("FETCH", uid, "(RFC822)")  # also marks it seen
            bounce = read_bounce(fetched[0][1])
            if bounce is None:
                continue
            marked += mark_undeliverable(connection, bounce.row_id, bounce.reason)
            imap.uid("STORE", uid, "+FLAGS", r"(\Deleted)")
        imap.expunge()
    finally:
        imap.logout()
    return marked


def poll_if_due(connection_source, *, force: bool = False) -> int | None:
    """Poll the bounce mailbox when BOUNCE_IMAP_URL is set, at most every POLL_INTERVAL
    seconds; returns how many addresses were marked, or None when it was not polled."""
    url = current_app.config.get("BOUNCE_IMAP_URL")
    if not url or (not force and time.monotonic() - _schedule.last_poll < POLL_INTERVAL):
        return None
    _schedule.last_poll = time.monotonic()
    try:
        with connection_source() as connection:
            return poll(connection, url)
    except (imaplib.IMAP4.error, OSError) as error:
        # An unreachable mailbox delays the news of bounces; mail delivery goes on.
        current_app.logger.warning("reading the bounce mailbox failed: %s", error)
        return None
