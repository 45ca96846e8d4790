"""The JSON API's resources and inputs as pydantic models. The OpenAPI description is
generated from them (openapi.py), and every response is built through them, so what the
API sends is what the description says. Webhook payloads carry the same resources."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

MAX_ID = 2**31 - 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Seats(BaseModel):
    """Seats of one participation mode (onsite, online)."""

    mode: Literal["onsite", "online"] = Field(
        description="How people take part: `onsite` or `online` (a hybrid seminar has both)."
    )
    capacity: int | None = Field(description="Seats in all; null when unlimited.")
    seated: int = Field(description="Confirmed registrations.")
    waiting: int = Field(description="Registrations on this mode's waiting list.")
    seats_left: int | None = Field(description="Seats free now; null when unlimited.")


class Session(BaseModel):
    """One of a seminar's parallel sessions (e.g. workshop A or B at 14.00), with its seats."""

    id: int
    group_id: int = Field(description="The time slot; a person holds one session per slot.")
    group_title: str
    title: str
    room: str
    capacity: int | None = Field(description="Seats in all; null when unlimited.")
    seated: int
    waiting: int
    seats_left: int | None = Field(description="Seats free now; null when unlimited.")


class Question(BaseModel):
    id: int
    text: str
    kind: Literal["short_text", "long_text", "choice", "yes_no"]
    choices: list[str] = Field(description="The allowed answers of a `choice` question.")
    required: bool
    health_data: bool = Field(
        description="Answers may be health information (diet, accessibility). They are sent "
        "only when the organisation turned that on, and given only with the person's consent."
    )


class Seminar(BaseModel):
    id: int
    slug: str
    url: str
    title: str
    subtitle: str
    status: Literal["draft", "published", "cancelled"]
    starts_at: datetime
    ends_at: datetime
    venue_name: str
    venue_address: str
    organization: str = Field(description="Slug of the hosting organisation.")
    cohosts: list[str] = Field(description="Slugs of co-hosting organisations.")
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    waitlist_enabled: bool
    capacity: int
    seated: int
    waiting: int
    seats_left: int
    modes: list[Seats] = Field(description="Seats per participation mode.")
    sessions: list[Session] = Field(description="Parallel sessions with their seats.")
    questions: list[Question]
    updated_at: datetime


class SeminarList(BaseModel):
    items: list[Seminar]


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class Registration(BaseModel):
    id: int
    seminar_id: int
    status: RegistrationStatus
    name: str
    email: str
    organization: str
    language: str
    answers: dict[str, str] = Field(
        description="Answers by question id. Health-data answers only when the organisation "
        "shares them."
    )
    waiting_position: int | None = Field(description="Place in line, from 1, when waiting.")
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    checked_in_at: datetime | None


class RegistrationPage(BaseModel):
    items: list[Registration]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class WaitingList(BaseModel):
    seminar_id: int
    items: list[Registration] = Field(description="In line order, first in line first.")


class Cancelled(BaseModel):
    registration: Registration
    promoted: list[int] = Field(description="Registrations moved up from the waiting list.")


class SignupResult(BaseModel):
    """The outcome of a signup. For a token without `registrations:read`, a new seat, a
    place in line and an address that was registered already look alike (`accepted`):
    the person learns by email what they have."""

    outcome: Literal["seated", "waiting", "already_registered", "accepted"]
    registration: Registration | None = None


class RegistrationQuery(Strict):
    status: RegistrationStatus | None = Field(None, description="Only registrations in this state.")
    updated_since: AwareDatetime | None = Field(
        None,
        description="Only registrations created or changed at or after this moment "
        "(with its offset, e.g. `2026-03-18T00:00:00+01:00`).",
    )
    cursor: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="The `next_cursor` of the previous page."
    )
    limit: Annotated[int, Field(ge=1, le=500)] = 100

    @field_validator("updated_since")
    @classmethod
    def in_utc(cls, value: datetime | None) -> datetime | None:
        try:
            return value.astimezone(UTC) if value is not None else None
        except OverflowError:
            raise ValueError("out of range") from None


class SeminarQuery(Strict):
    status: Literal["draft", "published", "cancelled"] | None = None


class NewRegistration(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[
        str, Field(min_length=3, max_length=254, json_schema_extra={"format": "email"})
    ]
    organization: Annotated[str, Field(max_length=200)] = ""
    answers: dict[str, Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=dict, description="Answers by question id (see the seminar's questions)."
    )
    health_consent: bool = Field(
        False, description="The person agreed that their health-data answers may be used."
    )
    language: Literal["sv", "en"] = "sv"
    mode: Literal["onsite", "online"] | None = Field(
        None, description="At a hybrid seminar: on site (the default) or online."
    )
    sessions: dict[str, Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=dict,
        description="The parallel session chosen in each time slot: time slot id (`group_id`) "
        "→ session id.",
    )


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str = ""
    errors: list[FieldProblem] = Field(default_factory=list)
