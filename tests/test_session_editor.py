"""The organiser defines a seminar's time slots and their sessions: rows that work without
JavaScript, capacity never below those seated, a raised capacity filling from the line, and
a removed session mailing exactly who chose it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from seminars import signup
from seminars.extensions import db
from seminars.models import (
    ChoiceState,
    OutboxMessage,
    SeminarSession,
    SessionChoice,
    SessionGroup,
)
from tests.conftest import attendee, log_in
from tests.test_parallel_sessions import add_workshops


@pytest.fixture
def organizer(organizer_factory, organization_factory):
    return organizer_factory(organization_factory("OFR"))


@pytest.fixture
def seminar(seminar_factory, organizer):
    return seminar_factory(organization=organizer.organizations[0], capacity=20)


@pytest.fixture
def signed_in(client, organizer):
    log_in(client, organizer)
    return client


def group_data(rows, **fields) -> dict:
    data = {"title": "Eftermiddagens workshop 14.00–15.30", "required": "y", "mode": ""}
    data.update(fields)
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"sessions-{i}-{key}"] = value
    return data


def test_the_organiser_adds_a_time_slot_with_two_workshops(signed_in, seminar):
    page = signed_in.get(f"/organizer/seminars/{seminar.id}/sessions/new").text
    assert 'name="sessions-1-title"' in page and 'data-row-template="sessions"' in page
    # "Add another session" without JavaScript: the form comes back with a row more.
    rows = [
        {
            "title": "Workshop A: tillit i skolan",
            "room": "Sal 1",
            "capacity": "2",
            "waitlist_enabled": "y",
        }
    ]
    added = signed_in.post(
        f"/organizer/seminars/{seminar.id}/sessions/new",
        data=group_data(rows, row_action="sessions-add"),
    )
    assert added.status_code == 200 and 'name="sessions-1-title"' in added.text
    assert db.session.scalars(select(SessionGroup)).all() == []

    rows.append({"title": "Workshop B: tillit i vården", "room": "Sal 2", "capacity": ""})
    response = signed_in.post(
        f"/organizer/seminars/{seminar.id}/sessions/new", data=group_data(rows)
    )
    assert response.status_code == 303
    group = db.session.scalars(select(SessionGroup)).one()
    assert [(s.title, s.room, s.capacity, s.waitlist_enabled) for s in group.sessions] == [
        ("Workshop A: tillit i skolan", "Sal 1", 2, True),
        ("Workshop B: tillit i vården", "Sal 2", None, False),
    ]
    overview = signed_in.get(f"/organizer/seminars/{seminar.id}/sessions").text
    assert "Workshop A: tillit i skolan" in overview and "0 av 2" in overview


def test_a_title_is_needed_and_everything_typed_stays(signed_in, seminar):
    rows = [{"title": "", "room": "Sal 1", "capacity": "abc"}]
    response = signed_in.post(
        f"/organizer/seminars/{seminar.id}/sessions/new", data=group_data(rows)
    )
    assert response.status_code == 422
    assert "Skriv sessionens titel" in response.text
    assert 'value="Sal 1"' in response.text
    assert db.session.scalars(select(SessionGroup)).all() == []


def _edit_rows(group, **changes) -> list[dict]:
    rows = []
    for session in group.sessions:
        row = {
            "session_id": str(session.id),
            "title": session.title,
            "room": session.room,
            "capacity": "" if session.capacity is None else str(session.capacity),
            "waitlist_enabled": "y",
        }
        row.update(changes.get(session.title, {}))
        rows.append(row)
    return rows


def test_capacity_below_the_seated_is_refused_and_raising_it_fills_from_the_line(
    signed_in, seminar
):
    group = add_workshops(seminar, capacities=(2, 2))
    group_id = group.id
    a = group.sessions[0]
    for i in range(4):
        signup.sign_up(seminar.id, attendee(f"p{i}@example.org"), sessions={group.id: a.id})
    db.session.commit()
    url = f"/organizer/seminars/{seminar.id}/sessions/{group_id}"

    lowered = signed_in.post(
        url, data=group_data(_edit_rows(group, **{"Workshop A": {"capacity": "1"}}))
    )
    assert lowered.status_code == 422
    assert "2 personer har redan en plats i sessionen" in lowered.text

    raised = signed_in.post(
        url, data=group_data(_edit_rows(group, **{"Workshop A": {"capacity": "3"}}))
    )
    assert raised.status_code == 303
    session = db.session.get(SeminarSession, a.id, populate_existing=True)
    assert (session.capacity, session.seats_taken) == (3, 3)
    seat_mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "session_seat")
    ).all()
    assert len(seat_mails) == 1


def test_a_removed_session_mails_exactly_who_chose_it_and_keeps_the_others(signed_in, seminar):
    group = add_workshops(seminar, capacities=(1, 5))
    a, b = group.sessions
    for i, session in enumerate([a, a, b]):
        signup.sign_up(seminar.id, attendee(f"p{i}@example.org"), sessions={group.id: session.id})
    db.session.commit()
    rows = _edit_rows(group, **{"Workshop A": {"remove": "y"}})
    response = signed_in.post(
        f"/organizer/seminars/{seminar.id}/sessions/{group.id}", data=group_data(rows)
    )
    assert response.status_code == 303
    told = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "session_removed")
    ).all()
    assert sorted((m.to_email, m.context["held"]) for m in told) == [
        ("p0@example.org", "seated"),
        ("p1@example.org", "waiting"),
    ]
    assert told[0].context["session"] == "Eftermiddagens workshop 14.00–15.30: Workshop A"
    remaining = db.session.scalars(select(SessionChoice)).all()
    assert [(c.session_id, c.state) for c in remaining] == [(b.id, ChoiceState.SEATED)]
    assert [
        s.title for s in db.session.get(SessionGroup, group.id, populate_existing=True).sessions
    ] == ["Workshop B"]
