"""Typed models: organisations, seminars with their program, registrations and the outbox.

Every timestamp is stored as naive UTC (SQLite has no time zones) and handed to Python as an
aware UTC datetime by `UTCDateTime`; local time exists only in forms and templates.
"""

from seminars.models.organisations import Organization, Organizer, organizer_memberships
from seminars.models.outbox import OutboxMessage, OutboxStatus
from seminars.models.records import AuditEvent, PurgeRun
from seminars.models.registrations import STATUS_FILTERS, Registration, Status
from seminars.models.seminars import (
    ProgramItem,
    Question,
    QuestionKind,
    Seminar,
    SeminarStatus,
    Speaker,
    registration_phase,
    seats_left,
    seminar_cohosts,
)
from seminars.models.types import UTCDateTime, utcnow

__all__ = [
    "STATUS_FILTERS",
    "AuditEvent",
    "Organization",
    "Organizer",
    "OutboxMessage",
    "OutboxStatus",
    "ProgramItem",
    "PurgeRun",
    "Question",
    "QuestionKind",
    "Registration",
    "Seminar",
    "SeminarStatus",
    "Speaker",
    "Status",
    "UTCDateTime",
    "organizer_memberships",
    "registration_phase",
    "seats_left",
    "seminar_cohosts",
    "utcnow",
]
