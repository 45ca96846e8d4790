"""Parallel sessions on the public pages: the signup form asks one choice per time slot
(`session-<group id>`), shows a full session, enforces a required one; the attendee's page
changes the choice or waits for a full session; the mails name the sessions."""

from __future__ import annotations

from sqlalchemy import select

from seminars import signup
from seminars.extensions import db
from seminars.mail import render
from seminars.models import ChoiceState, OutboxMessage, Registration, SessionChoice
from tests.conftest import attendee
from tests.test_parallel_sessions import add_workshops, choice_of
from tests.test_public import SIGNUP, english, manage_path, post_signup


def fill(seminar, group, index: int, count: int) -> None:
    for i in range(count):
        signup.sign_up(
            seminar.id,
            attendee(f"fill{index}-{i}@example.org"),
            sessions={group.id: group.sessions[index].id},
        )
    db.session.commit()


def test_the_form_asks_for_a_session_and_marks_a_full_one(client, seminar_factory):
    seminar = seminar_factory(capacity=20)
    group = add_workshops(seminar, capacities=(1, 3))
    fill(seminar, group, 0, 1)
    page = client.get(f"/seminars/{seminar.slug}").text
    assert "Eftermiddagens workshop 14.00–15.30" in page
    assert f'name="session-{group.id}"' in page
    assert "Workshop A, Sal 1 – fullt, väntelista" in page
    assert "Workshop B, Sal 2</label>" in page


def test_the_form_in_english(client, seminar_factory):
    seminar = seminar_factory(capacity=20)
    group = add_workshops(seminar, capacities=(1, 3))
    fill(seminar, group, 0, 1)
    page = english(client).get(f"/seminars/{seminar.slug}").text
    assert "Workshop A, Sal 1 – full, waiting list" in page


def test_a_required_time_slot_must_be_chosen_and_the_answers_stay(client, seminar_factory):
    seminar = seminar_factory(capacity=20)
    add_workshops(seminar)
    response = post_signup(client, seminar)
    assert response.status_code == 422
    assert "Välj en av sessionerna." in response.text
    assert f'value="{SIGNUP["name"]}"' in response.text
    assert db.session.scalars(select(Registration)).all() == []


def test_the_choice_goes_through_the_signup(client, seminar_factory):
    seminar = seminar_factory(capacity=20)
    group = add_workshops(seminar, capacities=(1, 3))
    fill(seminar, group, 0, 1)
    path = manage_path(
        post_signup(client, seminar, **{f"session-{group.id}": str(group.sessions[0].id)})
    )
    registration = db.session.scalar(select(Registration).order_by(Registration.id.desc()))
    assert choice_of(registration.id).state == ChoiceState.WAITING
    page = client.get(path).text
    assert "Du står på väntelistan till Workshop A, Sal 1 – plats 1." in page

    # The confirmation names the session and the place in its line.
    mail = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.registration_id == registration.id, OutboxMessage.kind == "confirmed"
        )
    )
    text = render.render(mail).text
    assert "Eftermiddagens workshop 14.00–15.30: Workshop A, Sal 1 (väntelista)" in text


def test_a_full_session_without_waiting_list_cannot_be_chosen(client, seminar_factory):
    seminar = seminar_factory(capacity=20)
    group = add_workshops(seminar, capacities=(1, 3), waitlist=False)
    fill(seminar, group, 0, 1)
    page = client.get(f"/seminars/{seminar.slug}").text
    assert (
        f'disabled id="session-{group.id}-0"' in page
        or "disabled" in page.split("Workshop A, Sal 1 – fullt")[0][-300:]
    )
    response = post_signup(client, seminar, **{f"session-{group.id}": str(group.sessions[0].id)})
    assert response.status_code == 409
    assert "har ingen väntelista" in response.text


def test_the_attendee_changes_session_or_waits_for_a_full_one(client, seminar_factory):
    seminar = seminar_factory(capacity=20)
    group = add_workshops(seminar, capacities=(2, 1))
    a, b = group.sessions
    path = manage_path(post_signup(client, seminar, **{f"session-{group.id}": str(a.id)}))
    registration = db.session.scalar(select(Registration).order_by(Registration.id.desc()))

    # B has a free seat: the change is made at once.
    response = client.post(f"{path}/sessions/{group.id}", data={"session": str(b.id)})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "Klart: du har en plats i sessionen du valde." in page
    assert "Du har en plats i Workshop B, Sal 2." in page

    # Back to A, then someone fills B: waiting for B keeps the seat in A.
    client.post(f"{path}/sessions/{group.id}", data={"session": str(a.id)})
    fill(seminar, group, 1, 1)
    response = client.post(f"{path}/sessions/{group.id}", data={"session": str(b.id)})
    page = client.get(response.headers["Location"]).text
    assert "Du behåller din nuvarande plats" in page
    assert "Du väntar på att byta till Workshop B, Sal 2 – plats 1 i kön." in page
    assert choice_of(registration.id).session_id == a.id

    # B's seat frees: moved by itself, and told.
    taker = db.session.scalar(
        select(SessionChoice).where(
            SessionChoice.session_id == b.id, SessionChoice.state == "seated"
        )
    )
    signup.cancel(db.session.get(Registration, taker.registration_id))
    db.session.commit()
    assert choice_of(registration.id).session_id == b.id
    page = client.get(path).text
    assert "Du har en plats i Workshop B, Sal 2." in page
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "session_seat"))
    text = render.render(mail).text
    assert "En plats blev ledig i sessionen du väntade på" in text
    assert "Eftermiddagens workshop 14.00–15.30: Workshop B, Sal 2" in text


def test_an_optional_time_slot_can_be_left_without_a_session(client, seminar_factory):
    seminar = seminar_factory(capacity=20)
    group = add_workshops(seminar, required=False)
    page = client.get(f"/seminars/{seminar.slug}").text
    assert "Ingen session under det här passet" in page and "Frivilligt." in page
    manage_path(post_signup(client, seminar, **{f"session-{group.id}": "none"}))
    registration = db.session.scalar(select(Registration).order_by(Registration.id.desc()))
    assert choice_of(registration.id) is None


def test_a_time_slot_for_those_on_site_is_asked_of_them_alone(client, seminar_factory):
    """A group limited to one mode (issue 15, item 3): required of those on site, and an
    online participant neither must choose nor gets a seat in it."""
    seminar = seminar_factory(capacity=20, mode="hybrid", online_capacity=None)
    group = add_workshops(seminar)
    group.mode = "onsite"
    db.session.commit()
    page = client.get(f"/seminars/{seminar.slug}").text
    assert "Bara för dem som deltar på plats." in page

    on_site = post_signup(client, seminar, mode="onsite")
    assert on_site.status_code == 422
    assert "Välj en av sessionerna." in on_site.text

    workshop = str(group.sessions[0].id)
    manage_path(post_signup(client, seminar, mode="online", **{f"session-{group.id}": workshop}))
    online = db.session.scalar(select(Registration).order_by(Registration.id.desc()))
    assert online.mode == "online"
    assert choice_of(online.id) is None
    assert group.sessions[0].seats_taken == 0
