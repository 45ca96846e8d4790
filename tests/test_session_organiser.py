"""The organiser's side of parallel sessions: the list filtered by session, manual add and
import asking for one, check-in at a session's door, a message to one session, exports
with a column per time slot, a sign-in list per session and badges with the session."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from seminars import signup
from seminars.extensions import db
from seminars.models import ChoiceState, OutboxMessage, Registration, SessionChoice
from tests.conftest import attendee, log_in
from tests.test_messages import preview, send
from tests.test_parallel_sessions import add_workshops


@pytest.fixture
def organizer(organizer_factory, organization_factory):
    return organizer_factory(organization_factory("OFR"))


@pytest.fixture
def workshops(seminar_factory, organizer):
    """A in Sal 1 (2 seats) holds Anna and Bo, Cecilia waits for it; Dan is in B."""
    seminar = seminar_factory(organization=organizer.organizations[0], capacity=20)
    group = add_workshops(seminar, capacities=(2, 5))
    a, b = group.sessions
    for name, session in (("Anna", a), ("Bo", a), ("Cecilia", a), ("Dan", b)):
        signup.sign_up(
            seminar.id,
            attendee(f"{name.lower()}@example.org", name=f"{name} Test"),
            sessions={group.id: session.id},
        )
    db.session.commit()
    return seminar, group


@pytest.fixture
def signed_in(client, organizer):
    log_in(client, organizer)
    return client


def test_the_attendee_list_filters_by_session(signed_in, workshops):
    seminar, group = workshops
    a = group.sessions[0]
    page = signed_in.get(f"/organizer/seminars/{seminar.id}/attendees?session={a.id}").text
    assert "Anna Test" in page and "Cecilia Test" in page and "Dan Test" not in page
    assert "Workshop A (väntelista)" in page
    assert "3 personer visas." in page
    overview = signed_in.get(f"/organizer/seminars/{seminar.id}/sessions").text
    assert "2 av 2" in overview and "Fullt" in overview


def test_check_in_at_the_door_of_one_session(signed_in, workshops):
    seminar, group = workshops
    b = group.sessions[1]
    page = signed_in.get(f"/organizer/seminars/{seminar.id}/checkin?session={b.id}").text
    assert "Dan Test" in page and "Anna Test" not in page
    assert "Eftermiddagens workshop 14.00–15.30: Workshop B, Sal 2" in page


def test_a_message_to_one_session_reaches_those_seated_in_it(signed_in, workshops):
    seminar, group = workshops
    audience = f"session-{group.sessions[0].id}"
    page = signed_in.get(f"/organizer/seminars/{seminar.id}/messages").text
    assert "Alla med plats i Eftermiddagens workshop 14.00–15.30: Workshop A (2 personer)" in page
    response, text, form_id = preview(signed_in, seminar, audience=audience)
    assert form_id and "2 personer" in text
    assert send(signed_in, seminar, form_id, audience=audience).status_code == 303
    sent = db.session.scalars(
        select(OutboxMessage.to_email).where(OutboxMessage.kind == "message")
    ).all()
    assert sorted(sent) == ["anna@example.org", "bo@example.org"]


def test_exports_have_a_column_per_time_slot_a_list_per_session_and_badges(signed_in, workshops):
    seminar, group = workshops
    a = group.sessions[0]
    base = f"/organizer/seminars/{seminar.id}/exports"
    rows = list(
        csv.reader(
            io.StringIO(signed_in.get(f"{base}/attendees.csv?status=all").text.lstrip("\ufeff")),
            delimiter=";",
        )
    )
    assert rows[0][-1] == "Eftermiddagens workshop 14.00–15.30"
    by_name = {row[0]: row[-1] for row in rows[1:]}
    assert by_name == {
        "Anna Test": "Workshop A",
        "Bo Test": "Workshop A",
        "Cecilia Test": "Workshop A (väntelista)",
        "Dan Test": "Workshop B",
    }
    listed = signed_in.get(f"{base}/list?session={a.id}").text
    assert "Eftermiddagens workshop 14.00–15.30: Workshop A, Sal 1" in listed
    assert "Anna Test" in listed and "Dan Test" not in listed
    assert (
        "Närvarolista för Eftermiddagens workshop 14.00–15.30: Workshop A"
        in signed_in.get(f"{base}/").text
    )
    badges = signed_in.get(f"{base}/badges").text
    assert '<p class="badge-session">Workshop B</p>' in badges


def test_add_a_person_and_import_into_a_session(signed_in, workshops):
    seminar, group = workshops
    b = group.sessions[1]
    response = signed_in.post(
        f"/organizer/seminars/{seminar.id}/attendees/new",
        data={"name": "Eva Test", "email": "eva@example.org", f"session-{group.id}": str(b.id)},
    )
    assert response.status_code == 303
    eva = db.session.scalar(select(Registration).where(Registration.email == "eva@example.org"))
    choice = db.session.scalar(select(SessionChoice).where(SessionChoice.registration_id == eva.id))
    assert (choice.session_id, choice.state) == (b.id, ChoiceState.SEATED)

    url = f"/organizer/seminars/{seminar.id}/attendees/import"
    page = signed_in.post(url, data={"text": "Fia Test <fia@example.org>", "preview": "1"}).text
    assert f'name="session-{group.id}"' in page
    signed_in.post(
        url,
        data={
            "text": "Fia Test <fia@example.org>",
            "source": "paste",
            "confirm": "1",
            f"session-{group.id}": str(b.id),
        },
    )
    fia = db.session.scalar(select(Registration).where(Registration.email == "fia@example.org"))
    choice = db.session.scalar(select(SessionChoice).where(SessionChoice.registration_id == fia.id))
    assert choice.session_id == b.id


def test_the_catering_summary_counts_each_session(client, organizer, workshops):
    """The fika summary by session (issue 15, item 4): those seated in each, not those
    waiting for it."""
    from seminars.exports import printed

    seminar, _ = workshops
    summary = printed.catering_summary(db.session, seminar)
    assert summary.by_session == [
        ("Eftermiddagens workshop 14.00–15.30", "Workshop A, Sal 1", 2),
        ("Eftermiddagens workshop 14.00–15.30", "Workshop B, Sal 2", 1),
    ]
    log_in(client, organizer)
    page = client.get(f"/organizer/seminars/{seminar.id}/exports/catering").text
    assert "Per session" in page and "<td>Workshop A, Sal 1</td><td>2</td>" in page
