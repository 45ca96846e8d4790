"""Delivering the outbox: the only module that talks SMTP (through Flask-Mail).

A pass claims a batch of due rows and commits the claim before any SMTP traffic, so no
database transaction is held open while a mail server answers slowly. Each row is rendered
just before sending, from `templates/email/<kind>.txt|.html` in the recipient's language, so
the attendee's manage-link token never sits in the database. The batch goes over one SMTP
connection with a socket timeout; each row is marked sent as soon as the server accepted it.
Failures are retried with growing back-off; an unreachable server only delays mail.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.charset import BASE64, QP, Charset
from email.generator import BytesGenerator
from email.header import Header
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import cache, lru_cache
from urllib.parse import urlsplit

import flask_mail
import segno
from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import Connection, select, update

from seminars import database, dates, signup
from seminars.exports import calendar
from seminars.extensions import db
from seminars.models import (
    OutboxMessage,
    OutboxStatus,
    Registration,
    Seminar,
    SeminarStatus,
    Status,
    utcnow,
)
from seminars.text import single_line

# A claim older than this belongs to a worker that died mid-batch; its rows go back in line.
STALE_CLAIM = timedelta(minutes=10)
RETRY_FIRST = timedelta(seconds=30)
RETRY_LONGEST = timedelta(hours=1)
CHECK_IN_ENDPOINT = "attendees.check_in_person"

SUBJECTS = {
    "confirmed": _l("You are registered: %(title)s"),
    "waiting": _l("You are on the waiting list: %(title)s"),
    "promoted": _l("You got a seat: %(title)s"),
    "manage_link": _l("Your registration: %(title)s"),
    "cancelled": _l("Your registration is cancelled: %(title)s"),
    "answers_changed": _l("Your answers are saved: %(title)s"),
    "seminar_changed": _l("New time or place: %(title)s"),
    "seminar_cancelled": _l("Cancelled: %(title)s"),
    "reminder": _l("Reminder: %(title)s"),
    "attendance_check": _l("Are you still coming? %(title)s"),
    "password_reset": _l("Reset your password"),
    "invite": _l("You are invited to organise seminars"),
    "new_device_login": _l("New login to your organiser account"),
}
# Kinds that carry the seminar as a calendar file; the last two only to people with a seat.
CALENDAR_KINDS = {"confirmed", "promoted", "reminder"}
CALENDAR_KINDS_FOR_SEATED = {"seminar_changed", "seminar_cancelled"}
# Kinds sent to everyone of a seminar at once. Their templates see the person only through
# `recipient_name` and the links (`registration` is None there), so a batch renders each
# once per audience and fills in each recipient: a 10,000-person reminder run renders a
# handful of templates instead of 20,000.
BROADCAST_KINDS = {
    "reminder",
    "attendance_check",
    "seminar_changed",
    "seminar_cancelled",
    "message",
}
# Kinds whose moment passes: sending them after the seminar began, or to someone no longer
# holding a seat, would only confuse.
TIMELY_KINDS = {"reminder", "attendance_check"}


class _PreparedHeaders(Compat32):
    """Writes header values as they are: this module encodes and folds every header itself
    (and strips CR/LF from anything typed), so the generator's costly refolding is skipped."""

    def fold_binary(self, name: str, value: str) -> bytes:
        return f"{name}: {value}{self.linesep}".encode("ascii")


