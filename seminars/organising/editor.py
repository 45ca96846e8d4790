"""Domain: organisers create, change, duplicate, publish and cancel seminars.

Functions take plain values (a `SeminarDraft`), flush, record the audit event, and raise
`EditorError`s; the view commits once. Changing a published seminar's time or place goes
through `announcements.seminar_changed`, which raises the calendar sequence and mails the
attendees when the organiser asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from seminars import dates, signup
from seminars.api import webhooks
from seminars.extensions import db
from seminars.models import (
    DetailsIn,
    Organization,
    Organizer,
    ProgramItem,
    Question,
    QuestionKind,
    Registration,
    Seminar,
    SeminarMode,
    SeminarStatus,
    Speaker,
    Status,
)
from seminars.organising import announcements, audit
from seminars.slugs import choose_slug, unique_slug

# Fields whose change makes attendees' calendar entries out of date.
TIME_AND_PLACE = (
    "starts_at",
    "ends_at",
    "venue_name",
    "venue_address",
    "online_info",
    "online_link",
    "mode",
)
# Changes the audit log shows with their old and new values, not only by name.
SHOWN_WITH_VALUES = (
    *TIME_AND_PLACE,
    "capacity",
    "online_capacity",
    "registration_opens_at",
    "registration_closes_at",
)

_SCALAR_FIELDS = (
    "title",
    "subtitle",
    "organization_id",
    "description",
    "starts_at",
    "ends_at",
    "venue_name",
    "venue_address",
    "online_info",
    "mode",
    "online_link",
    "online_details_in",
    "capacity",
    "waitlist_enabled",
    "online_capacity",
    "online_waitlist_enabled",
    "registration_opens_at",
    "registration_closes_at",
    "contact_name",
    "contact_email",
    "reminder_offsets",
    "attendance_check_days",
)


class EditorError(Exception):
    """A change to a seminar that its rules do not allow."""


class NotYourOrganization(EditorError):
    """The organiser may not host a seminar for that organisation."""


class CapacityBelowConfirmed(EditorError):
    """A mode's seats (`online`: the online ones) would be fewer than the people in them."""

    def __init__(self, confirmed: int, *, online: bool = False):
        super().__init__(confirmed)
        self.confirmed = confirmed
        self.online = online


class ModeHasOnlineAttendees(EditorError):
    """A hybrid seminar's online attendees would lose their kind of seat."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


class SeminarIsCancelled(EditorError):
    pass


@dataclass
class ProgramLine:
    starts_at: time | None
    title: str
    who: str = ""


@dataclass
class SpeakerLine:
    name: str
    role: str = ""
    affiliation: str = ""


@dataclass
class QuestionDraft:
    text: str
    kind: QuestionKind = QuestionKind.SHORT_TEXT
    id: int | None = None
    help_text: str = ""
    choices: str = ""
    required: bool = False
    sensitive: bool = False
    position: int = 0


@dataclass
class SeminarDraft:
    """Everything the editor form says about a seminar, times already in UTC."""

    title: str
    organization_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    subtitle: str = ""
    slug: str = ""
    cohost_ids: list[int] = field(default_factory=list)
    description: str = ""
    venue_name: str = ""
    venue_address: str = ""
    online_info: str = ""
    mode: SeminarMode = SeminarMode.ONSITE
    online_link: str = ""
    online_details_in: DetailsIn = DetailsIn.CONFIRMATION
    waitlist_enabled: bool = True
    online_capacity: int | None = None
    online_waitlist_enabled: bool = True
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    contact_name: str = ""
    contact_email: str = ""
    program: list[ProgramLine] = field(default_factory=list)
    speakers: list[SpeakerLine] = field(default_factory=list)
    questions: list[QuestionDraft] = field(default_factory=list)
    reminder_offsets: list[int] = field(default_factory=lambda: [24 * 60, 60])
    attendance_check_days: int | None = None


@dataclass
class EditResult:
    changed: list[str]
    promoted: list[Registration]
    time_or_place_changed: bool


def _may_host(organizer: Organizer, organization_id: int, current_host_id: int | None) -> bool:
    if organizer.is_admin or organization_id == current_host_id:
        return True
    return organization_id in {o.id for o in organizer.organizations}


def _check_slug(draft: SeminarDraft, seminar: Seminar | None) -> str:
    exclude_id = seminar.id if seminar is not None else None
    return choose_slug(Seminar, draft.slug, name=draft.title, max_length=120, exclude_id=exclude_id)


def _cohosts(draft: SeminarDraft) -> list[Organization]:
    ids = set(draft.cohost_ids) - {draft.organization_id}
    if not ids:
        return []
    return list(db.session.scalars(select(Organization).where(Organization.id.in_(ids))))


def _apply_questions(seminar: Seminar, drafts: list[QuestionDraft]) -> list[int]:
    """Make the seminar's questions match the drafts; returns the ids of removed questions."""
    existing = {question.id: question for question in seminar.questions}
    ordered = sorted(enumerate(drafts), key=lambda pair: (pair[1].position, pair[0]))
    questions = []
    for position, (_, draft) in enumerate(ordered):
        question = existing.get(draft.id) if draft.id is not None else None
        if question is None:
            question = Question()
        question.position = position
        question.text = draft.text
        question.help_text = draft.help_text
        question.kind = draft.kind
        question.choices = draft.choices
        question.required = draft.required
        question.sensitive = draft.sensitive
        questions.append(question)
    kept = {q.id for q in questions if q.id is not None}
    removed = [qid for qid in existing if qid not in kept]
    seminar.questions = questions
    return removed


