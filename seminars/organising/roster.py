"""Domain: the organiser's attendee list and everything done to it by hand.

Listing (search, status filter, sort, counts), adding a person, importing many, editing,
cancelling, moving someone up from the waiting list, checking people in at the door and
messaging them. People are added through `signup.sign_up`, so the capacity rules are
the same as for a public signup; every change is written to the audit log in the same
transaction. The caller commits once.

Audit details are JSON with ids and counts only, never names or addresses: the audit log
outlives the attendee data that `purge` anonymises.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from seminars import signup
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import (
    STATUS_FILTERS,
    AuditEvent,
    Organizer,
    OutboxMessage,
    Registration,
    Seminar,
    Status,
    utcnow,
)
from seminars.organising import audit
from seminars.organising.importing import ParsedImport, Person, Unreadable
from seminars.organising.sessions import seated_in
from seminars.text import email_key, swedish_sort_key


class RosterError(Exception):
    """An organiser's change that the registration's current state does not allow."""


class NotConfirmed(RosterError):
    """Only people with a seat can be checked in."""


class NoRecipients(RosterError):
    pass


class AlreadySent(RosterError):
    """The same message form was sent twice (a double click, or a reloaded page)."""


SORTS = ("status", "name", "organization", "registered")
_STATUS_ORDER = {Status.CONFIRMED: 0, Status.WAITING: 1, Status.CANCELLED: 2}


def audit_detail(**values) -> str:
    return json.dumps(values, sort_keys=True)


# ---------------------------------------------------------------------------- the list


@dataclass(frozen=True)
class Counts:
    confirmed: int = 0
    waiting: int = 0
    cancelled: int = 0
    checked_in: int = 0

    @property
    def total(self) -> int:
        return self.confirmed + self.waiting + self.cancelled


@dataclass(frozen=True)
class Entry:
    """One row of the list: the registration and, when waiting, its place in line."""

    registration: Registration
    waiting_position: int | None = None


def counts(seminar: Seminar) -> Counts:
    """People per status and how many are checked in, in one query."""
    row = db.session.execute(
        select(
            func.count().filter(Registration.status == Status.CONFIRMED),
            func.count().filter(Registration.status == Status.WAITING),
            func.count().filter(Registration.status == Status.CANCELLED),
            func.count().filter(
                Registration.status == Status.CONFIRMED, Registration.checked_in_at.is_not(None)
            ),
        ).where(Registration.seminar_id == seminar.id, Registration.anonymised_at.is_(None))
    ).one()
    return Counts(*row)


def matches(registration: Registration, search: str) -> bool:
    """Every word of the search appears in the name, email or organisation (any case)."""
    haystack = " ".join((registration.name, registration.email, registration.organization))
    haystack = unicodedata.normalize("NFC", haystack).casefold()
    words = unicodedata.normalize("NFC", search).casefold().split()
    return all(word in haystack for word in words)


def roster(
    seminar: Seminar,
    *,
    search: str = "",
    statuses: Iterable[Status] = STATUS_FILTERS["all"],
    sort: str = "status",
    descending: bool = False,
) -> list[Entry]:
    """The seminar's registrations, filtered and sorted, in one query.

    Searching and sorting happen here rather than in SQL because SQLite's LIKE and ORDER BY
    know neither "Å" = "å" nor that å, ä, ö come after z; a seminar has at most a few
    thousand registrations.
    """
    registrations = db.session.scalars(
        select(Registration)
        .where(
            Registration.seminar_id == seminar.id,
            Registration.status.in_(list(statuses)),
            Registration.anonymised_at.is_(None),
        )
        .order_by(Registration.id)
    ).all()
    # Positions count everyone in line, also those the search hides.
    waiting = [r.id for r in registrations if r.status == Status.WAITING]
    positions = {registration_id: place for place, registration_id in enumerate(waiting, 1)}
    entries = [
        Entry(r, positions.get(r.id)) for r in registrations if not search or matches(r, search)
    ]
    entries.sort(key=_SORT_KEYS.get(sort, _SORT_KEYS["status"]), reverse=descending)
    return entries


_SORT_KEYS = {
    "status": lambda e: (_STATUS_ORDER[e.registration.status], e.registration.id),
    "name": lambda e: (swedish_sort_key(e.registration.name), e.registration.id),
    # Blank organisations last, whichever way the list is sorted by name.
    "organization": lambda e: (
        not e.registration.organization,
        swedish_sort_key(e.registration.organization),
        swedish_sort_key(e.registration.name),
    ),
    "registered": lambda e: (e.registration.created_at, e.registration.id),
}


def registration_in(seminar: Seminar, registration_id: int) -> Registration | None:
    """A registration of this seminar (never another seminar's, whatever the id says)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.seminar_id != seminar.id:
        return None
    return registration


# ------------------------------------------------------------------ changes by an organiser


def add_person(
    seminar: Seminar,
    attendee: signup.Attendee,
    organizer: Organizer,
    *,
    override_capacity: bool = False,
    sessions: dict[int, int] | None = None,
) -> signup.SignupOutcome:
    """Add someone who asked by email: a seat if one is free (or the organiser overrides the
    capacity), else the waiting list; the same in each session chosen. Someone already
    registered is not mailed: the organiser sees the registration instead. Recorded in the
    audit log when added."""
    outcome = signup.sign_up(
        seminar.id,
        attendee,
        by_organizer=True,
        override_capacity=override_capacity,
        sessions=sessions,
    )
    if outcome.registered:
        registration = db.session.get(Registration, outcome.registration_id)
        audit.record(
            organizer,
            "added",
            seminar=seminar,
            detail=audit_detail(
                registration=registration.id,
                status=str(registration.status),
                over_capacity=seminar.seats_taken > seminar.capacity,
            ),
        )
    return outcome


def edit_registration(
    registration: Registration,
    organizer: Organizer,
    *,
    name: str,
    organization: str,
    answers: dict[str, str],
) -> bool:
    """Correct someone's details; they get the usual "your answers changed" mail."""
    changed = signup.change_answers(
        registration, name=name, organization=organization, answers=answers
    )
    if changed:
        audit.record(
            organizer,
            "edited_registration",
            seminar=registration.seminar,
            detail=audit_detail(registration=registration.id),
        )
    return changed


def cancel_registration(
    registration: Registration, organizer: Organizer, *, notify: bool
) -> list[Registration]:
    """Cancel on someone's behalf; a freed seat goes to the first in line, as always."""
    was = registration.status
    promoted = signup.cancel(registration, notify=notify)
    if was != Status.CANCELLED:
        audit.record(
            organizer,
            "cancelled_registration",
            seminar=registration.seminar,
            detail=audit_detail(
                registration=registration.id,
                notified=notify,
                promoted=[p.id for p in promoted],
            ),
        )
    return promoted


def move_to_confirmed(
    registration: Registration, organizer: Organizer, *, exceed_capacity: bool = False
) -> bool:
    """Give a waiting person a seat now, out of turn. The seat is taken atomically; with no
    seat free this raises SeminarFull unless the organiser chose to exceed the capacity."""
    seminar = registration.seminar
    if not signup.confirm_waiting(registration, override_capacity=exceed_capacity):
        return False
    audit.record(
        organizer,
        "moved_up",
        seminar=seminar,
        detail=audit_detail(
            registration=registration.id, over_capacity=seminar.seats_taken > seminar.capacity
        ),
    )
    return True


# ------------------------------------------------------------------------ importing


@dataclass
class ImportPreview:
    """What confirming an import would do, worked out without writing anything."""

    to_add: list[tuple[Person, Status]]
    already_registered: list[Person]
    repeated: list[Person]
    unreadable: list[Unreadable]

    @property
    def confirmed(self) -> int:
        return sum(1 for _, status in self.to_add if status == Status.CONFIRMED)

    @property
    def waiting(self) -> int:
        return len(self.to_add) - self.confirmed


def preview_import(seminar: Seminar, parsed: ParsedImport) -> ImportPreview:
    """Who would be added and with which status, in the order they were written."""
    registered = set(
        db.session.scalars(
            select(Registration.email_key).where(
                Registration.seminar_id == seminar.id, Registration.status != Status.CANCELLED
            )
        )
    )
    seats_left = seminar.seats_left
    to_add, already_registered = [], []
    for person in parsed.people:
        if email_key(person.email) in registered:
            already_registered.append(person)
            continue
        status = Status.CONFIRMED if seats_left > 0 else Status.WAITING
        seats_left -= 1
        to_add.append((person, status))
    return ImportPreview(to_add, already_registered, parsed.repeated, parsed.unreadable)


@dataclass(frozen=True)
class ImportResult:
    confirmed: int
    waiting: int
    duplicates: int
    unreadable: int

    @property
    def added(self) -> int:
        return self.confirmed + self.waiting


def import_people(
    seminar: Seminar,
    parsed: ParsedImport,
    organizer: Organizer,
    *,
    language: str = "sv",
    sessions: dict[int, int] | None = None,
) -> ImportResult:
    """Add everyone new, in the order written, through the same rules as a signup (in the
    `sessions` chosen for them all); each gets their confirmation or waiting-list mail.
    People already registered get no mail."""
    outcomes = Counter(
        signup.sign_up(
            seminar.id,
            signup.Attendee(
                name=person.name,
                email=person.email,
                organization=person.organization,
                language=language,
            ),
            by_organizer=True,
            sessions=sessions,
        ).kind
        for person in parsed.people
    )
    duplicates = len(parsed.repeated) + outcomes[signup.Outcome.ALREADY_REGISTERED]
    result = ImportResult(
        confirmed=outcomes[signup.Outcome.SEATED],
        waiting=outcomes[signup.Outcome.WAITING],
        duplicates=duplicates,
        unreadable=len(parsed.unreadable),
    )
    audit.record(
        organizer,
        "imported",
        seminar=seminar,
        detail=audit_detail(
            added=result.added,
            confirmed=result.confirmed,
            waiting=result.waiting,
            duplicates=result.duplicates,
            unreadable=result.unreadable,
        ),
    )
    return result


# ------------------------------------------------------------------------- check-in


def check_in(
    registration: Registration, organizer: Organizer, *, now: datetime | None = None
) -> None:
    """Mark a confirmed attendee as arrived; checking in twice (two phones) changes nothing."""
    if registration.status != Status.CONFIRMED:
        raise NotConfirmed(registration.id)
    _set_checked_in(registration, organizer, now or utcnow(), "checked_in")


def undo_check_in(registration: Registration, organizer: Organizer) -> None:
    _set_checked_in(registration, organizer, None, "check_in_undone")


def _set_checked_in(
    registration: Registration, organizer: Organizer, moment: datetime | None, action: str
) -> None:
    # One conditional UPDATE, so two organisers tapping at once record one event.
    current = (
        Registration.checked_in_at.is_(None) if moment else Registration.checked_in_at.is_not(None)
    )
    changed = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, current)
        .values(checked_in_at=moment),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.refresh(registration, ["checked_in_at"])
    if changed:
        audit.record(
            organizer,
            action,
            seminar=registration.seminar,
            detail=audit_detail(registration=registration.id),
        )


