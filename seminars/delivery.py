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
import re
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import urlsplit

import flask_mail
import segno
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from . import calendar
from . import registration as signups
from .extensions import db
from .models import (
    OutboxMessage,
    OutboxStatus,
    Registration,
    Seminar,
    SeminarStatus,
    Status,
    utcnow,
)

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
}
# Kinds that carry the seminar as a calendar file; the last two only to people with a seat.
CALENDAR_KINDS = {"confirmed", "promoted", "reminder"}
CALENDAR_KINDS_FOR_SEATED = {"seminar_changed", "seminar_cancelled"}
# Kinds whose moment passes: sending them after the seminar began, or to someone no longer
# holding a seat, would only confuse.
TIMELY_KINDS = {"reminder", "attendance_check"}

_UNSAFE_IN_HEADER = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(value: str | None) -> str:
    """User-typed text made safe for a header: no CR, LF or other control characters."""
    return " ".join(_UNSAFE_IN_HEADER.sub(" ", value or "").split())


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


class SeminarMessage(flask_mail.Message):
    """A Flask-Mail message built with the standard library's modern email API.

    Flask-Mail's own builder folds long encoded names badly and sends 8-bit bodies; this one
    RFC 2047-encodes every name, keeps bodies 7-bit safe, and can put an image inline.
    """

    def __init__(
        self,
        *,
        subject: str,
        sender: Address,
        recipient: Address,
        reply_to: Address | None,
        text: str,
        html: str,
        message_id: str,
        inline_images: list[tuple[str, bytes]] | None = None,
        attachments: list[tuple[str, str, str]] | None = None,
    ):
        super().__init__(
            subject=subject,
            recipients=[recipient.addr_spec],
            sender=sender.addr_spec,
            body=text,
            html=html,
        )
        self.msgId = message_id
        self.sender_address = sender
        self.recipient_address = recipient
        self.reply_to_address = reply_to
        self.inline_images = inline_images or []
        # (filename, text, content-type parameters "subtype; method=..." split below)
        self.text_attachments = attachments or []

    def _message(self) -> EmailMessage:
        message = EmailMessage(policy=SMTP)
        message["Subject"] = self.subject
        message["From"] = self.sender_address
        message["To"] = self.recipient_address
        if self.reply_to_address is not None:
            message["Reply-To"] = self.reply_to_address
        message["Date"] = format_datetime(utcnow())
        message["Message-ID"] = self.msgId
        # Stops out-of-office replies to reminders sent to a whole seminar.
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(self.body, cte="quoted-printable")
        message.add_alternative(self.html, subtype="html", cte="quoted-printable")
        html_part = message.get_payload()[1]
        for content_id, png in self.inline_images:
            html_part.add_related(png, "image", "png", cid=f"<{content_id}>", disposition="inline")
        for filename, body, method in self.text_attachments:
            message.add_attachment(
                body,
                subtype="calendar",
                cte="quoted-printable",
                filename=filename,
                params={"method": method},
            )
        return message


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
    with current_app.test_request_context("/"):
        yield


@dataclass
class _Rendered:
    row_id: int
    attempts: int
    subject: str
    message: SeminarMessage


@dataclass
class _Calendars:
    """One .ics per seminar per batch: a reminder run sends the same file to everyone."""

    files: dict[int, str] = field(default_factory=dict)

    def for_seminar(self, seminar: Seminar) -> str:
        if seminar.id not in self.files:
            url = _absolute("public.seminar", slug=seminar.slug)
            body = calendar.calendar_for([(seminar, url)], current_app.config["BASE_URL"])
            self.files[seminar.id] = body.decode()
        return self.files[seminar.id]


def _check_sendable(row: OutboxMessage, seminar, registration, now: datetime) -> None:
    if not row.to_email:
        raise NotSendable("no recipient address", OutboxStatus.FAILED)
    if row.kind not in SUBJECTS and row.kind != "message":
        raise NotSendable(f"unknown kind {row.kind!r}", OutboxStatus.FAILED)
    needs_seminar = row.kind != "password_reset"
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


def _reply_to(seminar: Seminar | None) -> Address | None:
    """Replies go to the seminar's contact person, else to the organisation."""
    if seminar is None:
        return None
    contact_email = seminar.contact_email or seminar.organization.contact_email
    if not contact_email:
        return None
    return Address(
        display_name=header_text(seminar.contact_name or seminar.organization.name),
        addr_spec=header_text(contact_email),
    )


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


