"""One outbox row becomes one `Email`, in its recipient's language.

Rendering happens just before sending, so the attendee's manage-link token never sits in the
database. A `Batch` holds what the emails of one worker pass share: a reminder run sends the
same calendar file, the same formatted times and the same broadcast text to everyone.
"""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale

from seminars.extensions import db
from seminars.mail import attachments, body, bounces, context
from seminars.mail.message import Email, InlineImage
from seminars.models import (
    OutboxMessage,
    OutboxStatus,
    Registration,
    Seminar,
    SeminarStatus,
    Status,
    utcnow,
)

# Kinds whose moment passes: sending them after the seminar began, or to someone no longer
# holding a seat, would only confuse.
TIMELY_KINDS = {"reminder", "attendance_check"}


class NotSendable(Exception):
    """The email's moment has passed (recorded as missed), or it has no recipient."""

    def __init__(self, reason: str, status: OutboxStatus = OutboxStatus.MISSED):
        super().__init__(reason)
        self.status = status


class Batch:
    """What the emails of a worker pass share, each made once: a reminder run sends the
    same calendar file, the same formatted times and the same broadcast text to everyone.

    What depends on a seminar is kept under its content version and sequence (raised with
    every change of what it says, `seminars/content_versions.py`), so a seminar edited
    while its reminders go out is rendered afresh from the next email on.
    """

    def __init__(self) -> None:
        self.calendars: dict[tuple, str] = {}
        self.formatters: dict[str, dict] = {}
        self.broadcasts: dict[tuple, tuple[str, str]] = {}
        self.audiences: dict[tuple, dict] = {}
        self.logos: dict[int, InlineImage | None] = {}
        self.links = context.Links()
        self.sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
        self.host = urlsplit(current_app.config["BASE_URL"]).hostname or "seminars.invalid"

    def calendar_for(self, seminar: Seminar, joining_link: str = "") -> str:
        key = (_version(seminar), joining_link)
        if key not in self.calendars:
            self.calendars[key] = attachments.calendar_text(seminar, joining_link)
        return self.calendars[key]

    def logo_for(self, seminar: Seminar | None) -> InlineImage | None:
        """The organisation's PNG logo to show inline (most mail programs show no SVG)."""
        organization = seminar.organization if seminar else None
        if organization is None or organization.logo_type != "image/png":
            return None
        if organization.id not in self.logos:
            content_id = f"logo-{organization.id}-{organization.logo_version}@{self.host}"
            self.logos[organization.id] = InlineImage(content_id, organization.logo, "logo.png")
        return self.logos[organization.id]

    def formatters_for(self, language: str) -> dict:
        if language not in self.formatters:
            self.formatters[language] = context.formatters(language)
        return self.formatters[language]

    def shared(
        self,
        audience: tuple,
        row: OutboxMessage,
        seminar: Seminar | None,
        registration: Registration | None,
    ) -> dict:
        """What the templates see that is the same for everyone of the row's audience."""
        if audience not in self.audiences:
            with force_locale(row.language or "sv"):
                values = {
                    **self.formatters_for(row.language or "sv"),
                    **context.shared(row, seminar, registration),
                }
                logo = self.logo_for(seminar)
                if logo is not None:
                    values["brand_logo_cid"] = logo.content_id
            if attachments.wants_calendar(row.kind, seminar, values["has_seat"]):
                values["calendar_file"] = attachments.calendar_file(
                    seminar, self.calendar_for(seminar, attachments.joining_link(values))
                )
                values["calendar_attached"] = True
            self.audiences[audience] = values
        return self.audiences[audience]

    def broadcast(self, key: tuple, shared: dict, personal: dict[str, str]) -> tuple[str, str]:
        """A broadcast email's text and HTML for one recipient: rendered once per audience."""
        if key not in self.broadcasts:
            values = {**shared, **body.with_markers(personal), "registration": None}
            with force_locale(shared["language"]):
                self.broadcasts[key] = body.render_parts(shared["kind"], values)
        return body.fill_in(self.broadcasts[key], personal)


