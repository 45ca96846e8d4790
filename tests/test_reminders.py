"""Reminders and "Kommer du fortfarande?": when they are due, who gets them, and answers."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from seminars import dates, signup
from seminars.extensions import db
from seminars.mail import delivery, reminders
from seminars.models import OutboxMessage, OutboxStatus, Status
from tests.conftest import attendee, register
from tests.mail_helpers import event_of, html_of, links_in, manage_path, text_of

DAY, HOUR = 1440, 60


@pytest.fixture
def app(mail_app):
    return mail_app


def sign_up(seminar, email, at, **fields):
    registration = register(seminar, attendee(email, **fields), now=at)
    db.session.commit()
    return registration


def reminder_rows(offset=None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.kind == "reminder")
    if offset is not None:
        query = query.where(OutboxMessage.dedupe_key.startswith(f"reminder:{offset}:"))
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def queue_reminders(now):
    report = reminders.queue_due_reminders(now)
    db.session.commit()
    return report


def test_day_reminder_across_spring_dst_switch_is_exactly_24_hours_before(seminar_factory):
    # Sunday 29 March 2026 10.00 in Stockholm is already summer time (CEST, UTC+2).
    starts = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    seminar = seminar_factory(starts_at=starts)
    registration = sign_up(seminar, "a@example.org", at=datetime(2026, 3, 20, tzinfo=UTC))
    due = datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert dates.local(due).strftime("%d %H.%M") == "28 09.00"  # still winter time that day

    assert queue_reminders(due - timedelta(minutes=1)).queued == 0
    assert queue_reminders(due).queued == 1

    [row] = reminder_rows(DAY)
    assert row.dedupe_key == f"reminder:{DAY}:{registration.id}"
    assert row.status == OutboxStatus.PENDING
    hour_due = datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 09.00 CEST, one hour before
    assert queue_reminders(hour_due - timedelta(seconds=1)).queued == 0
    assert queue_reminders(hour_due).queued == 1


def test_day_reminder_across_autumn_dst_switch_is_exactly_24_hours_before(seminar_factory):
    # Sunday 25 October 2026 10.00 in Stockholm is winter time again (CET, UTC+1).
    starts = datetime(2026, 10, 25, 9, 0, tzinfo=UTC)
    seminar = seminar_factory(starts_at=starts)
    sign_up(seminar, "a@example.org", at=datetime(2026, 10, 1, tzinfo=UTC))
    due = datetime(2026, 10, 24, 9, 0, tzinfo=UTC)
    assert dates.local(due).strftime("%d %H.%M") == "24 11.00"  # summer time the day before

    assert queue_reminders(due - timedelta(minutes=1)).queued == 0
    assert queue_reminders(due).queued == 1
    assert len(reminder_rows(DAY)) == 1


def test_worker_sends_the_reminder_at_its_time(seminar_factory, runner, smtp_server):
    starts = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # Monday 30 March 2026 09.00 CEST
    seminar = seminar_factory(starts_at=starts)
    sign_up(seminar, "a@example.org", at=datetime(2026, 3, 1, tzinfo=UTC), language="en")
    delivery.deliver_pending(now=datetime(2026, 3, 1, 0, 1, tzinfo=UTC))  # the confirmation
    confirmation_count = len(smtp_server.envelopes)

    with time_machine.travel(datetime(2026, 3, 29, 6, 59, tzinfo=UTC), tick=False):
        early = runner.invoke(args=["seminars", "worker", "--once"])
    with time_machine.travel(datetime(2026, 3, 29, 7, 0, 30, tzinfo=UTC), tick=False):
        on_time = runner.invoke(args=["seminars", "worker", "--once"])
        again = runner.invoke(args=["seminars", "worker", "--once"])

    assert "reminders queued 0" in early.output
    assert "reminders queued 1" in on_time.output and "mail sent 1" in on_time.output
    assert "reminders queued 0" in again.output and "mail sent 0" in again.output
    [reminder] = smtp_server.messages()[confirmation_count:]
    assert reminder["Subject"].startswith("Reminder:")
    assert "Monday 30 March 2026, 09:00" in text_of(reminder)
    assert manage_path(reminder)
    assert event_of(reminder).decoded("dtstart") == starts


def test_registration_after_a_reminder_time_does_not_get_that_reminder(seminar_factory):
    starts = datetime(2026, 5, 20, 11, 0, tzinfo=UTC)
    seminar = seminar_factory(starts_at=starts)
    early = sign_up(seminar, "early@example.org", at=datetime(2026, 5, 1, tzinfo=UTC))
    day_due = starts - timedelta(days=1)
    late = sign_up(seminar, "late@example.org", at=day_due + timedelta(minutes=1))

    queue_reminders(day_due + timedelta(minutes=2))
    queue_reminders(starts - timedelta(hours=1))

    assert [r.registration_id for r in reminder_rows(DAY)] == [early.id]
    assert [r.registration_id for r in reminder_rows(HOUR)] == [early.id, late.id]


def test_long_overdue_reminders_are_recorded_as_missed_not_sent(app, seminar_factory, smtp_server):
    starts = datetime(2026, 5, 20, 11, 0, tzinfo=UTC)
    seminar = seminar_factory(starts_at=starts)
    sign_up(seminar, "a@example.org", at=datetime(2026, 5, 1, tzinfo=UTC), language="en")
    grace = timedelta(minutes=app.config["REMINDER_GRACE_MINUTES"])
    day_due = starts - timedelta(days=1)

    report = queue_reminders(day_due + grace + timedelta(minutes=1))  # worker was down

    assert (report.queued, report.missed) == (0, 1)
    [row] = reminder_rows(DAY)
    assert row.status == OutboxStatus.MISSED
    delivery.deliver_pending()
    assert [m["Subject"].split(":")[0] for m in smtp_server.messages()] == ["You are registered"]
    assert reminder_rows(DAY)[0].status == OutboxStatus.MISSED


def test_reminder_just_within_grace_is_still_sent(app, seminar_factory):
    starts = datetime(2026, 5, 20, 11, 0, tzinfo=UTC)
    seminar = seminar_factory(starts_at=starts)
    sign_up(seminar, "a@example.org", at=datetime(2026, 5, 1, tzinfo=UTC))
    grace = timedelta(minutes=app.config["REMINDER_GRACE_MINUTES"])

    assert queue_reminders(starts - timedelta(days=1) + grace).queued == 1
    assert reminder_rows(DAY)[0].status == OutboxStatus.PENDING


def test_reminders_go_to_confirmed_people_only_and_once(seminar_factory):
    starts = datetime(2026, 5, 20, 11, 0, tzinfo=UTC)
    seminar = seminar_factory(starts_at=starts, capacity=2)
    signup_time = datetime(2026, 5, 1, tzinfo=UTC)
    confirmed = sign_up(seminar, "a@example.org", at=signup_time)
    leaving = sign_up(seminar, "b@example.org", at=signup_time)
    sign_up(seminar, "c@example.org", at=signup_time)  # waiting, then promoted
    sign_up(seminar, "d@example.org", at=signup_time)  # still waiting
    signup.cancel(leaving, now=signup_time)
    db.session.commit()

    due = starts - timedelta(days=1)
    queue_reminders(due)
    queue_reminders(due + timedelta(minutes=5))

    rows = reminder_rows(DAY)
    assert [row.to_email for row in rows] == ["a@example.org", "c@example.org"]
    assert rows[0].registration_id == confirmed.id


def test_reminder_offsets_are_per_seminar(seminar_factory):
    starts = datetime(2026, 5, 20, 11, 0, tzinfo=UTC)
    seminar = seminar_factory(starts_at=starts, reminder_offsets=[3 * DAY])
    sign_up(seminar, "a@example.org", at=datetime(2026, 5, 1, tzinfo=UTC))
    assert queue_reminders(starts - timedelta(days=3)).queued == 1
    queue_reminders(starts - timedelta(minutes=30))
    assert [row.dedupe_key.split(":")[1] for row in reminder_rows()] == [str(3 * DAY)]


def test_attendance_check_is_queued_n_days_before_for_confirmed_people(seminar_factory):
    starts = datetime(2026, 5, 20, 11, 0, tzinfo=UTC)
    seminar = seminar_factory(starts_at=starts, capacity=1, attendance_check_days=3)
    confirmed = sign_up(seminar, "a@example.org", at=datetime(2026, 5, 1, tzinfo=UTC))
    sign_up(seminar, "b@example.org", at=datetime(2026, 5, 1, tzinfo=UTC))  # waiting
    due = starts - timedelta(days=3)

    assert reminders.queue_due_attendance_checks(due - timedelta(minutes=1)).queued == 0
    assert reminders.queue_due_attendance_checks(due).queued == 1
    assert reminders.queue_due_attendance_checks(due + timedelta(hours=1)).queued == 0
    db.session.commit()
    [row] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "attendance_check")
    ).all()
    assert row.dedupe_key == f"attendance_check:{confirmed.id}"


def test_no_attendance_check_unless_the_organiser_asks(seminar_factory):
    starts = datetime(2026, 5, 20, 11, 0, tzinfo=UTC)
    seminar = seminar_factory(starts_at=starts)
    sign_up(seminar, "a@example.org", at=datetime(2026, 5, 1, tzinfo=UTC))
    assert reminders.queue_due_attendance_checks(starts - timedelta(hours=2)).queued == 0


def attendance_links(app, seminar, smtp_server, email):
    """Deliver the attendance check and return its yes and no paths."""
    delivery.deliver_pending()
    [mail] = [
        m
        for m in smtp_server.messages()
        if m["To"].addresses[0].addr_spec == email and "still coming" in m["Subject"]
    ]
    paths = links_in(mail)
    yes = next(p for p in paths if p.endswith("/attendance/yes"))
    no = next(p for p in paths if p.endswith("/attendance/no"))
    return yes, no


def test_i_cannot_come_cancels_and_promotes_the_first_waiting(
    app, client, seminar_factory, smtp_server
):
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3, hours=-1)
    seminar = seminar_factory(starts_at=starts, capacity=1, attendance_check_days=3)
    earlier = datetime.now(UTC) - timedelta(days=1)
    confirmed = sign_up(seminar, "a@example.org", at=earlier, language="en")
    first_waiting = sign_up(seminar, "b@example.org", at=earlier)
    second_waiting = sign_up(seminar, "c@example.org", at=earlier)
    reminders.queue_due_attendance_checks(datetime.now(UTC))
    db.session.commit()
    _, no = attendance_links(app, seminar, smtp_server, "a@example.org")

    # A mail scanner following the link changes nothing.
    page = client.get(no)
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("<button") == 1
    db.session.expire_all()
    assert confirmed.status == Status.CONFIRMED and confirmed.attendance_answer is None

    answered = client.post(no)

    assert answered.status_code == 200
    db.session.expire_all()
    assert confirmed.status == Status.CANCELLED
    assert confirmed.attendance_answer == "no"
    assert first_waiting.status == Status.CONFIRMED
    assert second_waiting.status == Status.WAITING
    promoted = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "promoted", OutboxMessage.registration_id == first_waiting.id
        )
    ).all()
    assert len(promoted) == 1


def test_yes_i_am_coming_is_recorded(app, client, seminar_factory, smtp_server):
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3, hours=-1)
    seminar = seminar_factory(starts_at=starts, attendance_check_days=3)
    registration = sign_up(
        seminar, "a@example.org", at=datetime.now(UTC) - timedelta(days=1), language="en"
    )
    reminders.queue_due_attendance_checks(datetime.now(UTC))
    db.session.commit()
    yes, _ = attendance_links(app, seminar, smtp_server, "a@example.org")

    assert client.post(yes).status_code == 200

    db.session.expire_all()
    assert registration.attendance_answer == "yes"
    assert registration.status == Status.CONFIRMED


def test_attendance_answer_needs_a_valid_link(client):
    assert client.get("/r/not-a-token/attendance/no").status_code == 404
    assert client.post("/r/not-a-token/attendance/no").status_code == 404


def test_each_reminder_carries_its_own_name_and_link(client, seminar_factory, smtp_server):
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    seminar = seminar_factory(starts_at=starts)
    earlier = datetime.now(UTC) - timedelta(days=1)
    people = {
        "asa@example.org": "Åsa Plesner",
        "bo@example.org": "Bo <B&B> Berg",
        "cy@example.org": "Cy Persson",
    }
    for email, name in people.items():
        sign_up(seminar, email, at=earlier, name=name, language="en")
    queue_reminders(datetime.now(UTC))

    delivery.deliver_pending()

    reminders_sent = [m for m in smtp_server.messages() if m["Subject"].startswith("Reminder")]
    assert len(reminders_sent) == 3
    links = set()
    for mail in reminders_sent:
        address = mail["To"].addresses[0].addr_spec
        name = people[address]
        assert f"Hello {name}," in text_of(mail)
        assert all(other not in text_of(mail) for other in people.values() if other != name)
        if "<" in name:
            assert "Bo &lt;B&amp;B&gt; Berg" in html_of(mail)
        page = client.get(manage_path(mail))
        assert name in html.unescape(page.get_data(as_text=True))
        links.add(manage_path(mail))
    assert len(links) == 3
