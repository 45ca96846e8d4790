"""Which rendering of a seminar's public page is current: `Seminar.content_version`.

It is raised in the same transaction as every change to what the page shows: the
seminar's fields, its program, speakers, questions and co-hosts, and the name or privacy
details of an organisation that hosts it. The raise is in SQL (never from a value a
session may hold stale), by a flush listener, so a page rendered before the change is
never served after it (`web/pagecache.py` keys its cache on the version).
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event, inspect, or_, select, update
from sqlalchemy.orm import Session

from seminars.extensions import db
from seminars.models import Organization, ProgramItem, Question, Seminar, Speaker, seminar_cohosts

# Seminar attributes that change nothing on the page, or are filled in per request.
NOT_SHOWN = frozenset(
    {"seats_taken", "online_seats_taken", "updated_at", "content_version", "sequence"}
)
CHILDREN = (ProgramItem, Speaker, Question)
# Set in a session's info when a flush raised a version; read after its commit.
CONTENT_CHANGED = "seminars.content_changed"


def init_app(app: Flask) -> None:
    """Listen on the app's sessions (Flask-SQLAlchemy's Session class, shared by every app
    made in one process, hence registered once)."""
    for name, listener in (
        ("after_flush", _raise_content_versions),
        ("after_rollback", _no_content_changed),
    ):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


def _changed(obj, ignore: frozenset[str] = frozenset()) -> bool:
    state = inspect(obj)
    return any(
        attribute.key not in ignore and attribute.history.has_changes() for attribute in state.attrs
    )


def _seminars_to_raise(session: Session) -> tuple[set[int], set[int]]:
    seminars: set[int] = set()
    organizations: set[int] = set()
    for obj in session.dirty:
        if isinstance(obj, Seminar) and _changed(obj, NOT_SHOWN):
            seminars.add(obj.id)
        elif isinstance(obj, Organization) and _changed(obj):
            organizations.add(obj.id)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, CHILDREN) and obj.seminar_id is not None:
            seminars.add(obj.seminar_id)
    return seminars, organizations


def _raise_content_versions(session: Session, flush_context) -> None:
    # After the flush, new children know their seminar_id; new, dirty and deleted
    # still list what the flush wrote, with each attribute's history.
    seminars, organizations = _seminars_to_raise(session)
    where = _hosted_or_listed(seminars, organizations)
    if where is None:
        return
    session.connection().execute(
        update(Seminar.__table__)
        .where(where)
        .values(content_version=Seminar.__table__.c.content_version + 1)
    )
    session.info[CONTENT_CHANGED] = True


def _no_content_changed(session: Session) -> None:
    session.info.pop(CONTENT_CHANGED, None)


def _hosted_or_listed(seminars: set[int], organizations: set[int]):
    table = Seminar.__table__
    conditions = []
    if seminars:
        conditions.append(table.c.id.in_(seminars))
    if organizations:
        conditions.append(table.c.organization_id.in_(organizations))
        conditions.append(
            table.c.id.in_(
                select(seminar_cohosts.c.seminar_id).where(
                    seminar_cohosts.c.organization_id.in_(organizations)
                )
            )
        )
    return or_(*conditions) if conditions else None