def check_in_list(seminar: Seminar, search: str = "") -> list[Entry]:
    """Everyone who may turn up at the door, by name; waiting people are shown so the
    organiser can see why someone has no seat."""
    return roster(seminar, search=search, statuses=(Status.CONFIRMED, Status.WAITING), sort="name")


# ------------------------------------------------------------------------- messages


def _audience_filter(audience: str):
    if audience == "confirmed":
        return [Registration.status == Status.CONFIRMED]
    if audience == "waiting":
        return [Registration.status == Status.WAITING]
    if audience == "checked_in":
        return [Registration.status == Status.CONFIRMED, Registration.checked_in_at.is_not(None)]
    if audience == "everyone":
        return [Registration.status.in_([Status.CONFIRMED, Status.WAITING])]
    session_id = audience.removeprefix("session-")
    if session_id.isdigit():  # everyone with a seat in one parallel session
        return [Registration.status == Status.CONFIRMED, seated_in(int(session_id))]
    raise ValueError(audience)


def _recipients_query(seminar: Seminar, audience: str):
    return select(Registration).where(
        Registration.seminar_id == seminar.id,
        Registration.anonymised_at.is_(None),
        *_audience_filter(audience),
    )


def recipient_counts(seminar: Seminar) -> dict[str, int]:
    """How many people each audience reaches right now."""
    seminar_counts = counts(seminar)
    return {
        "confirmed": seminar_counts.confirmed,
        "waiting": seminar_counts.waiting,
        "checked_in": seminar_counts.checked_in,
        "everyone": seminar_counts.confirmed + seminar_counts.waiting,
    }


