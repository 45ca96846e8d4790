"""Fixtures: a fresh app and database per test, factories for seminars, PostgreSQL on demand.

Set SEMINARS_TEST_DATABASE=postgresql to run the whole suite against PostgreSQL
(each test session gets its own database on the server in PG_ADMIN_URL).
"""

from __future__ import annotations

import itertools
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from seminars import create_app, signup
from seminars.extensions import db
from seminars.models import (
    Organization,
    Question,
    QuestionKind,
    Registration,
    Seminar,
    SeminarStatus,
)
from seminars.signup import Attendee

PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _postgres_available() -> str | None:
    """None when the server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as error:  # any failure to connect means "not here"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {error}"


def create_postgres_database() -> str:
    """A new empty database; returns its SQLAlchemy URL. Skips (or fails in CI) without a server."""
    import psycopg

    problem = _postgres_available()
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but {problem}")
        pytest.skip(problem)
    name = f"seminars_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def drop_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _session_postgres():
    if os.environ.get("SEMINARS_TEST_DATABASE") != "postgresql":
        yield None
        return
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture
def database_url(tmp_path, _session_postgres) -> str:
    return _session_postgres or f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def postgres_url():
    """A database of its own on the PostgreSQL server, for tests that must run there."""
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


def make_app(database_url: str, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret",
        "BASE_URL": "http://seminars.test",
        "SERVER_NAME": None,
        # Every view reads the seminar's state afresh; test_page_cache.py covers the reuse.
        "PAGE_STATE_MAX_AGE": 0,
    }
    config.update(overrides)
    return create_app(config)


def _empty_every_table() -> None:
    """Delete every row and restart the ids at 1, as in a new database.

    DELETE, not TRUNCATE: on a few rows it takes milliseconds, TRUNCATE half a second.
    """
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        # A test that leaked an open transaction fails here instead of hanging the run.
        connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
        for table in tables:
            connection.exec_driver_sql(f'DELETE FROM "{table.name}"')
        restarts = ", ".join(
            f"setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), 1, false)"
            for table in tables
            if "id" in table.c
        )
        connection.exec_driver_sql(f"SELECT {restarts}")


def clear_database() -> None:
    """After a test: drop the tables, except on the session's PostgreSQL database, where they
    are kept and emptied (creating and dropping them per test made that run several times
    slower; `create_all` on existing tables costs milliseconds)."""
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        _empty_every_table()
    else:
        db.drop_all()
    db.engine.dispose()


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    with app.app_context():
        db.create_all()
        yield app
        clear_database()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_numbers = itertools.count(1)


@pytest.fixture
def organization_factory(app):
    def make(name: str = "OFR", **fields) -> Organization:
        number = next(_numbers)
        organization = Organization(slug=f"org-{number}", name=name, **fields)
        db.session.add(organization)
        db.session.flush()
        return organization

    return make


@pytest.fixture
def seminar_factory(app, organization_factory):
    def make(**fields) -> Seminar:
        number = next(_numbers)
        starts_at = fields.pop(
            "starts_at", datetime.now(UTC).replace(microsecond=0) + timedelta(days=14)
        )
        questions = fields.pop("questions", [])
        values = {
            "slug": f"seminar-{number}",
            "title": f"Seminarium {number}",
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(hours=3),
            "capacity": 10,
            "status": SeminarStatus.PUBLISHED,
            "venue_name": "Aulan",
            "venue_address": "Drottninggatan 71B, Stockholm",
            "contact_name": "Ewa-Marie Siwerson",
            "contact_email": "ewa-marie@example.org",
        }
        values.update(fields)
        if "organization" not in values:
            values["organization"] = organization_factory()
        seminar = Seminar(**values)
        seminar.questions = [
            q if isinstance(q, Question) else Question(position=i, **q)
            for i, q in enumerate(questions)
        ]
        db.session.add(seminar)
        db.session.commit()
        return seminar

    return make


def attendee(email: str = "anna@example.org", name: str = "Anna Andersson", **fields) -> Attendee:
    return Attendee(
        name=name, email=email, organization=fields.pop("organization", "Vision"), **fields
    )


def register(seminar: Seminar | int, person: Attendee, **flags) -> Registration:
    """Sign `person` up through `signup.sign_up` in the session's transaction (as organisers
    do; not committed) and read the new registration."""
    seminar_id = seminar if isinstance(seminar, int) else seminar.id
    outcome = signup.sign_up(seminar_id, person, **flags)
    assert outcome.registered, outcome
    return db.session.get(Registration, outcome.registration_id)


def active_registration(seminar: Seminar, email: str) -> Registration | None:
    """The registration this address holds for the seminar, unless cancelled."""
    from sqlalchemy import select

    from seminars.text import email_key

    return db.session.scalar(
        select(Registration).where(
            Registration.seminar_id == seminar.id,
            Registration.email_key == email_key(email),
            Registration.status != "cancelled",
        )
    )


DIET_QUESTION = {
    "text": "Kost",
    "kind": QuestionKind.CHOICE,
    "choices": "Ingen särskild\nVegetarisk\nGlutenfri",
    "sensitive": True,
}


@pytest.fixture
def organizer_factory(app, organization_factory):
    """Organiser accounts; password hashing uses werkzeug's default (scrypt)."""
    from werkzeug.security import generate_password_hash

    from seminars.models import Organizer

    def make(*organizations, email=None, password="correct horse battery", is_admin=False):
        number = next(_numbers)
        organizer = Organizer(
            email=email or f"organizer{number}@example.org",
            name=f"Organiser {number}",
            password_hash=generate_password_hash(password),
            is_admin=is_admin,
        )
        organizer.organizations = list(organizations) or [organization_factory()]
        db.session.add(organizer)
        db.session.commit()
        return organizer

    return make


