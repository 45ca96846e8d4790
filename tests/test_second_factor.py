"""Second factors: setting up an authenticator app (QR, verify step, ten recovery codes),
logging in with a code computed here, replayed and wrong codes refused, the rate limit on
codes, recovery codes working once, an organisation requiring a second factor, and an
administrator's reset for someone who lost their phone (written to the account's log)."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from seminars.accounts import factors
from seminars.extensions import db, limiter
from seminars.models import AccountEvent, LoginSession, RecoveryCode, TotpFactor, utcnow
from tests.conftest import clear_database, log_in, make_app

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def english(request):
    """The pages in English, so the tests read the messages as written in the code."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").set_cookie("lang", "en")


def login(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def verify(client, code: str):
    return client.post("/login/verify", data={"totp-code": code})


def use_recovery(client, code: str):
    return client.post("/login/verify", data={"recovery-recovery_code": code})


def set_up_app(client) -> tuple[str, list[str]]:
    """As a person would: open the page, read the key, type the app's code."""
    page = client.get("/organizer/account/app")
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.text  # the QR code
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text)[1]
    secret = secret.replace(" ", "")
    done = client.post("/organizer/account/app", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})</code></li>", done.text)
    assert done.headers["Cache-Control"] == "no-store"
    return secret, codes


def fresh(client):
    """The client, for a request of its own: the test's app context outlives requests, and
    Flask-Login would reuse whoever it loaded last (another browser of the test)."""
    from flask import g

    g.pop("_login_user", None)
    return client


def new_client(app):
    client = fresh(app.test_client())
    client.set_cookie("lang", "en")
    return client