def _version(seminar: Seminar) -> tuple:
    return (seminar.id, seminar.content_version, seminar.sequence, str(seminar.status))


def _check_recipient(row: OutboxMessage, seminar: Seminar | None) -> None:
    if not row.to_email:
        raise NotSendable("no recipient address", OutboxStatus.FAILED)
    if row.kind not in context.SUBJECTS and row.kind != "message":
        raise NotSendable(f"unknown kind {row.kind!r}", OutboxStatus.FAILED)
    if row.kind not in context.ACCOUNT_KINDS and seminar is None:
        raise NotSendable("the seminar no longer exists", OutboxStatus.FAILED)


def _check_timely(
    row: OutboxMessage, seminar: Seminar, registration: Registration | None, now: datetime
) -> None:
    if row.kind not in TIMELY_KINDS:
        return
    if registration is None or registration.status != Status.CONFIRMED:
        raise NotSendable("the registration no longer holds a seat")
    if seminar.status != SeminarStatus.PUBLISHED:
        raise NotSendable("the seminar is no longer published")
    if now >= seminar.starts_at:
        raise NotSendable("the seminar has already started")


def _audience(
    row: OutboxMessage, seminar: Seminar | None, registration: Registration | None
) -> tuple:
    """Recipients with equal audiences read the same email apart from their name and links."""
    return (
        row.kind,
        row.language or "sv",
        _version(seminar) if seminar is not None else None,
        registration is not None and registration.status == Status.CONFIRMED,
        registration is not None and registration.status == Status.WAITING,
        registration is not None and registration.online,
        json.dumps(row.context, sort_keys=True),
    )


def render(row: OutboxMessage, *, now: datetime | None = None, batch: Batch | None = None) -> Email:
    """Build the email for one outbox row, in its recipient's language.

    Needs an app context; raises NotSendable when the email should not go out.
    """
    seminar = db.session.get(Seminar, row.seminar_id) if row.seminar_id else None
    registration = (
        db.session.get(Registration, row.registration_id) if row.registration_id else None
    )
    return render_loaded(row, seminar, registration, now=now, batch=batch)


def render_loaded(
    row: OutboxMessage,
    seminar: Seminar | None,
    registration: Registration | None,
    *,
    now: datetime | None = None,
    batch: Batch | None = None,
) -> Email:
    """`render`, given the row's seminar and registration (None when it has none)."""
    batch = batch or Batch()
    _check_recipient(row, seminar)
    _check_timely(row, seminar, registration, now or utcnow())
    with context.rendering():
        return _compose(row, seminar, registration, batch)


def _compose(
    row: OutboxMessage, seminar: Seminar | None, registration: Registration | None, batch: Batch
) -> Email:
    host = batch.host
    audience = _audience(row, seminar, registration)
    values = batch.shared(audience, row, seminar, registration)
    email = Email(
        subject=values["subject"],
        sender=(values["sender_name"], batch.sender),
        recipient=(row.to_name, row.to_email),
        reply_to=values["reply_to"],
        text="",
        html="",
        message_id=bounces.message_id(row.id, host),
    )
    if "calendar_file" in values:
        email.calendar_files.append(values["calendar_file"])
    if values["brand_logo_cid"]:
        email.inline_images.append(batch.logo_for(seminar))
    personal = context.personal(row, registration, batch.links)
    if row.kind in body.BROADCAST_KINDS:
        key = (*audience, tuple(bool(value) for value in personal.values()))
        email.text, email.html = batch.broadcast(key, values, personal)
        return email
    values = dict(values)
    image = attachments.check_in_image(row, seminar, registration, host)
    if image is not None:
        email.inline_images.append(image)
        values["check_in_cid"] = image.content_id
    values.update(personal, **context.about_registration(seminar, registration))
    with force_locale(row.language or "sv"):
        email.text, email.html = body.render_parts(row.kind, values)
    return email
