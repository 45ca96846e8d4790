"""Typed models: organisations, seminars with their program, registrations and the outbox.

Every timestamp is stored as naive UTC (SQLite has no time zones) and handed to Python as an
aware UTC datetime by `UTCDateTime`; local time exists only in forms and templates.
"""

from seminars.models.auth import (
    AccountEvent,
    Invite,
    LoginSession,
    Passkey,
    RecoveryCode,
    SsoDomain,
    SsoIdentity,
    SsoProvider,
    TotpFactor,
)
from seminars.models.integrations import (
    ApiToken,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from seminars.models.organisations import (
    MANAGING_ROLES,
    Organization,
    Organizer,
    Role,
    door_helper_seminars,
    organizer_memberships,
)
from seminars.models.outbox import OutboxMessage, OutboxStatus
from seminars.models.records import AuditEvent, PurgeRun
from seminars.models.registrations import STATUS_FILTERS, Registration, Status
from seminars.models.seminars import (
    DetailsIn,
    ProgramItem,
    Question,
    QuestionKind,
    Seminar,
    SeminarMode,
    SeminarStatus,
    Speaker,
    online_seats_left,
    registration_phase,
    seats_left,
    seminar_cohosts,
)
from seminars.models.sessions import ChoiceState, SeminarSession, SessionChoice, SessionGroup
from seminars.models.types import UTCDateTime, utcnow

__all__ = [
    "ApiToken",
    "DeliveryStatus",
    "WebhookDelivery",
    "WebhookEndpoint",
    "MANAGING_ROLES",
    "STATUS_FILTERS",
    "AccountEvent",
    "AuditEvent",
    "DetailsIn",
    "ChoiceState",
    "Invite",
    "LoginSession",
    "Passkey",
    "RecoveryCode",
    "Role",
    "SsoDomain",
    "SsoIdentity",
    "SsoProvider",
    "TotpFactor",
    "door_helper_seminars",
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
    "SeminarMode",
    "SeminarSession",
    "SessionChoice",
    "SessionGroup",
    "SeminarStatus",
    "Speaker",
    "Status",
    "UTCDateTime",
    "online_seats_left",
    "organizer_memberships",
    "registration_phase",
    "seats_left",
    "seminar_cohosts",
    "utcnow",
]
