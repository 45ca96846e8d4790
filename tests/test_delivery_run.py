"""A worker pass sends its batches over one SMTP connection, marks each row sent before the
next mail can be accepted, and renders a seminar's text once unless the seminar changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from seminars import worker
from seminars.extensions import db
from seminars.mail import reminders, render
from seminars.models import OutboxMessage, OutboxStatus
from tests.conftest import LocalSMTPServer, attendee, register

PEOPLE = 7


@pytest.fixture
def app(mail_app):
    return mail_app


def _reminders_due(seminar_factory, **fields):
    """A seminar whose day reminder fell due a minute ago, with PEOPLE signed up a week ago."""
    now = datetime.now(UTC)
    seminar = seminar_factory(starts_at=now + timedelta(days=1, minutes=-1), **fields)
    for number in range(PEOPLE):
        register(seminar, attendee(f"p{number}@example.org"), now=now - timedelta(days=7))
    db.session.commit()
    return seminar


class CheckingServer(LocalSMTPServer):
    """Counts, as each mail arrives, the rows already marked sent; remembers its sessions."""

    def __init__(self, engine):
        super().__init__()
        self.engine = engine
        self.sent_before: list[tuple[int, int]] = []
        self.sessions: list = []

    async def handle_DATA(self, server, session, envelope):
        if not any(known is session for known in self.sessions):
            self.sessions.append(session)
        with self.engine.connect() as connection:
            sent = connection.scalar(
                select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
            )
        self.sent_before.append((len(self.envelopes), sent))
        return await super().handle_DATA(server, session, envelope)


def test_each_row_is_marked_sent_before_the_next_mail_and_a_pass_uses_one_connection(
    app, seminar_factory
):
    _reminders_due(seminar_factory)
    server = CheckingServer(db.engine)
    server.start()
    app.extensions["mail"].port = server.port
    app.config["OUTBOX_BATCH_SIZE"] = 3  # confirmations and reminders: five batches
    try:
        summary = worker.run_pass()
    finally:
        server.stop()

    assert summary.reminders.queued == PEOPLE
    assert summary.delivery.sent == 2 * PEOPLE == len(server.envelopes)
    # When a mail arrives, every mail the server accepted before it is recorded as sent:
    # a worker that dies can leave only the mail in flight unrecorded.
    assert server.sent_before == [(accepted, accepted) for accepted in range(2 * PEOPLE)]
    assert len(server.sessions) == 1
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    now = datetime.now(UTC)
    assert all(now - timedelta(minutes=1) < row.sent_at <= now for row in rows)
    assert all(row.claimed_by is None and row.subject for row in rows)


def test_a_seminar_edited_during_a_pass_is_rendered_afresh(app, seminar_factory):
    seminar = _reminders_due(seminar_factory, title="Tillit i praktiken")
    reminders.queue_due_reminders(datetime.now(UTC))
    db.session.commit()
    first, second, third = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder").order_by(OutboxMessage.id)
    ).all()[:3]
    batch = render.Batch()

    before = render.render(first, batch=batch)
    again = render.render(second, batch=batch)
    seminar.title = "Tillit och styrning"
    seminar.venue_name = "Stora salen"
    db.session.commit()
    after = render.render(third, batch=batch)

    assert "Tillit i praktiken" in before.subject and "Tillit i praktiken" in again.text
    assert "Tillit och styrning" in after.subject
    assert "Tillit och styrning" in after.text and "Tillit i praktiken" not in after.text
    assert "Stora salen" in after.html
    assert "Stora salen" in after.calendar_files[0].body
    # Each mail is still the person's own.
    assert before.recipient[1] != again.recipient[1] != after.recipient[1]
    assert before.text.split("/r/")[1] != again.text.split("/r/")[1]
