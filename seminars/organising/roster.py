"""Domain: the organiser's attendee list and everything done to it by hand.

Listing (search, status filter, sort, counts), adding a person, importing many, editing,
cancelling, moving someone up from the waiting list and checking people in at the door
(messages and the email log are in `messaging`). People are added through `signup.sign_up`,
so the capacity rules are the same as for a public signup; every change is written to the
audit log in the same transaction. The caller commits once.

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

from seminars import signup
from seminars.extensions import db
from seminars.models import (
    STATUS_FILTERS,
    Organizer,
    Registration,
    Seminar,
    Status,
    utcnow,
)
from seminars.organising import audit
from seminars.organising.importing import ParsedImport, Person, Unreadable
from seminars.text import email_key, swedish_sort_key


class RosterError(Exception):
    """An organiser's change that the registration's current state does not allow."""


class NotConfirmed(RosterError):
    """Only people with a seat can be checked in."""


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


def counts(seminar: Seminar, mode: str = "") -> Counts:
    """People per status and how many are checked in, in one query (`mode`: of those who
    take part that way, at a hybrid seminar)."""
    row = db.session.execute(
        select(
            func.count().filter(Registration.status == Status.CONFIRMED),
            func.count().filter(Registration.status == Status.WAITING),
            func.count().filter(Registration.status == Status.CANCELLED),
            func.count().filter(
                Registration.status == Status.CONFIRMED, Registration.checked_in_at.is_not(None)
            ),
        ).where(
            Registration.seminar_id == seminar.id,
            Registration.anonymised_at.is_(None),
            *of_mode(mode),
        )
    ).one()
    return Counts(*row)


def of_mode(mode: str) -> list:
    return [Registration.mode == mode] if mode else []


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
    mode: str = "",
) -> list[Entry]:
    """The seminar's registrations, filtered and sorted, in one query.

    Searching and sorting happen here rather than in SQL because SQLite's LIKE and ORDER BY
    know neither "Å" = "å" nor that å, ä, ö come after z; a seminar has at most a few
    thousand registrations. `mode`: only those who take part that way (a hybrid seminar,
    whose modes have a waiting list each).
    """
    registrations = db.session.scalars(
        select(Registration)
        .where(
            Registration.seminar_id == seminar.id,
            Registration.status.in_(list(statuses)),
            Registration.anonymised_at.is_(None),
            *of_mode(mode),
        )
        .order_by(Registration.id)
    ).all()
    # Positions count everyone in line, also those the search hides; a line per mode.
    lines: dict[str, list[int]] = {}
    for r in registrations:
        if r.status == Status.WAITING:
            lines.setdefault(r.mode if seminar.is_hybrid else "", []).append(r.id)
    positions = {rid: place for line in lines.values() for place, rid in enumerate(line, 1)}
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
    mode: str | None = None,
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
        mode=mode,
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


def change_email(registration: Registration, organizer: Organizer, email: str) -> bool:
    """Correct someone's address; they keep their seat or place in line. Raises
    signup.AddressTaken for an address another active registration holds."""
    before = registration.email
    signup.change_email(registration, email, new_link=True, by_organizer=True)
    if registration.email == before:
        return False
    audit.record(
        organizer,
        "changed_email",
        seminar=registration.seminar,
        detail=audit_detail(registration=registration.id),
    )
    return True


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


def preview_import(
    seminar: Seminar, parsed: ParsedImport, mode: str | None = None
) -> ImportPreview:
    """Who would be added and with which status, in the order they were written."""
    registered = set(
        db.session.scalars(
            select(Registration.email_key).where(
                Registration.seminar_id == seminar.id, Registration.status != Status.CANCELLED
            )
        )
    )
    seats_left = signup.modes.pool(seminar, mode).left
    to_add, already_registered = [], []
    for person in parsed.people:
        if email_key(person.email) in registered:
            already_registered.append(person)
            continue
        status = Status.CONFIRMED if seats_left is None or seats_left > 0 else Status.WAITING
        seats_left = None if seats_left is None else seats_left - 1
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
    mode: str = "",
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
            mode=mode or None,
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


def check_in_list(seminar: Seminar, search: str = "", mode: str = "") -> list[Entry]:
    """Everyone who may turn up at the door, by name; waiting people are shown so the
    organiser can see why someone has no seat. `mode`: only those on site, or online."""
    return roster(
        seminar,
        search=search,
        statuses=(Status.CONFIRMED, Status.WAITING),
        sort="name",
        mode=mode,
    )