def log_in(client, organizer) -> None:
    """Log an organiser in on the test client without going through the login form: a
    server-side session like the login's, its token in the cookie (both factors done)."""
    from seminars.accounts import sessions

    started = sessions.start(
        organizer, device_token="test-device", user_agent="pytest", method="password"
    )
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(organizer.id)
        session["_fresh"] = True
        session["sid"] = started.token


@pytest.fixture
def registration_factory(app):
    """Registrations written directly, with any status, time or text (hostile text too):
    for tests of what is done with registrations, not of how people sign up."""
    import secrets

    from seminars.models import Registration, Status

    def make(seminar, name="Anna Andersson", *, email=None, status=Status.CONFIRMED, **fields):
        number = next(_numbers)
        email = email or f"person{number}@example.org"
        registration = Registration(
            seminar_id=seminar.id,
            name=name,
            email=email,
            email_key=email.lower(),
            status=status,
            token_salt=secrets.token_hex(16),
            token_hash=secrets.token_hex(32),
            **fields,
        )
        db.session.add(registration)
        db.session.commit()
        return registration

    return make


class LocalSMTPServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every mail it accepts."""

    def __init__(self, port: int | None = None):
        import socket

        if port is None:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self.host, self.port = "127.0.0.1", port
        self.envelopes: list = []
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list:
        from email import policy
        from email.parser import BytesParser

        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(envelope.content) for envelope in self.envelopes]


@pytest.fixture
def smtp_server():
    server = LocalSMTPServer()
    server.start()
    yield server
    server.stop()


def mail_settings(smtp_server: LocalSMTPServer) -> dict:
    """Config that makes the app deliver to `smtp_server` instead of suppressing mail."""
    return {
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": smtp_server.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_TIMEOUT": 5,
        "MAIL_DEFAULT_SENDER": "seminarier@seminars.test",
    }


@pytest.fixture
def mail_app(database_url, smtp_server):
    """Like `app`, but the outbox is delivered to the real `smtp_server`. A test module that
    needs it for every test overrides `app` with it, so the factories use it too."""
    app = make_app(database_url, **mail_settings(smtp_server))
    with app.app_context():
        db.create_all()
        yield app
        clear_database()
