"""Rate limits on signup (per IP) and login (per IP and per account), and the signup honeypot."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from seminars.extensions import db
from seminars.models import Organization, OutboxMessage, Registration, Seminar, SeminarStatus

from .conftest import clear_database, make_app


@pytest.fixture
def app(database_url):
    """The usual test app, with rate limits switched on and set low."""
    app = make_app(
        database_url,
        RATELIMIT_ENABLED=True,
        SIGNUP_RATE_LIMIT="3/minute",
        LOGIN_RATE_LIMIT="4/minute",
        LOGIN_ACCOUNT_RATE_LIMIT="2/minute",
    )
    with app.app_context():
        db.create_all()
        yield app
        clear_database()


def _signup(client, seminar, number: int, address: str = "192.0.2.10", **extra):
    return client.post(
        f"/seminars/{seminar.slug}/register",
        data={"name": f"Person {number}", "email": f"p{number}@example.org", **extra},
        environ_base={"REMOTE_ADDR": address},
    )


def _registrations() -> int:
    return db.session.scalar(select(func.count(Registration.id)))


def test_signups_from_one_address_are_limited_with_a_429_page(client, seminar_factory):
    seminar = seminar_factory(capacity=50)
    for number in range(3):
        assert _signup(client, seminar, number).status_code == 200
    refused = _signup(client, seminar, 99)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "För många försök" in page
    assert "Retry-After" in refused.headers
    assert _registrations() == 3


def test_signup_limit_is_per_address(client, seminar_factory):
    seminar = seminar_factory(capacity=50)
    for number in range(3):
        _signup(client, seminar, number, address="192.0.2.10")
    assert _signup(client, seminar, 10, address="198.51.100.7").status_code == 200


def test_reading_seminar_pages_is_not_limited(client, seminar_factory):
    seminar = seminar_factory()
    for _ in range(6):
        assert client.get(f"/seminars/{seminar.slug}").status_code == 200


def test_429_page_in_english(client, seminar_factory):
    seminar = seminar_factory(capacity=50)
    client.set_cookie("lang", "en")
    for number in range(3):
        _signup(client, seminar, number)
    refused = _signup(client, seminar, 99)
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True)


def test_honeypot_field_is_hidden_from_people(client, seminar_factory):
    client.set_cookie("lang", "en")
    page = client.get(f"/seminars/{seminar_factory().slug}").get_data(as_text=True)
    assert '<div class="signup-extra" aria-hidden="true">' in page
    field = page.split('<div class="signup-extra" aria-hidden="true">')[1].split("</div>")[0]
    assert 'name="website"' in field
    assert 'tabindex="-1"' in field
    assert 'autocomplete="off"' in field
    assert "Leave this empty" in field


def test_filled_honeypot_looks_like_success_but_stores_and_sends_nothing(client, seminar_factory):
    seminar = seminar_factory()
    response = _signup(client, seminar, 1, website="https://spam.example")
    assert response.status_code == 200
    assert "Titta i din e-post" in response.get_data(as_text=True)
    assert _registrations() == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_empty_honeypot_signs_up_normally(client, seminar_factory):
    assert _signup(client, seminar_factory(), 1, website="").status_code == 200
    assert _registrations() == 1


def _log_in(client, email: str, password: str, address: str = "192.0.2.20"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_password_guessing_on_one_account_is_limited_from_any_address(client, organizer_factory):
    organizer = organizer_factory(email="ewa@ofr.example")
    for number in range(2):
        response = _log_in(client, organizer.email, "wrong", address=f"192.0.2.{number}")
        assert response.status_code == 422
    # Third wrong guess from a third address: the account is what is limited.
    refused = _log_in(client, "EWA@ofr.example ", "wrong", address="203.0.113.9")
    assert refused.status_code == 429
    assert "För många försök" in refused.get_data(as_text=True)
    # Even the right password waits: otherwise the limit would tell a guesser when they hit it.
    assert _log_in(client, organizer.email, "correct horse battery").status_code == 429


def test_login_from_one_address_is_limited_across_accounts(client, organizer_factory):
    for number in range(4):
        assert _log_in(client, f"guess{number}@example.org", "wrong").status_code == 422
    assert _log_in(client, "guess9@example.org", "wrong").status_code == 429


def test_other_accounts_can_still_log_in_when_one_is_limited(client, organizer_factory):
    victim = organizer_factory(email="victim@ofr.example")
    colleague = organizer_factory(email="colleague@ofr.example")
    for number in range(3):
        _log_in(client, victim.email, "wrong", address=f"198.51.100.{number}")
    response = _log_in(client, colleague.email, "correct horse battery", address="192.0.2.99")
    assert response.status_code == 303


def test_showing_the_login_page_is_not_limited(client):
    for _ in range(6):
        assert client.get("/login").status_code == 200


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_client():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis server at {REDIS_URL}")
    yield client
    client.close()


def test_limits_live_in_redis_when_configured(database_url, redis_client):
    """Several app instances share one count when RATELIMIT_STORAGE_URI points at Redis."""
    app = make_app(
        database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        SIGNUP_RATE_LIMIT="2/minute",
    )
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    with app.app_context():
        db.create_all()
        starts_at = datetime.now(UTC) + timedelta(days=7)
        seminar = Seminar(
            slug="redis",
            title="Redis",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            capacity=10,
            status=SeminarStatus.PUBLISHED,
            organization=Organization(slug="ofr", name="OFR"),
        )
        db.session.add(seminar)
        db.session.commit()
        client = app.test_client()
        try:
            statuses = [_signup(client, seminar, n, address=address).status_code for n in range(3)]
            keys = [key.decode() for key in redis_client.scan_iter(f"*{address}*")]
        finally:
            for key in redis_client.scan_iter(f"*{address}*"):
                redis_client.delete(key)
            clear_database()
    assert statuses == [200, 200, 429]
    assert keys, "the signup count was not stored in Redis"