def _forget_answers(seminar: Seminar, question_ids: list[int]) -> None:
    """Drop answers to removed questions, so a later question can never inherit them
    (SQLite may reuse a deleted row's id) and removed health answers are gone."""
    keys = {str(qid) for qid in question_ids}
    registrations = db.session.scalars(
        select(Registration).where(Registration.seminar_id == seminar.id)
    )
    for registration in registrations:
        if keys & set(registration.answers):
            registration.answers = {
                key: value for key, value in registration.answers.items() if key not in keys
            }


def _apply(seminar: Seminar, draft: SeminarDraft) -> None:
    for name in _SCALAR_FIELDS:
        setattr(seminar, name, getattr(draft, name))
    seminar.cohosts = _cohosts(draft)
    seminar.program_items = [
        ProgramItem(position=i, starts_at=line.starts_at, title=line.title, who=line.who)
        for i, line in enumerate(draft.program)
    ]
    seminar.speakers = [
        Speaker(position=i, name=line.name, role=line.role, affiliation=line.affiliation)
        for i, line in enumerate(draft.speakers)
    ]


def create_seminar(organizer: Organizer, draft: SeminarDraft) -> Seminar:
    """A new draft seminar hosted by one of the organiser's organisations."""
    if not _may_host(organizer, draft.organization_id, None):
        raise NotYourOrganization(draft.organization_id)
    seminar = Seminar(slug=_check_slug(draft, None), status=SeminarStatus.DRAFT)
    _apply(seminar, draft)
    _apply_questions(seminar, draft.questions)
    db.session.add(seminar)
    db.session.flush()
    audit.record(organizer, "created", seminar=seminar)
    return seminar


def _snapshot(seminar: Seminar) -> dict:
    values = {name: getattr(seminar, name) for name in _SCALAR_FIELDS}
    values["slug"] = seminar.slug
    values["cohosts"] = sorted(o.id for o in seminar.cohosts)
    values["program"] = [(p.starts_at, p.title, p.who) for p in seminar.program_items]
    values["speakers"] = [(s.name, s.role, s.affiliation) for s in seminar.speakers]
    values["questions"] = [
        (q.id, q.text, q.help_text, q.kind, q.choices, q.required, q.sensitive)
        for q in seminar.questions
    ]
    return values


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _changes(before: dict, after: dict, changed: list[str]) -> dict:
    """What an edit changed, for the audit log: every field by name, times, places and
    seats with their old and new values."""
    shown = [name for name in changed if name in SHOWN_WITH_VALUES]
    return {
        "changed": changed,
        "old": {name: _plain(before[name]) for name in shown},
        "new": {name: _plain(after[name]) for name in shown},
    }


def _online_attendees(seminar: Seminar) -> int:
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.seminar_id == seminar.id,
            Registration.status != Status.CANCELLED,
            Registration.mode == "online",
        )
    )


def _check_seats(seminar: Seminar, draft: SeminarDraft) -> None:
    """Each mode keeps at least the seats its people hold; a hybrid seminar's online
    attendees, and an online seminar's, keep their kind of seat while they are there."""
    if draft.capacity < seminar.seats_taken:
        raise CapacityBelowConfirmed(seminar.seats_taken)
    online_limit = draft.online_capacity
    if seminar.is_hybrid and online_limit is not None and online_limit < seminar.online_seats_taken:
        raise CapacityBelowConfirmed(seminar.online_seats_taken, online=True)
    hybrid_before, hybrid_after = seminar.is_hybrid, draft.mode == SeminarMode.HYBRID
    if hybrid_before != hybrid_after:
        count = _online_attendees(seminar)
        if count:
            raise ModeHasOnlineAttendees(count)


def _more_seats(before: dict, after: dict) -> bool:
    """Whether an edit freed seats: more of them in a mode, or a limit taken away."""
    if after["capacity"] > before["capacity"]:
        return True
    old, new = before["online_capacity"], after["online_capacity"]
    return old is not None and (new is None or new > old)


