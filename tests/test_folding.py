"""One mail where there would be three (issue 13, item 5): a seat from the waiting list
shortly before a reminder or the "Kommer du fortfarande?" check carries their content, and
they are not sent on their own (seminars/mail/folding.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from seminars import signup
from seminars.extensions import db
from seminars.models import OutboxMessage, OutboxStatus, Registration, Status
from tests.conftest import attendee, register
from tests.mail_helpers import BASE_URL, html_of, mail_to, text_of

STARTS = datetime(2026, 10, 14, 11, 0, tzinfo=UTC)  # Wednesday 14 October 2026, 13.00
REMINDER = (
    "Seminariet är snart, onsdag 14 oktober 2026 kl. 13.00, så det här mejlet är också din "
    "påminnelse."
)


@pytest.fixture
def app(mail_app):
    return mail_app


TITLE = "Tillit i praktiken"


@pytest.fixture
def seminar(seminar_factory):
    return seminar_factory(
        title=TITLE,
        starts_at=STARTS,
        capacity=1,
        reminder_offsets=[1440, 60],
        attendance_check_days=1,
    )


@pytest.fixture
def people(seminar):
    """Anna has the one seat, Bo waits for it; both signed up weeks ahead."""
    weeks_ahead = STARTS - timedelta(days=30)
    anna = register(seminar, attendee("anna@example.org", name="Anna"), now=weeks_ahead)
    bo = register(seminar, attendee("bo@example.org", name="Bo Berg"), now=weeks_ahead)
    db.session.commit()
    return anna.id, bo.id


def run_worker(runner, at: datetime):
    with time_machine.travel(at, tick=False):
        result = runner.invoke(args=["seminars", "worker", "--once"])
    assert result.exit_code == 0, result.output
    return result


def cancel(registration_id: int, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        promoted = signup.cancel(db.session.get(Registration, registration_id), now=at)
        db.session.commit()
    assert [person.email for person in promoted] == ["bo@example.org"]


def words(text: str) -> str:
    return " ".join(text.split())


def test_a_seat_the_day_before_comes_in_one_mail_with_the_reminder_and_the_check(
    seminar, people, runner, smtp_server, client
):
    anna, bo = people
    run_worker(runner, STARTS - timedelta(days=30))  # the confirmation and the place in line
    sent_before = len(smtp_server.messages())
    seat_given = STARTS - timedelta(hours=20)

    cancel(anna, seat_given)
    run_worker(runner, seat_given + timedelta(seconds=30))
    run_worker(runner, STARTS - timedelta(hours=1))  # the hour reminder's time

    to_bo = mail_to(smtp_server.messages()[sent_before:], "bo@example.org")
    assert [mail["Subject"] for mail in to_bo] == [f"Du har fått en plats: {TITLE}"]
    [seat] = to_bo
    text = words(text_of(seat))
    assert REMINDER in text and REMINDER in words(html_of(seat))
    assert "Kommer du fortfarande?" in text and "Kommer du fortfarande?" in html_of(seat)
    yes_path = next(
        line.strip().removeprefix(BASE_URL)
        for line in text_of(seat).splitlines()
        if line.strip().startswith(BASE_URL) and line.strip().endswith("/attendance/yes")
    )
    # The reminders and the check are recorded as carried by the seat mail, never sent.
    statuses = dict(
        db.session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.status).where(
                OutboxMessage.registration_id == bo
            )
        ).all()
    )
    assert statuses[f"reminder:1440:{bo}"] == OutboxStatus.FOLDED
    assert statuses[f"reminder:60:{bo}"] == OutboxStatus.FOLDED
    assert statuses[f"attendance_check:{bo}"] == OutboxStatus.FOLDED
    assert statuses[f"promoted:{bo}"] == OutboxStatus.SENT
    # The check's one-click answer in the seat mail works.
    assert client.post(yes_path).status_code == 200
    db.session.expire_all()
    assert db.session.get(Registration, bo).attendance_answer == "yes"


def test_a_seat_two_days_before_leaves_the_reminder_and_the_check_to_their_time(
    seminar, people, runner, smtp_server
):
    anna, bo = people
    run_worker(runner, STARTS - timedelta(days=30))
    sent_before = len(smtp_server.messages())
    seat_given = STARTS - timedelta(hours=50)

    cancel(anna, seat_given)
    run_worker(runner, seat_given + timedelta(seconds=30))
    [seat] = mail_to(smtp_server.messages()[sent_before:], "bo@example.org")
    run_worker(runner, STARTS - timedelta(hours=24) + timedelta(seconds=30))

    assert "påminnelse" not in text_of(seat) and "Kommer du fortfarande?" not in text_of(seat)
    later = mail_to(smtp_server.messages()[sent_before + 2 :], "bo@example.org")
    assert sorted(mail["Subject"] for mail in later) == [
        f"Kommer du fortfarande? {TITLE}",
        f"Påminnelse: {TITLE}",
    ]
    assert db.session.get(Registration, bo).status == Status.CONFIRMED


def test_the_person_page_says_the_reminder_went_with_the_seat(
    seminar, people, runner, client, organizer_factory
):
    from tests.conftest import log_in

    anna, bo = people
    cancel(anna, STARTS - timedelta(hours=20))
    seminar_id = seminar.id
    log_in(client, organizer_factory(seminar.organization))

    page = client.get(f"/organizer/seminars/{seminar_id}/attendees/{bo}").get_data(as_text=True)

    assert page.count("Ingick i mejlet om platsen") == 3
