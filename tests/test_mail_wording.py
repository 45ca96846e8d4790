"""Punctuation after a seminar title that ends in its own ? or ! (issue 14, item 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from seminars.extensions import db
from seminars.mail import delivery, reminders
from tests.conftest import attendee, register
from tests.mail_helpers import html_of, mail_to, text_of

TITLE = "Inflytande och hälsa med tillitsbaserad styrning?"
STARTS = datetime(2027, 3, 17, 12, 0, tzinfo=UTC)  # Wednesday 17 March 2027, 13.00 in Stockholm


@pytest.fixture
def app(mail_app):
    return mail_app


@pytest.mark.parametrize(
    ("language", "confirmation", "reminder"),
    [
        (
            "sv",
            f"Du är anmäld till {TITLE} Välkommen!",
            f"Välkommen till {TITLE} onsdag 17 mars 2027 kl. 13.00!",
        ),
        (
            "en",
            f"You are registered for {TITLE} Welcome!",
            f"Welcome to {TITLE} Wednesday 17 March 2027, 13:00!",
        ),
    ],
)
def test_a_title_ending_in_a_question_mark_is_not_followed_by_a_stop_or_comma(
    seminar_factory, smtp_server, language, confirmation, reminder
):
    seminar = seminar_factory(title=TITLE, starts_at=STARTS)
    register(
        seminar, attendee("anna@example.org", language=language), now=STARTS - timedelta(days=9)
    )
    db.session.commit()
    reminders.queue_due_reminders(STARTS - timedelta(hours=23))
    db.session.commit()

    delivery.deliver_pending(now=STARTS - timedelta(hours=23))

    confirmed, reminded = mail_to(smtp_server.messages(), "anna@example.org")
    for mail, sentence in ((confirmed, confirmation), (reminded, reminder)):
        assert sentence in " ".join(text_of(mail).split())
        assert sentence in " ".join(html_of(mail).split())
        assert "?." not in text_of(mail) and "?," not in text_of(mail)


def test_a_title_ending_in_a_full_stop_keeps_the_sentence_as_written(seminar_factory, smtp_server):
    seminar = seminar_factory(title="Tillit i praktiken", starts_at=STARTS)
    register(seminar, attendee("anna@example.org"), now=STARTS - timedelta(days=9))
    db.session.commit()

    delivery.deliver_pending()

    [mail] = smtp_server.messages()
    assert "Du är anmäld till Tillit i praktiken. Välkommen!" in text_of(mail)