def update_seminar(
    organizer: Organizer, seminar: Seminar, draft: SeminarDraft, *, notify: bool
) -> EditResult:
    """Change a seminar. Raising capacity fills the new seats from the waiting list at once;
    a published seminar's new time or place reaches attendees' calendars."""
    seminar = signup.lock_seminar(seminar.id)
    if not _may_host(organizer, draft.organization_id, seminar.organization_id):
        raise NotYourOrganization(draft.organization_id)
    _check_seats(seminar, draft)
    slug = _check_slug(draft, seminar)
    before = _snapshot(seminar)
    seminar.slug = slug
    _apply(seminar, draft)
    removed = _apply_questions(seminar, draft.questions)
    db.session.flush()
    _forget_answers(seminar, removed)
    after = _snapshot(seminar)
    changed = [name for name in after if before[name] != after[name]]

    promoted = []
    if _more_seats(before, after):
        promoted = signup.promote_from_waiting_list(seminar)
    time_or_place_changed = any(name in changed for name in TIME_AND_PLACE)
    if time_or_place_changed and seminar.status == SeminarStatus.PUBLISHED:
        announcements.seminar_changed(seminar, notify=notify)
    if changed:
        audit.record(organizer, "edited", seminar=seminar, detail=_changes(before, after, changed))
    db.session.flush()
    if changed and seminar.status != SeminarStatus.DRAFT:
        webhooks.seminar_event("seminar.changed", seminar)
    return EditResult(changed, promoted, time_or_place_changed)


def _same_weekday_in_future(seminar: Seminar, today: date) -> timedelta:
    """How far to move a copy: none for a coming seminar, else 52 weeks at a time
    ("same seminar as last year", on the same weekday) until it lies ahead."""
    start_day = dates.local(seminar.starts_at).date()
    weeks = 0
    while start_day + timedelta(weeks=weeks) <= today:
        weeks += 52
    return timedelta(weeks=weeks)


def _shift(moment: datetime | None, delta: timedelta) -> datetime | None:
    """Move a time by whole days keeping its Stockholm wall-clock time across DST."""
    if moment is None:
        return None
    return dates.to_utc(dates.to_local_naive(moment) + delta)


def duplicate_seminar(organizer: Organizer, seminar: Seminar, *, today: date) -> Seminar:
    """A draft copy with the same content; a past seminar's copy moves ahead by whole weeks."""
    delta = _same_weekday_in_future(seminar, today)
    copy = Seminar(
        slug=unique_slug(Seminar, seminar.slug, max_length=120),
        organization_id=seminar.organization_id,
        status=SeminarStatus.DRAFT,
        title=seminar.title,
        subtitle=seminar.subtitle,
        description=seminar.description,
        starts_at=_shift(seminar.starts_at, delta),
        ends_at=_shift(seminar.ends_at, delta),
        venue_name=seminar.venue_name,
        venue_address=seminar.venue_address,
        online_info=seminar.online_info,
        mode=seminar.mode,
        online_link=seminar.online_link,
        online_details_in=seminar.online_details_in,
        capacity=seminar.capacity,
        waitlist_enabled=seminar.waitlist_enabled,
        online_capacity=seminar.online_capacity,
        online_waitlist_enabled=seminar.online_waitlist_enabled,
        registration_opens_at=_shift(seminar.registration_opens_at, delta),
        registration_closes_at=_shift(seminar.registration_closes_at, delta),
        contact_name=seminar.contact_name,
        contact_email=seminar.contact_email,
        reminder_offsets=list(seminar.reminder_offsets or []),
        attendance_check_days=seminar.attendance_check_days,
        cohosts=list(seminar.cohosts),
        program_items=[
            ProgramItem(position=p.position, starts_at=p.starts_at, title=p.title, who=p.who)
            for p in seminar.program_items
        ],
        speakers=[
            Speaker(position=s.position, name=s.name, role=s.role, affiliation=s.affiliation)
            for s in seminar.speakers
        ],
        questions=[
            Question(
                position=q.position,
                text=q.text,
                help_text=q.help_text,
                kind=q.kind,
                choices=q.choices,
                required=q.required,
                sensitive=q.sensitive,
            )
            for q in seminar.questions
        ],
    )
    db.session.add(copy)
    db.session.flush()
    audit.record(
        organizer,
        "duplicated",
        seminar=copy,
        detail={"from_seminar": seminar.id, "from_title": seminar.title},
    )
    return copy


def publish(organizer: Organizer, seminar: Seminar) -> None:
    if seminar.status == SeminarStatus.CANCELLED:
        raise SeminarIsCancelled(seminar.id)
    if seminar.status == SeminarStatus.PUBLISHED:
        return
    seminar.status = SeminarStatus.PUBLISHED
    db.session.flush()
    audit.record(organizer, "published", seminar=seminar)
    webhooks.seminar_event("seminar.published", seminar)


def unpublish(organizer: Organizer, seminar: Seminar) -> None:
    """Back to draft: the page disappears; registrations and their links stay."""
    if seminar.status != SeminarStatus.PUBLISHED:
        return
    seminar.status = SeminarStatus.DRAFT
    db.session.flush()
    audit.record(organizer, "unpublished", seminar=seminar)


def cancel_seminar(organizer: Organizer, seminar: Seminar, message: str) -> None:
    """Cancel for good; everyone registered gets the message and a calendar cancellation."""
    if seminar.status == SeminarStatus.CANCELLED:
        raise SeminarIsCancelled(seminar.id)
    announcements.cancel_seminar(seminar, message)
    audit.record(organizer, "cancelled", seminar=seminar, detail={"message": message})
    webhooks.seminar_event("seminar.cancelled", seminar)