def message_context(subject: str, body: str, *, greeting: bool) -> dict:
    """What the email template gets: the text, and whether to start with "Hej <namn>!"."""
    return {"subject": subject, "body": body, "greeting": greeting}


def sample_message(
    seminar: Seminar, *, audience: str, subject: str, body: str, greeting: bool
) -> OutboxMessage | None:
    """The message as its first recipient would get it, unsaved: the preview renders it
    with the worker's own code, so it shows exactly what is sent. None without recipients."""
    first = db.session.scalars(
        _recipients_query(seminar, audience).order_by(Registration.id).limit(1)
    ).first()
    if first is None:
        return None
    # The row queue_for_registration would write for this attendee, not saved.
    return OutboxMessage(
        kind="message",
        dedupe_key="preview",
        to_email=first.email,
        to_name=first.name,
        language=first.language,
        seminar_id=first.seminar_id,
        registration_id=first.id,
        context=message_context(subject, body, greeting=greeting),
    )


def send_message(
    seminar: Seminar,
    organizer: Organizer,
    *,
    audience: str,
    subject: str,
    body: str,
    form_id: str,
    greeting: bool = True,
) -> int:
    """Queue one email per recipient and log it; returns how many were queued.

    `form_id` comes from the preview page: sending the same preview twice raises
    AlreadySent instead of mailing everyone again.
    """
    # Serialise sends for this seminar so the repeat check below cannot race.
    db.session.execute(select(Seminar.id).where(Seminar.id == seminar.id).with_for_update())
    repeat = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.seminar_id == seminar.id,
            AuditEvent.action == "messaged",
            AuditEvent.detail.contains(json.dumps({"form": form_id})[1:-1], autoescape=True),
        )
    )
    if repeat is not None:
        raise AlreadySent(form_id)
    recipients = db.session.scalars(
        _recipients_query(seminar, audience).order_by(Registration.id)
    ).all()
    if not recipients:
        raise NoRecipients(audience)
    event = audit.record(organizer, "messaged", seminar=seminar)
    event.detail = audit_detail(
        audience=audience, count=len(recipients), form=form_id, subject=subject
    )
    db.session.flush()
    context = message_context(subject, body, greeting=greeting)
    for registration in recipients:
        outbox.queue_for_registration(
            "message",
            registration,
            dedupe_key=f"message:{event.id}:{registration.id}",
            context=context,
        )
    return len(recipients)


@dataclass(frozen=True)
class SentMessage:
    id: int
    sent_at: datetime
    sent_by: str
    subject: str
    audience: str
    count: int


def message_history(seminar: Seminar) -> list[SentMessage]:
    """Messages sent for this seminar, newest first, as the audit log recorded them."""
    events = db.session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.organizer))
        .where(AuditEvent.seminar_id == seminar.id, AuditEvent.action == "messaged")
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    ).all()
    history = []
    for event in events:
        detail = json.loads(event.detail or "{}")
        history.append(
            SentMessage(
                id=event.id,
                sent_at=event.created_at,
                sent_by=event.organizer.name if event.organizer else "",
                subject=detail.get("subject", ""),
                audience=detail.get("audience", ""),
                count=detail.get("count", 0),
            )
        )
    return history


# ------------------------------------------------------------------------ email log


def resend_email(message: OutboxMessage, seminar: Seminar, organizer: Organizer) -> bool:
    """Try a failed email again at the worker's next pass; False if it was not failed."""
    if not outbox.retry_now(message):
        return False
    audit.record(
        organizer,
        "resent",
        seminar=seminar,
        detail=audit_detail(
            email=message.id, kind=message.kind, registration=message.registration_id
        ),
    )
    return True