def test_set_up_the_app_then_log_in_with_a_code_computed_here(app, client, organizer_factory):
    organizer = organizer_factory(email="ewa@example.org")
    log_in(client, organizer)
    secret, codes = set_up_app(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    # Only hashes are kept, and the seed is sealed.
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    factor = db.session.scalars(select(TotpFactor)).one()
    assert secret not in factor.sealed_secret
    assert "Set up an authenticator app" not in client.get("/organizer/account/").text
    assert secret not in client.get("/organizer/account/").text  # never shown back

    browser = new_client(app)
    password_step = login(browser, "ewa@example.org")
    assert password_step.status_code == 303
    assert password_step.headers["Location"].startswith("/login/verify")
    assert browser.get("/organizer/").status_code == 302  # not in yet
    with time_machine.travel(utcnow() + timedelta(seconds=31)):
        done = verify(browser, pyotp.TOTP(secret).now())
        assert done.status_code == 303
        assert done.headers["Location"] == "/organizer/"
        assert browser.get("/organizer/").status_code == 200


def test_a_code_is_accepted_once(app, client, organizer_factory):
    organizer = organizer_factory(email="ewa@example.org")
    log_in(client, organizer)
    secret, _codes = set_up_app(client)
    later = utcnow() + timedelta(seconds=60)
    with time_machine.travel(later, tick=False):
        code = pyotp.TOTP(secret).now()
        first = new_client(app)
        login(first, "ewa@example.org")
        assert verify(first, code).status_code == 303
        # Someone who saw the code (over a shoulder, a phishing page) tries it at once.
        second = new_client(app)
        login(second, "ewa@example.org")
        replay = verify(second, code)
        assert replay.status_code == 422
        assert "used already" in replay.text
        assert second.get("/organizer/").status_code == 302


def test_a_wrong_code_is_refused(app, client, organizer_factory):
    organizer = organizer_factory(email="ewa@example.org")
    log_in(client, organizer)
    secret, _codes = set_up_app(client)
    browser = new_client(app)
    login(browser, "ewa@example.org")
    right = pyotp.TOTP(secret).now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refused = verify(browser, wrong)
    assert refused.status_code == 422
    assert "That code is not right" in refused.text
    assert verify(browser, "12345").status_code == 422  # too short: a message, no 500
    assert browser.get("/organizer/").status_code == 302


def test_a_recovery_code_works_once(app, client, organizer_factory):
    organizer = organizer_factory(email="ewa@example.org")
    log_in(client, organizer)
    _secret, codes = set_up_app(client)
    browser = new_client(app)
    login(browser, "ewa@example.org")
    assert use_recovery(browser, codes[3].lower()).status_code == 303  # any case
    assert browser.get("/organizer/").status_code == 200
    again = new_client(app)
    login(again, "ewa@example.org")
    refused = use_recovery(again, codes[3])
    assert refused.status_code == 422
    assert "recovery code is not right, or it was used already" in refused.text
    assert factors.recovery_codes_left(organizer) == 9
    assert "9 unused recovery codes left" in fresh(browser).get("/organizer/account/").text


def test_the_second_step_expires(app, client, organizer_factory):
    organizer = organizer_factory(email="ewa@example.org")
    log_in(client, organizer)
    secret, _codes = set_up_app(client)
    browser = new_client(app)
    login(browser, "ewa@example.org")
    with time_machine.travel(utcnow() + timedelta(minutes=11)):
        late = verify(browser, pyotp.TOTP(secret).now())
    assert late.status_code == 303 and late.headers["Location"] == "/login"


@pytest.fixture
def limited_app(database_url):
    app = make_app(database_url, RATELIMIT_ENABLED=True, SECOND_FACTOR_RATE_LIMIT="3/minute")
    with app.app_context():
        db.create_all()
        limiter.reset()
        yield app
        limiter.reset()
        clear_database()


def test_codes_are_rate_limited_per_account(limited_app):
    from seminars.accounts import organizers

    organizer = organizers.create_organizer(
        email="ewa@example.org",
        name="Ewa",
        password=PASSWORD,
        organizations=[organizers.organization_named("OFR")],
    )
    db.session.commit()
    client = limited_app.test_client()
    log_in(client, organizer)
    secret, _codes = set_up_app(client)
    # Guesses from three browsers (three addresses) count against the one account.
    for number in range(3):
        browser = new_client(limited_app)
        address = {"REMOTE_ADDR": f"192.0.2.{number + 1}"}
        browser.post(
            "/login", data={"email": "ewa@example.org", "password": PASSWORD}, environ_base=address
        )
        assert (
            browser.post(
                "/login/verify", data={"totp-code": "000000"}, environ_base=address
            ).status_code
            == 422
        )
    browser = new_client(limited_app)
    address = {"REMOTE_ADDR": "192.0.2.99"}
    browser.post(
        "/login", data={"email": "ewa@example.org", "password": PASSWORD}, environ_base=address
    )
    blocked = browser.post(
        "/login/verify", data={"totp-code": pyotp.TOTP(secret).now()}, environ_base=address
    )
    assert blocked.status_code == 429
    assert browser.get("/organizer/").status_code == 302


def test_an_organisation_can_require_a_second_factor(app, client, organizer_factory):
    organizer = organizer_factory(email="ewa@example.org")
    organization = organizer.organizations[0]
    organization.require_second_factor = True
    db.session.commit()
    first = login(client, "ewa@example.org")
    assert first.status_code == 303
    # Led through setup: every organiser page goes there until a factor exists.
    held = client.get("/organizer/")
    assert held.status_code == 302 and held.headers["Location"] == "/organizer/account/"
    page = client.get("/organizer/account/")
    assert "Your organisation requires a second factor" in page.text
    set_up_app(client)
    assert client.get("/organizer/").status_code == 200
    # Removing the only factor is refused while it is required.
    client.post("/organizer/account/app/remove")
    assert factors.has_totp(organizer)


def test_lost_phone_reset_by_an_administrator_is_logged(app, client, organizer_factory):
    organizer = organizer_factory(email="ewa@example.org")
    organization = organizer.organizations[0]
    organization.require_second_factor = True
    admin = organizer_factory(is_admin=True, email="admin@example.org")
    log_in(client, organizer)
    set_up_app(client)
    assert client.get("/organizer/").status_code == 200

    admin_client = new_client(app)
    log_in(admin_client, admin)
    page = admin_client.get(f"/organizer/admin/organizers/{organizer.id}")
    assert "Authenticator app: on." in page.text
    done = admin_client.post(f"/organizer/admin/organizers/{organizer.id}/reset-factors")
    assert done.status_code == 303
    assert not factors.has_second_factor(organizer)
    event = db.session.scalars(
        select(AccountEvent).where(AccountEvent.action == "factors_reset")
    ).one()
    assert (event.organizer_id, event.actor_id) == (organizer.id, admin.id)
    assert (
        "An administrator removed the second factors"
        in admin_client.get(f"/organizer/admin/organizers/{organizer.id}").text
    )
    # Their sessions ended; at the next login they are led to set up a new factor.
    assert db.session.scalars(select(LoginSession.ended_at)).all().count(None) == 1  # admin's
    new_browser = new_client(app)
    login(new_browser, "ewa@example.org")
    assert new_browser.get("/organizer/").headers["Location"] == "/organizer/account/"


def test_moving_the_app_to_a_new_phone(app, client, organizer_factory):
    organizer = organizer_factory(email="ewa@example.org")
    log_in(client, organizer)
    old_secret, _codes = set_up_app(client)
    # Opening the setup again does not switch off the app in use…
    page = fresh(client).get("/organizer/account/app")
    new_secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text)[1]
    new_secret = new_secret.replace(" ", "")
    assert new_secret != old_secret
    later = utcnow() + timedelta(seconds=90)
    with time_machine.travel(later, tick=False):
        assert factors.verify_totp(organizer, pyotp.TOTP(old_secret).now())
    # …until the new phone's code is entered: then only the new phone works.
    with time_machine.travel(later + timedelta(seconds=60), tick=False):
        done = fresh(client).post(
            "/organizer/account/app", data={"code": pyotp.TOTP(new_secret).now()}
        )
        assert done.status_code == 200
    with time_machine.travel(later + timedelta(seconds=120), tick=False):
        assert not factors.verify_totp(organizer, pyotp.TOTP(old_secret).now())
        assert factors.verify_totp(organizer, pyotp.TOTP(new_secret).now())
    db.session.rollback()
    assert len(db.session.scalars(select(TotpFactor)).all()) == 1


def test_a_changed_secret_key_refuses_codes_instead_of_failing(app, client, organizer_factory):
    organizer = organizer_factory(email="ewa@example.org")
    log_in(client, organizer)
    secret, _codes = set_up_app(client)
    app.config["SECRET_KEY"] = "another-secret"
    try:
        assert not factors.verify_totp(organizer, pyotp.TOTP(secret).now())
    finally:
        app.config["SECRET_KEY"] = "test-secret"
