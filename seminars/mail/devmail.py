"""The development mailbox: what a local SMTP server received, kept as .eml files.

`flask seminars mailbox` runs an aiosmtpd server with `MailboxHandler`, which stores every
mail in instance/mailbox/ and prints it to the terminal; the development-only page
/dev/mailbox reads the same files, so a person trying the app sees exactly the emails an
attendee would get. Nothing here is used in production.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd import handlers
from flask import Flask

MAIL_NAME = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9]+\.eml$")
_numbers = itertools.count(1)


def mailbox_directory(app: Flask) -> Path:
    return Path(app.config.get("DEV_MAILBOX_DIR") or Path(app.instance_path) / "mailbox")


def store(directory: Path, content: bytes) -> Path:
    """Write one received mail as <time>-<n>.eml, never overwriting an earlier one."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    while True:
        path = directory / f"{stamp}-{next(_numbers)}.eml"
        try:
            with path.open("xb") as file:
                file.write(content)
            return path
        except FileExistsError:
            continue


def parse(content: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(content)


def text_part(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""


def html_part(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    return body.get_content() if body is not None else ""


@dataclass
class Attachment:
    filename: str
    content_type: str
    size: int
    # Calendar files are shown as text, so the entry can be read on the page.
    text: str = ""


@dataclass
class StoredMail:
    name: str
    message: EmailMessage
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def to(self) -> str:
        return str(self.message.get("To", ""))

    @property
    def sender(self) -> str:
        return str(self.message.get("From", ""))

    @property
    def received(self) -> str:
        """'2026-11-23 10:08:41' from the file name '20261123-100841-7.eml'."""
        stamp = datetime.strptime(self.name[:15], "%Y%m%d-%H%M%S")
        return stamp.strftime("%Y-%m-%d %H:%M:%S")

    @property
    def text(self) -> str:
        return text_part(self.message)

    @property
    def html(self) -> str:
        return html_part(self.message)

    def image(self, content_id: str) -> bytes | None:
        """An inline image of the HTML part, by its Content-ID."""
        for part in self.message.walk():
            if str(part.get("Content-ID", "")).strip("<>") == content_id:
                return part.get_payload(decode=True)
        return None


def _attachments(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() not in ("attachment", "inline"):
            continue
        payload = part.get_payload(decode=True) or b""
        text = part.get_content() if part.get_content_type() == "text/calendar" else ""
        found.append(
            Attachment(
                filename=part.get_filename() or "",
                content_type=part.get("Content-Type", part.get_content_type()),
                size=len(payload),
                text=text,
            )
        )
    return found


def read(directory: Path, name: str) -> StoredMail | None:
    if not MAIL_NAME.match(name):
        return None
    path = directory / name
    if not path.is_file():
        return None
    message = parse(path.read_bytes())
    return StoredMail(name, message, _attachments(message))


def newest(directory: Path, limit: int = 200) -> list[StoredMail]:
    if not directory.is_dir():
        return []
    names = sorted(
        (path.name for path in directory.iterdir() if MAIL_NAME.match(path.name)),
        key=lambda name: (name[:15], int(name[16:-4])),
        reverse=True,
    )
    return [mail for mail in (read(directory, name) for name in names[:limit]) if mail]


def summary(message: EmailMessage) -> str:
    """What the terminal shows for each received mail."""
    return "\n".join(
        [
            "=" * 72,
            f"From:    {message.get('From', '')}",
            f"To:      {message.get('To', '')}",
            f"Subject: {message.get('Subject', '')}",
            "-" * 72,
            text_part(message).rstrip(),
            "",
        ]
    )


class MailboxHandler(handlers.Message):
    """aiosmtpd's Message handler, which adds the envelope to each mail (X-Peer, X-MailFrom,
    X-RcptTo: the return path shows there); this one keeps each mail and echoes it."""

    def __init__(self, directory: Path, echo: Callable[[str], None] | None = None):
        super().__init__()
        self.directory = directory
        self.echo = echo

    def handle_message(self, message: Message) -> None:
        content = message.as_bytes()
        path = store(self.directory, content)
        if self.echo is not None:
            self.echo(summary(parse(content)) + f"(saved as {path})\n")