SMTP_COMPAT = _PreparedHeaders(linesep="\r\n")
header_text = single_line  # user-typed text made safe for a header: no CR, LF or controls


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    missed: int = 0

    def add(self, other: DeliveryReport) -> None:
        for name in ("claimed", "sent", "retrying", "failed", "missed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class NotSendable(Exception):
    """The email's moment has passed (recorded as missed), or it has no recipient."""

    def __init__(self, reason: str, status: OutboxStatus = OutboxStatus.MISSED):
        super().__init__(reason)
        self.status = status


def _charset(body_encoding: int) -> Charset:
    """UTF-8, 7-bit safe. Base64 is computed in C; quoted-printable (pure Python) only
    where a person may read the raw source: the plain-text part."""
    charset = Charset("utf-8")
    charset.header_encoding = BASE64
    charset.body_encoding = body_encoding
    return charset


UTF8 = _charset(BASE64)
UTF8_READABLE = _charset(QP)


def _ascii_address(address: str) -> str:
    """An address as it goes into a header: the domain in IDNA, the local part plain ASCII."""
    local, _at, domain = header_text(address).rpartition("@")
    if not local.isascii():
        raise NotSendable("the address needs SMTPUTF8", OutboxStatus.FAILED)
    return f"{local}@{domain.encode('idna').decode('ascii')}"


# Encoding is pure and a batch repeats the same sender, reply-to and subject thousands of
# times; a bounded cache keeps a long-running worker's memory flat.
@lru_cache(maxsize=1024)
def _mailbox_header(mailbox: tuple[str, str]) -> str:
    """'Åsa Plesner <asa@example.org>' as one RFC 2047 encoded word, or quoted when ASCII."""
    name, address = header_text(mailbox[0]), _ascii_address(mailbox[1])
    if not name:
        return address
    return formataddr((name, address), charset=UTF8)


def _boundary() -> str:
    """A MIME boundary that cannot occur in the parts: quoted-printable writes "=" as "=3D"
    and base64 has no "_". Choosing it here spares the generator a regex per message."""
    return f"=_{secrets.token_hex(12)}"


@lru_cache(maxsize=1024)
def _text_header(text: str) -> str:
    text = header_text(text)
    return text if text.isascii() else Header(text, UTF8).encode(linesep="\r\n")


class SeminarMessage(flask_mail.Message):
    """A Flask-Mail message whose MIME structure and headers this module builds itself.

    Flask-Mail's own builder folds long encoded names into garbage and sends 8-bit bodies;
    the standard library's newer EmailMessage gets names right but spends most of a
    reminder run folding headers. This one RFC 2047-encodes every name and non-ASCII
    subject, keeps bodies 7-bit safe (quoted-printable), puts an image inline next to the
    HTML, and writes CRLF line ends as SMTP wants.
    """

    def __init__(
        self,
        *,
        subject: str,
        sender: tuple[str, str],
        recipient: tuple[str, str],
        reply_to: tuple[str, str] | None,
        text: str,
        html: str,
        message_id: str,
        inline_images: list[tuple[str, bytes]] | None = None,
        calendar_files: list[tuple[str, str, str]] | None = None,
    ):
        # Flask-Mail's constructor is skipped: its make_msgid() looks up this host's name in
        # DNS for every message. These are the attributes its Connection.send reads.
        self.subject = header_text(subject)
        self.sender = _ascii_address(sender[1])
        self.recipients = [_ascii_address(recipient[1])]
        self.reply_to = None
        self.cc, self.bcc, self.attachments = [], [], []
        self.body = text
        self.alts = {"html": html}
        self.date = None
        self.charset = None
        self.extra_headers = None
        self.mail_options, self.rcpt_options = [], []
        self.msgId = message_id
        self.headers = {
            "Subject": _text_header(subject),
            "From": _mailbox_header(sender),
            "To": _mailbox_header(recipient),
        }
        if reply_to is not None:
            self.headers["Reply-To"] = _mailbox_header(reply_to)
        self.inline_images = inline_images or []
        # (file name, iCalendar text, iTIP method: PUBLISH or CANCEL)
        self.calendar_files = calendar_files or []

    def _message(self) -> MIMEMultipart:
        html = MIMEText(self.html, "html", UTF8)
        if self.inline_images:
            related = MIMEMultipart("related", boundary=_boundary())
            related.attach(html)
            for content_id, png in self.inline_images:
                image = MIMEImage(png, "png")
                image.add_header("Content-ID", f"<{content_id}>")
                image.add_header("Content-Disposition", "inline", filename="check-in.png")
                related.attach(image)
            html = related
        alternative = MIMEMultipart("alternative", boundary=_boundary())
        alternative.attach(MIMEText(self.body, "plain", UTF8_READABLE))
        alternative.attach(html)
        message = MIMEMultipart("mixed", boundary=_boundary())
        message.attach(alternative)
        for filename, body, method in self.calendar_files:
            calendar_file = MIMEText(body, "calendar", UTF8)
            calendar_file.set_param("method", method)
            calendar_file.add_header("Content-Disposition", "attachment", filename=filename)
            message.attach(calendar_file)
        for name, value in self.headers.items():
            message[name] = value
        message["Date"] = format_datetime(utcnow())
        message["Message-ID"] = self.msgId
        # Stops out-of-office replies to reminders sent to a whole seminar.
        message["Auto-Submitted"] = "auto-generated"
        return message

    def as_bytes(self) -> bytes:
        buffer = io.BytesIO()
        # Headers are encoded and folded above already: maxheaderlen=0 keeps them as they are.
        BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0, policy=SMTP_COMPAT).flatten(
            self._message()
        )
        return buffer.getvalue()


