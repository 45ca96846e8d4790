"""Who may see what (DESIGN guarantee 6), by role per organisation.

- A site admin (`Organizer.is_admin`) sees and manages everything.
- An organisation's admins and organisers see the seminars it hosts or co-hosts; its
  admins also manage its accounts and settings.
- A door helper sees only the check-in list of the seminars they are given, without
  email addresses or answers.

Every organiser view loads its seminar through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, exists, or_, select

from seminars.extensions import db
from seminars.models import (
    MANAGING_ROLES,
    Organization,
    Organizer,
    Role,
    Seminar,
    door_helper_seminars,
    organizer_memberships,
    seminar_cohosts,
)


def organization_ids(organizer: Organizer) -> list[int]:
    """The organisations whose seminars this person manages (as admin or organiser)."""
    return [organization.id for organization in organizer.organizations]


def roles(organizer: Organizer) -> dict[int, Role]:
    """Organisation id → this person's role there (door helpers included)."""
    rows = db.session.execute(
        select(organizer_memberships.c.organization_id, organizer_memberships.c.role).where(
            organizer_memberships.c.organizer_id == organizer.id
        )
    )
    return {organization_id: Role(role) for organization_id, role in rows}


def memberships_of(organizer_ids: list[int]) -> dict[int, list[tuple[str, Role]]]:
    """Account id → (organisation name, role) of each membership, in one query."""
    rows = db.session.execute(
        select(
            organizer_memberships.c.organizer_id, Organization.name, organizer_memberships.c.role
        )
        .join(Organization, Organization.id == organizer_memberships.c.organization_id)
        .where(organizer_memberships.c.organizer_id.in_(organizer_ids))
        .order_by(Organization.name)
    )
    memberships: dict[int, list[tuple[str, Role]]] = {}
    for organizer_id, name, role in rows:
        memberships.setdefault(organizer_id, []).append((name, Role(role)))
    return memberships


def manages_seminars(organizer: Organizer) -> bool:
    """False for a door helper only: they get the check-in pages and their own account."""
    return organizer.is_admin or bool(organizer.organizations)


@dataclass(frozen=True)
class Standing:
    """What parts of the organiser area a person has, read in one query."""

    manages_seminars: bool
    administers: bool
    door_helper: bool


def standing(organizer: Organizer) -> Standing:
    managing = [str(role) for role in MANAGING_ROLES]
    mine = organizer_memberships.c.organizer_id == organizer.id
    row = db.session.execute(
        select(
            exists().where(mine, organizer_memberships.c.role.in_(managing)),
            exists().where(mine, organizer_memberships.c.role == str(Role.ADMIN)),
            exists().where(door_helper_seminars.c.organizer_id == organizer.id),
        )
    ).one()
    return Standing(
        manages_seminars=organizer.is_admin or row[0],
        administers=organizer.is_admin or row[1],
        door_helper=row[2],
    )


def administered_organization_ids(organizer: Organizer) -> set[int] | None:
    """The organisations whose accounts and settings this person manages; None: all."""
    if organizer.is_admin:
        return None
    return {oid for oid, role in roles(organizer).items() if role == Role.ADMIN}


def administers_any(organizer: Organizer) -> bool:
    ids = administered_organization_ids(organizer)
    return ids is None or bool(ids)


def may_administer_organization(organizer: Organizer, organization_id: int) -> bool:
    ids = administered_organization_ids(organizer)
    return ids is None or organization_id in ids


def may_administer_account(organizer: Organizer, account: Organizer) -> bool:
    """A site admin, or an admin of an organisation the account belongs to (in any role).
    Only a site admin manages a site admin's account."""
    ids = administered_organization_ids(organizer)
    if ids is None:
        return True
    return not account.is_admin and bool(ids & set(roles(account)))


def _managing_memberships(organizer: Organizer):
    return select(organizer_memberships.c.organization_id).where(
        organizer_memberships.c.organizer_id == organizer.id,
        organizer_memberships.c.role.in_([str(role) for role in MANAGING_ROLES]),
    )


def visible_seminars(organizer: Organizer) -> Select:
    """SELECT of the seminars this organiser may manage (all of them for a site admin)."""
    statement = select(Seminar)
    if organizer.is_admin:
        return statement
    mine = _managing_memberships(organizer)
    cohosted = exists().where(
        seminar_cohosts.c.seminar_id == Seminar.id,
        seminar_cohosts.c.organization_id.in_(mine),
    )
    return statement.where(or_(Seminar.organization_id.in_(mine), cohosted))


def can_manage(organizer: Organizer, seminar: Seminar) -> bool:
    if organizer.is_admin:
        return True
    ids = set(organization_ids(organizer))
    return seminar.organization_id in ids or any(o.id in ids for o in seminar.cohosts)


class NotFound(LookupError):
    """The thing does not exist, or belongs to someone else's organisation (the web layer
    answers 404 for both, so ids of other organisations' seminars are not revealed)."""


def managed_seminar(organizer: Organizer, seminar_id: int) -> Seminar:
    """The seminar, if this organiser may manage it; NotFound otherwise."""
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None or not can_manage(organizer, seminar):
        raise NotFound(seminar_id)
    return seminar


def door_seminars(organizer: Organizer) -> Select:
    """SELECT of the seminars this person was given as a door helper, soonest first."""
    return (
        select(Seminar)
        .join(door_helper_seminars, door_helper_seminars.c.seminar_id == Seminar.id)
        .where(door_helper_seminars.c.organizer_id == organizer.id)
        .order_by(Seminar.starts_at)
    )


@dataclass(frozen=True)
class CheckIn:
    seminar: Seminar
    # False for a door helper: names and organisations only, no addresses, no links onward.
    full: bool


def check_in_seminar(organizer: Organizer, seminar_id: int) -> CheckIn:
    """The seminar's check-in, for its organisers and the door helpers given it."""
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None:
        raise NotFound(seminar_id)
    if can_manage(organizer, seminar):
        return CheckIn(seminar, full=True)
    given = db.session.scalar(
        select(door_helper_seminars.c.seminar_id).where(
            door_helper_seminars.c.organizer_id == organizer.id,
            door_helper_seminars.c.seminar_id == seminar.id,
        )
    )
    if given is None:
        raise NotFound(seminar_id)
    return CheckIn(seminar, full=False)
