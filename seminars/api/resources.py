"""A seminar and a registration as the API and the webhooks show them, and which of an
organisation's seminars and registrations a token reaches.

An organisation's token reaches the seminars it hosts or co-hosts; anything else is "not
found", so ids of other organisations' seminars are not revealed (DESIGN: 404).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from seminars.api import schemas
from seminars.extensions import db
from seminars.models import (
    Organization,
    Question,
    Registration,
    Seminar,
    SeminarMode,
    Status,
    online_seats_left,
    seats_left,
    seminar_cohosts,
)
from seminars.organising.sessions import counts as session_counts_of


def seats_by_mode_and_session(seminar: Seminar, waiting: int) -> dict:
    """`modes` and `sessions` of a seminar resource: a hybrid seminar's seats on site and
    online, each with its own waiting list, and the seats of each parallel session."""
    # The seminar's one mode, or a hybrid seminar's seats on site (its capacity).
    main_mode = SeminarMode.ONLINE if seminar.mode == SeminarMode.ONLINE else SeminarMode.ONSITE
    in_line = {main_mode: waiting}
    if seminar.is_hybrid:
        in_line = dict(
            db.session.execute(
                select(Registration.mode, func.count())
                .where(Registration.seminar_id == seminar.id, Registration.status == Status.WAITING)
                .group_by(Registration.mode)
            ).all()
        )
    modes = [
        schemas.Seats(
            mode=main_mode,
            capacity=seminar.capacity,
            seated=seminar.seats_taken,
            waiting=in_line.get(main_mode, 0),
            seats_left=seats_left(seminar),
        )
    ]
    if seminar.is_hybrid:
        modes.append(
            schemas.Seats(
                mode=SeminarMode.ONLINE,
                capacity=seminar.online_capacity,
                seated=seminar.online_seats_taken,
                waiting=in_line.get(SeminarMode.ONLINE, 0),
                seats_left=online_seats_left(seminar),
            )
        )
    sessions = [
        schemas.Session(
            id=count.session.id,
            group_id=group.id,
            group_title=group.title,
            title=count.session.title,
            room=count.session.room,
            capacity=count.session.capacity,
            seated=count.seated,
            waiting=count.waiting,
            seats_left=count.session.seats_left,
        )
        for group, session_counts in session_counts_of(seminar.id)
        for count in session_counts
    ]
    return {"modes": modes, "sessions": sessions}


def _question(question: Question) -> schemas.Question:
    return schemas.Question(
        id=question.id,
        text=question.text,
        kind=question.kind,
        choices=question.choice_list,
        required=question.required,
        health_data=question.sensitive,
    )


def seminar_resource(seminar: Seminar, waiting: int) -> schemas.Seminar:
    base_url = current_app.config["BASE_URL"]
    return schemas.Seminar(
        id=seminar.id,
        slug=seminar.slug,
        url=f"{base_url}/seminars/{seminar.slug}",
        title=seminar.title,
        subtitle=seminar.subtitle,
        status=seminar.status,
        starts_at=seminar.starts_at,
        ends_at=seminar.ends_at,
        venue_name=seminar.venue_name,
        venue_address=seminar.venue_address,
        organization=seminar.organization.slug,
        cohosts=[o.slug for o in seminar.cohosts if o.id != seminar.organization_id],
        registration_opens_at=seminar.registration_opens_at,
        registration_closes_at=seminar.registration_closes_at,
        waitlist_enabled=seminar.waitlist_enabled,
        capacity=seminar.capacity,
        seated=seminar.seats_taken,
        waiting=waiting,
        seats_left=seats_left(seminar),
        questions=[_question(q) for q in seminar.questions],
        updated_at=seminar.updated_at,
        **seats_by_mode_and_session(seminar, waiting),
    )


def health_question_ids(seminar_id: int, connection=None) -> set[str]:
    statement = select(Question.id).where(Question.seminar_id == seminar_id, Question.sensitive)
    rows = (connection or db.session).execute(statement)
    return {str(question_id) for (question_id,) in rows}


def registration_resource(
    registration, *, hidden_answers: Iterable[str] = (), waiting_position: int | None = None
) -> schemas.Registration:
    """`registration`: a Registration, or a row with its columns. `hidden_answers`: ids of
    questions whose answers are left out (health data the organisation does not share)."""
    hidden = set(hidden_answers)
    return schemas.Registration(
        id=registration.id,
        seminar_id=registration.seminar_id,
        status=registration.status,
        name=registration.name,
        email=registration.email,
        organization=registration.organization,
        language=registration.language,
        answers={k: v for k, v in (registration.answers or {}).items() if k not in hidden},
        waiting_position=waiting_position,
        created_at=registration.created_at,
        updated_at=registration.updated_at,
        cancelled_at=registration.cancelled_at,
        checked_in_at=registration.checked_in_at,
    )


def hidden_answers_for(organization: Organization, seminar_id: int) -> set[str]:
    """The answers this organisation does not get: health data, unless it turned that on."""
    return set() if organization.share_health_answers else health_question_ids(seminar_id)


# ---------------------------------------------------------------------- what a token reaches


def seminars_of(organization_id: int) -> Select:
    cohosted = select(seminar_cohosts.c.seminar_id).where(
        seminar_cohosts.c.organization_id == organization_id
    )
    return select(Seminar).where(
        or_(Seminar.organization_id == organization_id, Seminar.id.in_(cohosted))
    )


def seminar_of(organization_id: int, seminar_id: int) -> Seminar | None:
    if not 0 < seminar_id <= schemas.MAX_ID:
        return None
    return db.session.scalar(
        seminars_of(organization_id)
        .where(Seminar.id == seminar_id)
        .options(selectinload(Seminar.cohosts), selectinload(Seminar.questions))
    )


def waiting_counts(seminar_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(Registration.seminar_id, func.count())
        .where(Registration.seminar_id.in_(seminar_ids), Registration.status == Status.WAITING)
        .group_by(Registration.seminar_id)
    )
    return {seminar_id: count for seminar_id, count in rows}


def seminar_list(organization_id: int, status: str | None = None) -> list[schemas.Seminar]:
    statement = (
        seminars_of(organization_id)
        .options(selectinload(Seminar.cohosts), selectinload(Seminar.questions))
        .order_by(Seminar.starts_at, Seminar.id)
    )
    if status is not None:
        statement = statement.where(Seminar.status == status)
    seminars = list(db.session.scalars(statement))
    waiting = waiting_counts([s.id for s in seminars])
    return [seminar_resource(s, waiting.get(s.id, 0)) for s in seminars]


def registration_of(seminar: Seminar, registration_id: int) -> Registration | None:
    """A registration of this seminar whose data is still there (not anonymised)."""
    if not 0 < registration_id <= schemas.MAX_ID:
        return None
    registration = db.session.get(Registration, registration_id)
    if (
        registration is None
        or registration.seminar_id != seminar.id
        or registration.anonymised_at is not None
    ):
        return None
    return registration
