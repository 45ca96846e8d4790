"""Who may see what: an organiser sees only seminars their organisations host or co-host
(DESIGN guarantee 6). Every organiser view loads its seminar through here."""

from __future__ import annotations

from sqlalchemy import Select, exists, or_, select

from seminars.extensions import db
from seminars.models import Organizer, Seminar, organizer_memberships, seminar_cohosts


def organization_ids(organizer: Organizer) -> list[int]:
    return [organization.id for organization in organizer.organizations]


def visible_seminars(organizer: Organizer) -> Select:
    """SELECT of the seminars this organiser may manage (all of them for a site admin)."""
    statement = select(Seminar)
    if organizer.is_admin:
        return statement
    mine = select(organizer_memberships.c.organization_id).where(
        organizer_memberships.c.organizer_id == organizer.id
    )
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
