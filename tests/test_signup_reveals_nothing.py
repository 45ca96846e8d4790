"""DESIGN guarantee 5: what the browser gets after a signup does not tell whether the address
was registered already. A third party who types a colleague's address into the form of a
union's seminar must not learn from the answer whether the colleague signed up (GDPR Art. 9).

Each case sends the form twice from fresh browsers (their own session and CSRF token): once
with an address that holds a registration, once with a new address of the same length. The
two responses must be the same byte for byte (status, every header including cookies, the
body), once the addresses and the CSRF tokens are masked.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import OutboxMessage, Registration, SeminarStatus, Status
from tests.conftest import attendee, clear_database, make_app, register

REGISTERED = "anna@example.org"
NEW = "bert@example.org"  # as long as REGISTERED, so Content-Length may be compared as is
OPEN_SEMINAR = "oppet-seminarium"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def app(database_url):
    """CSRF on, as in production: every browser holds a session and a token of its own."""
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        yield app
        clear_database()


def send_form(app, seminar, email: str, **extra) -> tuple[int, list, str]:
    """A fresh browser opens the page of a seminar with a form (a CSRF token is per session,
    and a closed or full seminar's page has no form) and sends the form of `seminar`; the
    answer, masked."""
    browser = app.test_client()
    # The test shares one app context with its requests, so g outlives a request here, and
    # Flask-WTF keeps the session's token in g: every real request starts with an empty g.
    g.__dict__.clear()
    page = browser.get(f"/seminars/{OPEN_SEMINAR}").get_data(as_text=True)
    token = TOKEN.search(page)[1]
    g.__dict__.clear()
    fields = {"name": "Anna Andersson", "email": email, "organization": "Vision"}
    response = browser.post(
        f"/seminars/{seminar.slug}/register", data={**fields, **extra, "csrf_token": token}
    )
    secrets = [token, *(value for _, value in _cookies(response))]
    return response.status_code, _masked_headers(response, secrets), _masked_body(response, secrets)


@pytest.fixture(autouse=True)
def open_seminar(seminar_factory):
    return seminar_factory(slug=OPEN_SEMINAR)


def warm_up(app, seminar) -> None:
    """Render this version of the seminar's answer pages once (a form with the honeypot
    filled in: nothing is stored). A page is rendered once per version and then served from
    the cache; rendering also marks the session of a visitor who is not logged in as not
    fresh (Flask-Login), which sets the cookie again, whatever the address. Compared here:
    two signups against the same state of the server."""
    send_form(app, seminar, "warm@example.org", website="x")


def _cookies(response) -> list[tuple[str, str]]:
    return [
        tuple(header.split(";", 1)[0].split("=", 1))
        for header in response.headers.getlist("Set-Cookie")
    ]


def _mask(text: str, secrets: list[str]) -> str:
    for secret in filter(None, secrets):
        text = text.replace(secret, "SECRET")
    return text.replace(REGISTERED, "ADDRESS").replace(NEW, "ADDRESS")


def _masked_headers(response, secrets: list[str]) -> list[tuple[str, str]]:
    return sorted((name, _mask(value, secrets)) for name, value in response.headers.items())


def _masked_body(response, secrets: list[str]) -> str:
    body = response.get_data(as_text=True)
    assert "/r/" not in body  # no manage link, for anyone
    return _mask(body, secrets)


def outbox_kinds(email: str) -> list[str]:
    db.session.expire_all()
    return sorted(
        db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.to_email == email))
    )


def registrations_of(email: str) -> list[Status]:
    db.session.expire_all()
    return list(db.session.scalars(select(Registration.status).where(Registration.email == email)))


def past(**delta) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def future(**delta) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


# name: (seminar fields, fields set after the address registered, what a new address gets)
CASES = {
    "seats-left": ({"capacity": 10}, {}, [Status.CONFIRMED]),
    "waiting-list": ({"capacity": 1}, {}, [Status.WAITING]),
    "registered-in-line": ({"capacity": 1}, {"someone_first": True}, [Status.WAITING]),
    "full-without-waiting-list": ({"capacity": 1, "waitlist_enabled": False}, {}, []),
    "closed": ({}, {"registration_closes_at": past(hours=1)}, []),
    "not-open-yet": ({}, {"registration_opens_at": future(days=1)}, []),
    "cancelled": ({}, {"status": SeminarStatus.CANCELLED}, []),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_answer_is_the_same_for_a_registered_and_a_new_address(app, seminar_factory, case):
    fields, then, new_gets = CASES[case]
    seminar = seminar_factory(**fields)
    if then.pop("someone_first", False):
        register(seminar, attendee("first@example.org"))
    register(seminar, attendee(REGISTERED))
    for name, value in then.items():
        setattr(seminar, name, value)
    db.session.commit()
    registered_before = registrations_of(REGISTERED)
    warm_up(app, seminar)

    for_registered = send_form(app, seminar, REGISTERED)
    for_new = send_form(app, seminar, NEW)

    assert for_registered == for_new
    # Not the same thing underneath: nothing new for the registered address, whose owner
    # (and only they) gets the link again while the seminar takes signups.
    assert registrations_of(REGISTERED) == registered_before
    assert registrations_of(NEW) == new_gets
    assert ("manage_link" in outbox_kinds(REGISTERED)) == bool(new_gets)


def test_an_accepted_signup_is_told_to_check_the_email_it_gave(app, seminar_factory):
    seminar = seminar_factory(title="Inflytande och hälsa")
    status, headers, body = send_form(app, seminar, NEW)
    assert status == 200
    assert "Location" not in dict(headers)
    assert "Titta i din e-post" in body
    assert "Vi har skickat ett mejl till den här adressen:" in body
    assert "Det gäller din anmälan till Inflytande och hälsa." in body
    assert '<p class="notice sent-to"><strong>ADDRESS</strong></p>' in body
    assert "Titta också i skräpposten." in body
    assert "mailto:ewa-marie@example.org" in body  # whom to ask when nothing comes


def test_a_bot_that_fills_the_honeypot_is_told_the_same_and_nothing_is_stored(app, seminar_factory):
    seminar = seminar_factory()
    warm_up(app, seminar)
    person = send_form(app, seminar, NEW)
    bot = send_form(app, seminar, REGISTERED, website="http://spam.example")
    assert bot == person
    assert registrations_of(REGISTERED) == []
    assert outbox_kinds(REGISTERED) == []


def test_the_answer_follows_an_edit_of_the_seminar_and_escapes_what_was_typed(app, seminar_factory):
    seminar = seminar_factory(title="Tillit i praktiken")
    assert "Tillit i praktiken" in send_form(app, seminar, NEW)[2]
    seminar.title = "Tillit i styrningen"
    db.session.commit()
    # A bot's text reaches the page unchecked: it is escaped like anything typed.
    status, _, body = send_form(app, seminar, "<script>x</script>", website="x")
    assert status == 200
    assert "Tillit i styrningen" in body and "Tillit i praktiken" not in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body and "<script>x" not in body