class TimeoutConnection(flask_mail.Connection):
    """Flask-Mail's connection with a socket timeout on every SMTP operation."""

    def configure_host(self) -> smtplib.SMTP:
        timeout = current_app.config["MAIL_TIMEOUT"]
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=timeout)
        try:
            if self.mail.use_tls:
                host.starttls()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def __exit__(self, exc_type, exc_value, tb) -> None:
        if self.host is None:
            return
        try:
            self.host.quit()
        except (smtplib.SMTPException, OSError):
            # The server went away; everything it accepted is already recorded as sent.
            self.host.close()


def _sender_address() -> str:
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]


def _absolute(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


@contextmanager
def _rendering() -> Iterator[None]:
    """A request context, so url_for and templates work in the worker as in a view."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context("/"):
        yield


@dataclass
class _Rendered:
    row_id: int
    attempts: int
    subject: str
    message: SeminarMessage


class _BatchCache:
    """What every email of a batch shares: a reminder run sends the same calendar file and
    the same formatted times to everyone, so each is made once per batch."""

    def __init__(self) -> None:
        self.calendars: dict[int, str] = {}
        self.formatters: dict[str, dict[str, Callable]] = {}
        self.broadcasts: dict[tuple, tuple[str, str]] = {}

    def calendar_for(self, seminar: Seminar) -> str:
        if seminar.id not in self.calendars:
            url = _absolute("public.seminar", slug=seminar.slug)
            body = calendar.calendar_for([(seminar, url)], current_app.config["BASE_URL"])
            self.calendars[seminar.id] = body.decode()
        return self.calendars[seminar.id]

    def formatters_for(self, language: str) -> dict[str, Callable]:
        """The templates' fmt_* helpers for one language, remembering what they formatted."""
        if language not in self.formatters:
            self.formatters[language] = {
                "fmt_span": cache(lambda start, end: dates.span(start, end, language)),
                "fmt_when": cache(lambda moment: dates.when(moment, language)),
                "fmt_day": cache(lambda moment: dates.day(moment, language)),
                "fmt_clock": cache(lambda moment: dates.clock(moment, language)),
            }
        return self.formatters[language]

    def merged(self, key: tuple, context: dict, personal: dict[str, str]) -> tuple[str, str]:
        """A broadcast email's text and HTML: rendered once per audience with a marker for
        each personal value, then filled in for this recipient (HTML-escaped in the HTML)."""
        if key not in self.broadcasts:
            markers = {name: f"\x1a{name}\x1a" if value else "" for name, value in personal.items()}
            self.broadcasts[key] = _render_parts(
                context["kind"], {**context, **markers, "registration": None}
            )
        text, html = self.broadcasts[key]
        for name, value in personal.items():
            text = text.replace(f"\x1a{name}\x1a", value)
            html = html.replace(f"\x1a{name}\x1a", escape(value))
        return text, html


def _check_sendable(row: OutboxMessage, seminar, registration, now: datetime) -> None:
    if not row.to_email:
        raise NotSendable("no recipient address", OutboxStatus.FAILED)
    if row.kind not in SUBJECTS and row.kind != "message":
        raise NotSendable(f"unknown kind {row.kind!r}", OutboxStatus.FAILED)
    needs_seminar = row.kind not in ("password_reset", "invite", "new_device_login")
    if needs_seminar and seminar is None:
        raise NotSendable("the seminar no longer exists", OutboxStatus.FAILED)
    if row.kind in TIMELY_KINDS:
        if registration is None or registration.status != Status.CONFIRMED:
            raise NotSendable("the registration no longer holds a seat")
        if seminar.status != SeminarStatus.PUBLISHED:
            raise NotSendable("the seminar is no longer published")
        if now >= seminar.starts_at:
            raise NotSendable("the seminar has already started")


def _subject(row: OutboxMessage, seminar: Seminar | None) -> str:
    if row.kind == "message":
        return header_text(row.context.get("subject"))
    title = header_text(seminar.title) if seminar else ""
    return header_text(str(SUBJECTS[row.kind]) % {"title": title})


def _check_in_qr(seminar: Seminar, registration: Registration) -> bytes | None:
    """A QR code of the door check-in URL, when this installation has check-in."""
    if CHECK_IN_ENDPOINT not in current_app.view_functions:
        return None
    url = _absolute(CHECK_IN_ENDPOINT, seminar_id=seminar.id, registration_id=registration.id)
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def _reply_to(seminar: Seminar | None) -> tuple[str, str] | None:
    """Replies go to the seminar's contact person, else to the organisation."""
    if seminar is None:
        return None
    contact_email = seminar.contact_email or seminar.organization.contact_email
    if not contact_email:
        return None
    return (seminar.contact_name or seminar.organization.name, contact_email)


def _answers(seminar: Seminar, registration: Registration) -> tuple[list[tuple[str, str]], bool]:
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


def render(
    row: OutboxMessage, *, now: datetime | None = None, batch: _BatchCache | None = None
) -> SeminarMessage:
    """Build the email for one outbox row, in its recipient's language.

    Needs an app context; raises NotSendable when the email should not go out.
    """
    now = now or utcnow()
    batch = batch or _BatchCache()
    seminar = db.session.get(Seminar, row.seminar_id) if row.seminar_id else None
    registration = (
        db.session.get(Registration, row.registration_id) if row.registration_id else None
    )
    _check_sendable(row, seminar, registration, now)

    language = row.language or "sv"
    with _rendering(), force_locale(language):
        host = urlsplit(current_app.config["BASE_URL"]).hostname or "seminars.invalid"
        has_seat = registration is not None and registration.status == Status.CONFIRMED
        reply_to = _reply_to(seminar)
        context: dict = {
            **batch.formatters_for(language),
            "kind": row.kind,
            "details": row.context or {},
            "seminar": seminar,
            "seminar_url": _absolute("public.seminar", slug=seminar.slug) if seminar else "",
            "sender_name": seminar.organization.name if seminar else _("Seminars"),
            "reply_to_name": header_text(reply_to[0]) if reply_to else "",
            "has_seat": has_seat,
            "is_waiting": registration is not None and registration.status == Status.WAITING,
            "subject": _subject(row, seminar),
            "calendar_attached": False,
            "check_in_cid": "",
        }
        calendar_files: list[tuple[str, str, str]] = []
        if seminar is not None and (
            row.kind in CALENDAR_KINDS or (row.kind in CALENDAR_KINDS_FOR_SEATED and has_seat)
        ):
            method = "CANCEL" if seminar.status == SeminarStatus.CANCELLED else "PUBLISH"
            calendar_files.append((f"{seminar.slug}.ics", batch.calendar_for(seminar), method))
            context["calendar_attached"] = True
        personal = _personal(row, registration)

        inline_images: list[tuple[str, bytes]] = []
        if row.kind in BROADCAST_KINDS:
            key = (
                row.kind,
                language,
                row.seminar_id,
                context["has_seat"],
                context["is_waiting"],
                json.dumps(row.context, sort_keys=True),
                tuple(bool(value) for value in personal.values()),
            )
            text, html = batch.merged(key, context, personal)
        else:
            context.update(personal, registration=registration, position=0, waiting_total=0)
            if registration is not None and registration.status == Status.WAITING:
                context["position"], context["waiting_total"] = signup.waiting_position(
                    registration
                )
            if seminar is not None and registration is not None:
                context["answers"], context["sensitive_answered"] = _answers(seminar, registration)
            if row.kind in ("confirmed", "promoted") and registration is not None:
                qr = _check_in_qr(seminar, registration)
                if qr is not None:
                    context["check_in_cid"] = f"check-in-{registration.id}@{host}"
                    inline_images.append((context["check_in_cid"], qr))
            text, html = _render_parts(row.kind, context)
        return SeminarMessage(
            subject=context["subject"],
            sender=(context["sender_name"], _sender_address()),
            recipient=(row.to_name, row.to_email),
            reply_to=reply_to,
            text=text,
            html=html,
            message_id=make_msgid(domain=host),
            inline_images=inline_images,
            calendar_files=calendar_files,
        )


def _personal(row: OutboxMessage, registration: Registration | None) -> dict[str, str]:
    """What differs between two recipients of the same broadcast: their name and links."""
    values = {"recipient_name": header_text(row.to_name), "manage_url": ""}
    if row.kind == "attendance_check":
        values.update(yes_url="", no_url="")
    if registration is not None and registration.anonymised_at is None:
        token = signup.manage_token(registration)
        values["manage_url"] = _absolute("public.manage", token=token)
        if row.kind == "attendance_check":
            values["yes_url"] = _absolute("attendance.answer", token=token, answer="yes")
            values["no_url"] = _absolute("attendance.answer", token=token, answer="no")
    return values


def _render_parts(kind: str, context: dict) -> tuple[str, str]:
    text = _tidy(render_template(f"email/{kind}.txt", **context))
    return text, render_template(f"email/{kind}.html", **context)


def _tidy(text: str) -> str:
    """Plain-text templates stay readable; the blank lines their tags leave are dropped."""
    return re.sub(r"\n{3,}", "\n\n", text.replace("\r\n", "\n")).strip() + "\n"


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … up to an hour between tries."""
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_LONGEST)


def release_stale_claims(now: datetime) -> int:
    """Put rows claimed by a worker that stopped mid-batch back in line."""
    return db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at < now - STALE_CLAIM,
        )
        .values(status=OutboxStatus.PENDING, claimed_at=None),
        execution_options={"synchronize_session": False},
    ).rowcount


def claim_batch(now: datetime, limit: int) -> list[int]:
    """Mark up to `limit` due rows as being sent by this worker; returns their ids.

    The rows are chosen and locked first, then marked, in one transaction. On PostgreSQL,
    rows another worker is claiming at this moment are skipped rather than waited for; SQLite
    transactions are serialised (BEGIN IMMEDIATE), which does the same. (One statement,
    UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED), can claim more than n
    rows on PostgreSQL: the planner may run the subquery more than once.)
    """
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    row_ids = list(db.session.scalars(due))
    if not row_ids:
        return []
    outbox = OutboxMessage.__table__
    db.session.execute(
        update(outbox)
        .where(outbox.c.id.in_(row_ids))
        .values(status=OutboxStatus.SENDING, claimed_at=utcnow())
    )
    return sorted(row_ids)


@contextmanager
def _marking() -> Iterator[Connection]:
    """The connection a batch records each row's outcome on, one commit per row.

    Held for the whole batch (no pool checkout per mail). On PostgreSQL each UPDATE commits
    by itself (autocommit: one round trip a mail) and does not wait for its WAL flush: only
    a crash of the database server can lose such a commit, and then the mail is sent again,
    as when a worker dies between the server's accept and the commit.
    """
    with db.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            yield connection
            return
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        _session_setting(connection, "SET synchronous_commit = off")
        try:
            yield connection
        finally:
            if not connection.invalidated:
                _session_setting(connection, "RESET synchronous_commit")


def _session_setting(connection: Connection, statement: str) -> None:
    with connection.begin():  # a no-op transaction in autocommit; it closes SQLAlchemy's own
        connection.exec_driver_sql(statement)


def _set(marks: Connection, row_id: int, **values) -> None:
    """Record one row's outcome, committed at once."""
    outbox = OutboxMessage.__table__
    with marks.begin():
        marks.execute(update(outbox).where(outbox.c.id == row_id).values(**values))


