"""What the organiser's pages call things: emails by the names people use for them, their
delivery in words, and the actions of the audit log. Internal names (`seminar_changed`,
`pending`, `starts_at`) never show: anything without a label here gets a general word.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from seminars import dates
from seminars.models import OutboxMessage, OutboxStatus, Status

STATUS_LABELS = {
    Status.CONFIRMED: _l("Confirmed"),
    Status.WAITING: _l("Waiting list"),
    Status.CANCELLED: _l("Registration cancelled"),
}
AUDIENCE_LABELS = {
    "confirmed": _l("Everyone with a seat"),
    "waiting": _l("Everyone on the waiting list"),
    "checked_in": _l("Everyone checked in"),
    "everyone": _l("Everyone with a seat or on the waiting list"),
}
# Every kind of email the app sends (tests/test_logs.py holds this to mail/context.SUBJECTS).
KIND_LABELS = {
    "confirmed": _l("Confirmation"),
    "waiting": _l("On the waiting list"),
    "promoted": _l("Seat from the waiting list"),
    "mode_changed": _l("Changed how they take part"),
    "cancelled": _l("Cancellation"),
    "manage_link": _l("Link to the registration"),
    "answers_changed": _l("Changed details"),
    "seminar_changed": _l("New time or place"),
    "seminar_cancelled": _l("The seminar is cancelled"),
    "reminder": _l("Reminder"),
    "attendance_check": _l("Are you still coming?"),
    "address_changed": _l("New email address"),
    "address_changed_notice": _l("Notice to the old email address"),
    "password_reset": _l("New password"),
    "invite": _l("Invitation to organise seminars"),
    "new_device_login": _l("New login to the account"),
    "webhook_disabled": _l("Webhook turned off"),
    "message": _l("Message"),
    "session_seat": _l("Seat in a session"),
    "session_removed": _l("A session removed"),
}
OUTBOX_STATUS_LABELS = {
    OutboxStatus.PENDING: _l("Waiting to be sent"),
    OutboxStatus.SENDING: _l("Being sent"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Failed"),
    OutboxStatus.MISSED: _l("Not sent (too late)"),
    OutboxStatus.FOLDED: _l("Included in the email about the seat"),
}
ACTION_LABELS = {
    "created": _l("Created the seminar"),
    "edited": _l("Edited the seminar"),
    "duplicated": _l("Duplicated the seminar"),
    "published": _l("Published the seminar"),
    "unpublished": _l("Unpublished the seminar"),
    "cancelled": _l("Cancelled the seminar"),
    "exported": _l("Exported the attendee list"),
    "added": _l("Added a person"),
    "sessions_edited": _l("Changed the parallel sessions"),
    "sessions_removed": _l("Removed a time slot with sessions"),
    "edited_registration": _l("Changed a person's details"),
    "changed_email": _l("Corrected a person's email address"),
    "changed_own_email": _l("The person changed their own email address"),
    "cancelled_registration": _l("Cancelled a registration"),
    "moved_up": _l("Moved a person from the waiting list to a seat"),
    "imported": _l("Imported people"),
    "checked_in": _l("Checked a person in"),
    "check_in_undone": _l("Undid a check-in"),
    "messaged": _l("Sent a message"),
    "resent": _l("Sent a failed email again"),
    "embed_origins_changed": _l("Changed the websites that may embed the signup"),
    "branding_changed": _l("Changed the logo or colour"),
    "api_signup": _l("Signed a person up through the API"),
    "api_cancelled": _l("Cancelled a registration through the API"),
    "api_token_created": _l("Made an API token"),
    "api_token_revoked": _l("Revoked an API token"),
    "health_sharing_changed": _l("Changed whether answers about health go to your systems"),
    "webhook_added": _l("Added a webhook"),
    "webhook_changed": _l("Changed a webhook"),
    "webhook_enabled": _l("Turned a webhook on"),
    "webhook_disabled": _l("Turned a webhook off"),
    "webhook_removed": _l("Removed a webhook"),
    "webhook_tested": _l("Sent a test event to a webhook"),
}
# The seminar's fields as the editor names them, for "what changed" in the audit log.
FIELD_LABELS = {
    "title": _l("Title"),
    "subtitle": _l("Subtitle"),
    "slug": _l("Web address"),
    "organization_id": _l("Host organisation"),
    "cohosts": _l("Co-hosting organisations"),
    "description": _l("Description"),
    "starts_at": _l("Start"),
    "ends_at": _l("End"),
    "venue_name": _l("Venue"),
    "venue_address": _l("Address"),
    "online_info": _l("Online participation"),
    "capacity": _l("Seats"),
    "waitlist_enabled": _l("Waiting list"),
    "registration_opens_at": _l("Registration opens"),
    "registration_closes_at": _l("Registration closes"),
    "contact_name": _l("Contact person"),
    "contact_email": _l("Contact email"),
    "program": _l("Program"),
    "speakers": _l("Speakers"),
    "questions": _l("Questions"),
    "reminder_offsets": _l("Reminders"),
    "attendance_check_days": _l("“Are you still coming?”"),
}
# Exports as the audit log tells them: "Exported name badges (confirmed, 8 per A4)".
EXPORT_LABELS = {
    "csv": _l("Exported the attendee list as CSV"),
    "xlsx": _l("Exported the attendee list as Excel"),
    "list": _l("Printed the sign-in list"),
    "badges": _l("Exported name badges"),
    "catering": _l("Opened the catering summary"),
}
WHO_WORDS = {
    "confirmed": _l("confirmed"),
    "waiting": _l("on the waiting list"),
    "cancelled": _l("cancelled registrations"),
    "all": _l("everyone"),
}
SEPARATOR_WORDS = {"semicolon": _l("semicolon-separated"), "comma": _l("comma-separated")}
SORT_WORDS = {"surname": _l("by surname"), "organisation": _l("by organisation")}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind) or _("Email"))


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action) or _("Other change"))


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name) or _("other details"))


def delivery(email: OutboxMessage, stamp) -> str:
    """Where an email is, in words, with the time that matters: when it was sent, or when
    it is tried again. `stamp` formats a time as the page does."""
    if email.status == OutboxStatus.SENT:
        return _("Sent %(when)s", when=stamp(email.sent_at))
    if email.status == OutboxStatus.PENDING and email.attempts:
        return ngettext(
            "Trying again %(when)s, after %(num)d failed attempt",
            "Trying again %(when)s, after %(num)d failed attempts",
            email.attempts,
            when=stamp(email.next_attempt_at),
        )
    if email.status == OutboxStatus.FAILED:
        return ngettext(
            "Failed after %(num)d attempt", "Failed after %(num)d attempts", email.attempts
        )
    return str(OUTBOX_STATUS_LABELS.get(email.status) or _("Waiting to be sent"))


def value_text(name: str, value, language: str) -> str:
    """An old or new value of a changed field, as the editor showed it."""
    if value is None or value == "":
        return _("(empty)")
    if name.endswith("_at") and isinstance(value, str):
        return dates.when(datetime.fromisoformat(value), language)
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"
