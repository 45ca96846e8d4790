"""Messages to attendees through the outbox, their history, and the email log with resend."""

import html
import re

import pytest
from sqlalchemy import func, select

from seminars import signup
from seminars.extensions import db
from seminars.mail import render
from seminars.models import AuditEvent, OutboxMessage, OutboxStatus, Registration, Status, utcnow
from seminars.organising import messaging
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
        "greeting": False,
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


# ------------------------------------------------------- the greeting, and what is sent


def _preview_text(page: str) -> str:
    """The email's text as the preview page shows it."""
    block = re.search(r'<div class="preserve message-text">(.*?)</div>', page, re.S)[1]
    return html.unescape(block)


def _sent_text(row) -> str:
    email = render.render(row)
    registration = db.session.get(Registration, row.registration_id)
    return email.text.replace(signup.manage_token(registration), "…")


def test_preview_shows_the_email_exactly_as_it_is_sent_greeting_included(client, seminar, people):
    body = "Hej!\n\nVi ses i Aulan."
    response = client.post(
        messages_url(seminar),
        data={
            "audience": "confirmed",
            "subject": "Ny lokal",
            "body": body,
            "greeting": "y",
            "preview": "1",
        },
    )
    shown = _preview_text(response.text)
    assert shown.startswith("Hej Person 0!\n\nHej!\n\nVi ses i Aulan.")
    assert "Så här ser mejlet till Person 0 ut" in response.text
    # The attendee's own link is not shown to the organiser in full.
    assert signup.manage_token(people[0]) not in response.text

    form_id = re.search(r'name="form_id" type="hidden" value="([0-9a-f]{32})"', response.text)[1]
    assert 'name="greeting" value="y"' in response.text
    client.post(
        messages_url(seminar),
        data={
            "audience": "confirmed",
            "subject": "Ny lokal",
            "body": body,
            "greeting": "y",
            "form_id": form_id,
            "send": "1",
        },
    )
    first = message_rows()[0]
    assert first.context["greeting"] is True
    assert _sent_text(first).strip() == shown.strip()


def test_the_greeting_can_be_left_out(client, seminar, people):
    body = "Hej alla!\n\nVi ses i Aulan."
    response = client.post(
        messages_url(seminar),
        data={"audience": "confirmed", "subject": "Ny lokal", "body": body, "preview": "1"},
    )
    shown = _preview_text(response.text)
    assert shown.startswith("Hej alla!")
    assert "Hej Person 0!" not in shown
    form_id = re.search(r'name="form_id" type="hidden" value="([0-9a-f]{32})"', response.text)[1]
    send(client, seminar, form_id, subject="Ny lokal", body=body)
    sent = _sent_text(message_rows()[0])
    assert sent.startswith("Hej alla!") and "Hej Person 0!" not in sent
    # The HTML part follows the same choice.
    assert "Hej Person 0!" not in render.render(message_rows()[0]).html


def test_the_greeting_is_ticked_at_first(client, seminar, people):
    page = client.get(messages_url(seminar)).text
    assert re.search(r'<input[^>]*checked[^>]*id="greeting"', page)
    assert "Inled med en hälsning med namn" in page


def test_older_messages_without_the_choice_keep_their_greeting(client, seminar, people):
    messaging.send_message(
        seminar,
        _organizer(seminar),
        audience="confirmed",
        subject="Gammalt",
        body="Text.",
        form_id="a" * 32,
    )
    row = message_rows()[0]
    row.context = {"subject": "Gammalt", "body": "Text."}  # as queued before the choice
    db.session.commit()
    assert _sent_text(row).startswith("Hej Person 0!")


def _organizer(seminar):
    from seminars.models import Organizer

    return db.session.scalars(select(Organizer)).first()


# ------------------------------------------------------------- a message's progress


def _send_to_everyone(client, seminar):
    _, _, form_id = preview(client, seminar, audience="everyone", subject="Programmet")
    send(client, seminar, form_id, audience="everyone", subject="Programmet")


def _set_statuses(*statuses):
    for row, status in zip(message_rows(), statuses, strict=True):
        row.status = status
    db.session.commit()


def test_a_message_shows_its_progress_until_every_email_is_out(client, seminar, people):
    _send_to_everyone(client, seminar)
    page = client.get(messages_url(seminar)).text
    history = page[page.index('id="message-history"') :]
    assert "0 av 3 skickade, 3 väntar." in history
    assert 'data-refresh="' in page[page.index('<div id="message-history"') :][:200]
    assert '<script src="/static/progress.js" defer></script>' in page

    _set_statuses(OutboxStatus.SENT, OutboxStatus.SENDING, OutboxStatus.FAILED)
    part = client.get(messages_url(seminar), query_string={"part": "history"}).text
    assert part.startswith('<div id="message-history" data-refresh=')
    assert "1 av 3 skickade, 1 väntar." in part and "1 misslyckades" in part
    assert "<html" not in part

    _set_statuses(OutboxStatus.SENT, OutboxStatus.SENT, OutboxStatus.FAILED)
    page = client.get(messages_url(seminar)).text
    history = page[page.index('<div id="message-history"') :]
    assert history.startswith('<div id="message-history">')  # no more refreshing
    assert "Skickat till 2 av 3 personer." in history and "1 misslyckades" in history
    assert 'href="/organizer/seminars/' in history and "status=failed" in history