def _record_failure(
    marks: Connection,
    report: DeliveryReport,
    row_id: int,
    attempts: int,
    error: BaseException,
    now: datetime,
    *,
    transport: bool,
) -> None:
    """One more failed try, recorded and counted. Only a message the server itself refuses
    can end up failed: an unreachable server delays mail, never drops it."""
    attempts += 1
    gave_up = not transport and attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    status = OutboxStatus.FAILED if gave_up else OutboxStatus.PENDING
    _set(
        marks,
        row_id,
        status=status,
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}"[:1000],
        next_attempt_at=now + retry_delay(attempts),
        claimed_at=None,
    )
    _count(report, status)


def _connection_lost(error: BaseException) -> bool:
    """Whether the server went away (or timed out), as opposed to refusing this one message.

    smtplib's errors are OSErrors too, so the order of these checks matters.
    """
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421  # "service not available, closing channel"
    return not isinstance(error, smtplib.SMTPException)


def _count(report: DeliveryReport, status: OutboxStatus) -> None:
    if status == OutboxStatus.FAILED:
        report.failed += 1
    elif status == OutboxStatus.MISSED:
        report.missed += 1
    else:
        report.retrying += 1


def _render_batch(
    row_ids: list[int], now: datetime, report: DeliveryReport, marks: Connection
) -> list[_Rendered]:
    database.begin_for_reading()  # rendering a batch takes a while: signups must not wait
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(row_ids)).order_by(OutboxMessage.id)
    ).all()
    snapshots = [(row.id, row.attempts) for row in rows]
    # Load everyone the batch is about in two queries instead of two per row; the session's
    # identity map holds objects only while something refers to them, hence the list.
    preloaded = [
        *db.session.scalars(
            select(Registration).where(
                Registration.id.in_({row.registration_id for row in rows if row.registration_id})
            )
        ),
        *db.session.scalars(
            select(Seminar).where(
                Seminar.id.in_({row.seminar_id for row in rows if row.seminar_id})
            )
        ),
    ]
    batch = _BatchCache()
    ready, outcomes = [], []
    with _rendering():
        for row, (row_id, attempts) in zip(rows, snapshots, strict=True):
            try:
                message = render(row, now=now, batch=batch)
            except NotSendable as reason:
                outcomes.append((row_id, attempts, reason))
                continue
            except Exception as error:  # a template or data problem: retried, then failed
                current_app.logger.exception("rendering outbox row %s failed", row_id)
                outcomes.append((row_id, attempts, error))
                continue
            ready.append(_Rendered(row_id, attempts, message.subject, message))
    del preloaded
    # End the read before any SMTP traffic: on SQLite nobody waits for it, and no
    # transaction is open while a mail server takes its time.
    db.session.commit()
    for row_id, attempts, problem in outcomes:
        if isinstance(problem, NotSendable):
            _set(marks, row_id, status=problem.status, last_error=str(problem), claimed_at=None)
            _count(report, problem.status)
        else:
            _record_failure(marks, report, row_id, attempts, problem, now, transport=False)
    return ready


