"""Messages to attendees through the outbox, their history, and the email log with resend."""

import re

import pytest
from sqlalchemy import func, select

from seminars import signup
from seminars.extensions import db
from seminars.models import AuditEvent, OutboxMessage, OutboxStatus, Status, utcnow
from tests.conftest import attendee, log_in, register


@pytest.fixture
def seminar(client, organizer_factory, organization_factory, seminar_factory):
    organizer = organizer_factory(organization_factory("OFR"))
    seminar = seminar_factory(capacity=2, organization=organizer.organizations[0])
    log_in(client, organizer)
    return seminar


@pytest.fixture
def people(seminar):
    """Two with a seat (the first checked in), one waiting, one cancelled."""
    made = []
    for n in range(4):
        made.append(register(seminar, attendee(f"p{n}@example.org", name=f"Person {n}")))
    signup.cancel(made[3])
    made[0].checked_in_at = utcnow()
    db.session.commit()
    return made


def messages_url(seminar):
    return f"/organizer/seminars/{seminar.id}/messages"


def message_rows():
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "message").order_by(OutboxMessage.id)
    ).all()


def preview(
    client,
    seminar,
    audience="confirmed",
    subject="Lokalen har ändrats",
    body="Vi ses i Aulan.\nVälkomna!",
):
    response = client.post(
        messages_url(seminar),
        data={"audience": audience, "subject": subject, "body": body, "preview": "1"},
    )
    text = response.get_data(as_text=True)
    form_id = re.search(r'name="form_id" type="hidden" value="([0-9a-f]{32})"', text)
    return response, text, form_id.group(1) if form_id else None


def send(
    client,
    seminar,
    form_id,
    audience="confirmed",
    subject="Lokalen har ändrats",
    body="Vi ses i Aulan.\nVälkomna!",
):
    return client.post(
        messages_url(seminar),
        data={
            "audience": audience,
            "subject": subject,
            "body": body,
            "form_id": form_id,
            "send": "1",
        },
    )


def test_preview_shows_count_and_text_and_queues_nothing(client, seminar, people):
    response, text, form_id = preview(client, seminar, audience="everyone")
    assert response.status_code == 200
    assert "Lokalen har ändrats" in text and "Vi ses i Aulan." in text
    assert "3" in text and form_id
    assert message_rows() == []


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ("confirmed", ["p0@example.org", "p1@example.org"]),
        ("waiting", ["p2@example.org"]),
        ("checked_in", ["p0@example.org"]),
        ("everyone", ["p0@example.org", "p1@example.org", "p2@example.org"]),
    ],
)
def test_send_queues_one_email_per_recipient(client, seminar, people, audience, expected):
    _, _, form_id = preview(client, seminar, audience=audience)
    response = send(client, seminar, form_id, audience=audience)
    assert response.status_code == 303
    rows = message_rows()
    assert [row.to_email for row in rows] == expected
    event_id = db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "messaged"))
    assert [row.dedupe_key for row in rows] == [
        f"message:{event_id}:{row.registration_id}" for row in rows
    ]
    assert rows[0].context == {
        "subject": "Lokalen har ändrats",
        "body": "Vi ses i Aulan.\nVälkomna!",
    }


def test_sending_the_same_preview_twice_mails_once(client, seminar, people):
    _, _, form_id = preview(client, seminar)
    send(client, seminar, form_id)
    send(client, seminar, form_id)
    assert len(message_rows()) == 2
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 1


def test_history_lists_sent_messages_with_counts(client, seminar, people):
    _, _, form_id = preview(client, seminar, audience="everyone", subject="Programmet är klart")
    send(client, seminar, form_id, audience="everyone", subject="Programmet är klart")
    page = client.get(messages_url(seminar)).get_data(as_text=True)
    history = page[page.index('id="history-heading"') :]
    assert "Programmet är klart" in history
    assert "3 personer" in history or "3 people" in history


def test_empty_subject_is_refused_with_the_text_kept(client, seminar, people):
    response, text, form_id = preview(client, seminar, subject="")
    assert response.status_code == 422 and form_id is None
    assert "Vi ses i Aulan." in text
    assert message_rows() == []


def test_nobody_to_send_to_sends_nothing(client, seminar):
    _, text, form_id = preview(client, seminar, audience="waiting")
    assert 'name="send"' not in text
    assert send(client, seminar, form_id or "0" * 32, audience="waiting").status_code == 409
    assert message_rows() == []


# ---------------------------------------------------------------------------- email log


def emails_url(seminar, *rest):
    return "/".join([f"/organizer/seminars/{seminar.id}/emails", *map(str, rest)])


def test_email_log_lists_every_email_and_filters_by_status(client, seminar, people):
    failed = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.to_email == "p1@example.org")
    )
    failed.status, failed.attempts, failed.last_error = (
        OutboxStatus.FAILED,
        5,
        "550 mailbox unavailable",
    )
    db.session.commit()
    everything = client.get(emails_url(seminar)).get_data(as_text=True)
    assert all(f"p{n}@example.org" in everything for n in range(4))
    only_failed = client.get(emails_url(seminar), query_string={"status": "failed"}).get_data(
        as_text=True
    )
    assert "550 mailbox unavailable" in only_failed
    assert "p2@example.org" not in only_failed
    assert f'action="{emails_url(seminar, failed.id, "resend")}"' in only_failed


def test_resend_puts_a_failed_email_back_in_line_and_audits(client, seminar, people):
    failed = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.to_email == "p1@example.org")
    )
    failed.status, failed.attempts, failed.last_error = OutboxStatus.FAILED, 5, "timeout"
    db.session.commit()
    response = client.post(emails_url(seminar, failed.id, "resend"))
    assert response.status_code == 303
    db.session.refresh(failed)
    assert (failed.status, failed.attempts) == (OutboxStatus.PENDING, 5)
    assert failed.next_attempt_at <= utcnow()
    assert db.session.scalar(select(AuditEvent.action)) == "resent"


def test_a_sent_email_cannot_be_resent(client, seminar, people):
    sent = db.session.scalar(select(OutboxMessage))
    sent.status = OutboxStatus.SENT
    db.session.commit()
    client.post(emails_url(seminar, sent.id, "resend"))
    db.session.refresh(sent)
    assert sent.status == OutboxStatus.SENT
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_email_of_another_seminar_is_not_found(client, seminar, seminar_factory):
    other = seminar_factory(organization=seminar.organization)
    registration = register(other, attendee("x@example.org"))
    db.session.commit()
    mail = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.registration_id == registration.id)
    )
    assert client.post(emails_url(seminar, mail.id, "resend")).status_code == 404
    assert registration.status == Status.CONFIRMED
