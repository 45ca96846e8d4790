"""Seminar changed or cancelled: who is told, and what their calendar does with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from seminars import signup
from seminars.extensions import db
from seminars.mail import delivery, reminders
from seminars.models import OutboxMessage, OutboxStatus, SeminarStatus
from seminars.organising import announcements
from tests.conftest import active_registration, attendee, register
from tests.mail_helpers import calendar_of, calendar_part, event_of, mail_to, text_of

STARTS = datetime(2027, 3, 17, 12, 0, tzinfo=UTC)


@pytest.fixture
def app(mail_app):
    return mail_app


@pytest.fixture
def seminar_with_people(seminar_factory):
    """One seat taken, one person in line, one who cancelled; all confirmations delivered."""
    seminar = seminar_factory(starts_at=STARTS, capacity=1, title="Tillit i styrningen")
    for email in ("seated@example.org", "waiting@example.org", "gone@example.org"):
        register(seminar, attendee(email, language="en"))
    gone = active_registration(seminar, "gone@example.org")
    signup.cancel(gone)
    db.session.commit()
    delivery.deliver_pending()
    return seminar


def test_changed_time_sends_same_uid_with_higher_sequence(seminar_with_people, smtp_server):
    seminar = seminar_with_people
    [confirmation] = mail_to(smtp_server.messages(), "seated@example.org")
    before = event_of(confirmation)
    delivered = len(smtp_server.envelopes)

    seminar.starts_at = STARTS + timedelta(hours=1)
    seminar.ends_at = STARTS + timedelta(hours=4)
    queued = announcements.seminar_changed(seminar, notify=True)
    db.session.commit()
    delivery.deliver_pending()

    assert queued == 2
    changed = smtp_server.messages()[delivered:]
    assert sorted(m["To"].addresses[0].addr_spec for m in changed) == [
        "seated@example.org",
        "waiting@example.org",
    ]
    [seated] = mail_to(changed, "seated@example.org")
    after = event_of(seated)
    assert str(after["uid"]) == str(before["uid"])
    assert after["sequence"] > before["sequence"]
    assert after.decoded("dtstart") == STARTS + timedelta(hours=1)
    assert calendar_of(seated)["method"] == "PUBLISH"
    assert "14:00–17:00" in text_of(seated)
    [waiting] = mail_to(changed, "waiting@example.org")
    assert calendar_part(waiting) is None  # no seat, so nothing to put in a calendar
    assert "still on the waiting list" in text_of(waiting)


def test_change_without_notice_only_raises_the_sequence(seminar_with_people, smtp_server):
    seminar = seminar_with_people
    delivered = len(smtp_server.envelopes)
    sequence = seminar.sequence

    assert announcements.seminar_changed(seminar, notify=False) == 0
    db.session.commit()
    delivery.deliver_pending()

    assert seminar.sequence == sequence + 1
    assert len(smtp_server.envelopes) == delivered


def test_each_change_is_announced_once_per_person(seminar_with_people, smtp_server):
    seminar = seminar_with_people
    delivered = len(smtp_server.envelopes)
    announcements.seminar_changed(seminar, notify=True)
    announcements.seminar_changed(seminar, notify=True)
    db.session.commit()
    delivery.deliver_pending()
    delivery.deliver_pending()
    assert len(smtp_server.envelopes) == delivered + 4  # two changes, two people


def test_cancelled_seminar_sends_method_cancel(seminar_with_people, smtp_server):
    seminar = seminar_with_people
    delivered = len(smtp_server.envelopes)
    [confirmation] = mail_to(smtp_server.messages(), "seated@example.org")

    queued = announcements.cancel_seminar(seminar, "Talaren är sjuk. Vi återkommer med nytt datum.")
    db.session.commit()
    delivery.deliver_pending()

    assert queued == 2
    assert seminar.status == SeminarStatus.CANCELLED
    cancelled = smtp_server.messages()[delivered:]
    [seated] = mail_to(cancelled, "seated@example.org")
    assert seated["Subject"].startswith("Cancelled:")
    assert calendar_part(seated).get_param("method") == "CANCEL"
    assert calendar_of(seated)["method"] == "CANCEL"
    event = event_of(seated)
    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == str(event_of(confirmation)["uid"])
    assert event["sequence"] > event_of(confirmation)["sequence"]
    assert "Talaren är sjuk." in text_of(seated)
    assert mail_to(cancelled, "waiting@example.org")
    assert not mail_to(cancelled, "gone@example.org")


def test_no_reminder_for_a_cancelled_seminar(seminar_with_people, smtp_server):
    seminar = seminar_with_people
    reminders.queue_due_reminders(STARTS - timedelta(hours=1))
    db.session.commit()
    announcements.cancel_seminar(seminar, "")
    db.session.commit()

    delivery.deliver_pending()

    hour_reminder = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("reminder:60:"))
    ).one()
    assert hour_reminder.status == OutboxStatus.MISSED
    assert "no longer published" in hour_reminder.last_error
    assert not any(m["Subject"].startswith("Reminder") for m in smtp_server.messages())