def deliver_pending(
    *, now: datetime | None = None, batch_size: int | None = None
) -> DeliveryReport:
    """Send one batch of due outbox rows; returns what happened to them."""
    now = now or utcnow()
    report = DeliveryReport()
    release_stale_claims(now)
    row_ids = claim_batch(now, batch_size or current_app.config["OUTBOX_BATCH_SIZE"])
    db.session.commit()  # the claim is ours before the first SMTP byte
    report.claimed = len(row_ids)
    if not row_ids:
        return report
    with _marking() as marks:
        ready = _render_batch(row_ids, now, report, marks)
        if ready:
            _send_batch(ready, now, report, marks)
    return report


def _send_batch(
    ready: list[_Rendered], now: datetime, report: DeliveryReport, marks: Connection
) -> None:
    """Send over one SMTP connection; each row is marked as soon as the server answered."""
    mail_state = current_app.extensions["mail"]
    try:
        connection = TimeoutConnection(mail_state).__enter__()
    except (smtplib.SMTPException, OSError) as error:
        for rendered in ready:
            _record_failure(
                marks, report, rendered.row_id, rendered.attempts, error, now, transport=True
            )
        return

    try:
        for index, rendered in enumerate(ready):
            try:
                connection.send(rendered.message)
            except (smtplib.SMTPException, OSError) as error:
                if not _connection_lost(error):
                    _record_failure(
                        marks,
                        report,
                        rendered.row_id,
                        rendered.attempts,
                        error,
                        now,
                        transport=False,
                    )
                    continue
                if connection.host is not None:
                    connection.host.close()
                    connection.host = None
                _record_failure(
                    marks, report, rendered.row_id, rendered.attempts, error, now, transport=True
                )
                # The connection is gone: the rest of the batch waits for the next pass.
                for untried in ready[index + 1 :]:
                    _set(marks, untried.row_id, status=OutboxStatus.PENDING, claimed_at=None)
                    report.retrying += 1
                break
            _set(
                marks,
                rendered.row_id,
                status=OutboxStatus.SENT,
                sent_at=utcnow(),
                subject=rendered.subject[:300],
                last_error="",
                claimed_at=None,
            )
            report.sent += 1
    finally:
        connection.__exit__(None, None, None)