def render(row: OutboxMessage, *, now: datetime | None = None, calendars=None) -> SeminarMessage:
    """Build the email for one outbox row, in its recipient's language.

    Needs an app context; raises NotSendable when the email should not go out.
    """
    now = now or utcnow()
    calendars = calendars or _Calendars()
    seminar = db.session.get(Seminar, row.seminar_id) if row.seminar_id else None
    registration = (
        db.session.get(Registration, row.registration_id) if row.registration_id else None
    )
    _check_sendable(row, seminar, registration, now)

    with _rendering(), force_locale(row.language or "sv"):
        context: dict = {
            "kind": row.kind,
            "details": row.context or {},
            "recipient_name": header_text(row.to_name),
            "seminar": seminar,
            "registration": registration,
            "has_seat": registration is not None and registration.status == Status.CONFIRMED,
            "manage_url": "",
            "seminar_url": "",
            "position": 0,
            "waiting_total": 0,
            "check_in_cid": "",
            "calendar_attached": False,
            "answers": [],
            "sensitive_answered": False,
        }
        host = urlsplit(current_app.config["BASE_URL"]).hostname or "seminars.invalid"
        inline_images: list[tuple[str, bytes]] = []
        attachments: list[tuple[str, str, str]] = []
        if seminar is not None:
            context["seminar_url"] = _absolute("public.seminar", slug=seminar.slug)
            context["sender_name"] = seminar.organization.name
        else:
            context["sender_name"] = _("Seminars")
        if registration is not None and registration.anonymised_at is None:
            token = signups.manage_token(registration)
            context["manage_url"] = _absolute("public.manage", token=token)
            if row.kind == "attendance_check":
                context["yes_url"] = _absolute("attendance.answer", token=token, answer="yes")
                context["no_url"] = _absolute("attendance.answer", token=token, answer="no")
            if registration.status == Status.WAITING:
                position, total = signups.waiting_position(registration)
                context["position"], context["waiting_total"] = position, total
        if seminar is not None and (
            row.kind in CALENDAR_KINDS
            or (row.kind in CALENDAR_KINDS_FOR_SEATED and context["has_seat"])
        ):
            ics = calendars.for_seminar(seminar)
            method = "CANCEL" if seminar.status == SeminarStatus.CANCELLED else "PUBLISH"
            attachments.append((f"{seminar.slug}.ics", ics, method))
            context["calendar_attached"] = True
        if row.kind in ("confirmed", "promoted") and registration is not None:
            qr = _check_in_qr(seminar, registration)
            if qr is not None:
                context["check_in_cid"] = f"check-in-{registration.id}@{host}"
                inline_images.append((context["check_in_cid"], qr))

        if seminar is not None and registration is not None:
            context["answers"], context["sensitive_answered"] = _answers(seminar, registration)
        reply_to = _reply_to(seminar)
        context["reply_to_name"] = reply_to.display_name if reply_to else ""
        subject = _subject(row, seminar)
        context["subject"] = subject
        text = _tidy(render_template(f"email/{row.kind}.txt", **context))
        html = render_template(f"email/{row.kind}.html", **context)
        return SeminarMessage(
            subject=subject,
            sender=Address(
                display_name=header_text(context["sender_name"]), addr_spec=_sender_address()
            ),
            recipient=Address(
                display_name=header_text(row.to_name), addr_spec=header_text(row.to_email)
            ),
            reply_to=reply_to,
            text=text,
            html=html,
            message_id=make_msgid(domain=host),
            inline_images=inline_images,
            attachments=attachments,
        )


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

    On PostgreSQL, rows another worker is claiming at this moment are skipped rather than
    waited for; SQLite transactions are serialised (BEGIN IMMEDIATE), which does the same.
    """
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, claimed_at=utcnow())
        .returning(OutboxMessage.id),
        execution_options={"synchronize_session": False},
    )
    return sorted(claimed.scalars())


def _set(row_id: int, **values) -> None:
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()


def _record_failure(
    row_id: int, attempts: int, error: BaseException, now: datetime, *, transport: bool
) -> OutboxStatus:
    """One more failed try. Only a message the server itself refuses can end up failed:
    an unreachable server delays mail, never drops it."""
    attempts += 1
    gave_up = not transport and attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    status = OutboxStatus.FAILED if gave_up else OutboxStatus.PENDING
    _set(
        row_id,
        status=status,
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}"[:1000],
        next_attempt_at=now + retry_delay(attempts),
        claimed_at=None,
    )
    return status


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


def _render_batch(row_ids: list[int], now: datetime, report: DeliveryReport) -> list[_Rendered]:
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
    calendars = _Calendars()
    ready, outcomes = [], []
    for row, (row_id, attempts) in zip(rows, snapshots, strict=True):
        try:
            message = render(row, now=now, calendars=calendars)
        except NotSendable as reason:
            outcomes.append((row_id, attempts, reason))
            continue
        except Exception as error:  # a template or data problem: retried, then failed
            current_app.logger.exception("rendering outbox row %s failed", row_id)
            outcomes.append((row_id, attempts, error))
            continue
        ready.append(_Rendered(row_id, attempts, message.subject, message))
    del preloaded
    for row_id, attempts, problem in outcomes:
        if isinstance(problem, NotSendable):
            _set(row_id, status=problem.status, last_error=str(problem), claimed_at=None)
            _count(report, problem.status)
        else:
            _count(report, _record_failure(row_id, attempts, problem, now, transport=False))
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

    ready = _render_batch(row_ids, now, report)
    if not ready:
        return report
    mail_state = current_app.extensions["mail"]
    try:
        connection = TimeoutConnection(mail_state).__enter__()
    except (smtplib.SMTPException, OSError) as error:
        for rendered in ready:
            _count(
                report,
                _record_failure(rendered.row_id, rendered.attempts, error, now, transport=True),
            )
        return report

    try:
        for index, rendered in enumerate(ready):
            try:
                connection.send(rendered.message)
            except (smtplib.SMTPException, OSError) as error:
                if not _connection_lost(error):
                    _count(
                        report,
                        _record_failure(
                            rendered.row_id, rendered.attempts, error, now, transport=False
                        ),
                    )
                    continue
                if connection.host is not None:
                    connection.host.close()
                    connection.host = None
                _count(
                    report,
                    _record_failure(rendered.row_id, rendered.attempts, error, now, transport=True),
                )
                # The connection is gone: the rest of the batch waits for the next pass.
                for untried in ready[index + 1 :]:
                    _set(untried.row_id, status=OutboxStatus.PENDING, claimed_at=None)
                    report.retrying += 1
                break
            _set(
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
    return report
