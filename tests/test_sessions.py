"""Server-side sessions: a revoked session's cookie is refused on the next request; a person
sees where they are logged in and ends sessions; a new password or factor ends the other
sessions; a login from a new device is emailed; logging out ends the server's record."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from seminars.accounts import sessions
from seminars.extensions import db
from seminars.models import LoginSession, OutboxMessage

PASSWORD = "correct horse battery"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def browser(app, user_agent: str = FIREFOX):
    g.pop("_login_user", None)
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    client.set_cookie("lang", "en")
    return client


def as_request(client):
    g.pop("_login_user", None)  # a request of its own (see tests/test_second_factor.py)
    return client


def login(client, email="ewa@example.org", password=PASSWORD):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 303, response.text
    return response


def test_a_revoked_session_cookie_is_refused_on_the_next_request(app, organizer_factory):
    organizer_factory(email="ewa@example.org")
    laptop = browser(app)
    login(laptop)
    cookie = laptop.get_cookie("session").value
    assert as_request(laptop).get("/organizer/").status_code == 200
    row = db.session.scalars(select(LoginSession)).one()
    sessions.end(row)
    db.session.commit()
    refused = as_request(laptop).get("/organizer/")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    # The same cookie, replayed from elsewhere, is refused too.
    thief = browser(app)
    thief.set_cookie("session", cookie)
    assert as_request(thief).get("/organizer/").status_code == 302


def test_sessions_are_listed_and_one_is_ended_from_another_device(app, organizer_factory):
    organizer_factory(email="ewa@example.org")
    laptop, phone = browser(app, FIREFOX), browser(app, IPHONE)
    login(laptop)
    login(as_request(phone))
    page = as_request(laptop).get("/organizer/account/").text
    assert "Firefox 128 · Windows" in page
    assert "Mobile Safari 17 · iOS" in page
    assert "This device" in page
    phone_row = db.session.scalars(
        select(LoginSession).where(LoginSession.user_agent == IPHONE)
    ).one()
    db.session.rollback()
    ended = as_request(laptop).post(f"/organizer/account/sessions/{phone_row.id}/end")
    assert ended.status_code == 303
    assert as_request(phone).get("/organizer/").status_code == 302
    assert as_request(laptop).get("/organizer/").status_code == 200


def test_a_session_of_someone_else_cannot_be_ended(app, organizer_factory):
    organizer_factory(email="ewa@example.org")
    organizer_factory(email="other@example.org")
    ewa, other = browser(app), browser(app)
    login(ewa)
    login(as_request(other), "other@example.org")
    theirs = db.session.scalars(
        select(LoginSession.id).join(LoginSession.organizer).where(LoginSession.id == 2)
    ).one()
    db.session.rollback()
    assert as_request(ewa).post(f"/organizer/account/sessions/{theirs}/end").status_code == 404
    assert as_request(other).get("/organizer/").status_code == 200


def test_changing_the_password_ends_the_other_sessions(app, organizer_factory):
    organizer_factory(email="ewa@example.org")
    laptop, phone = browser(app, FIREFOX), browser(app, IPHONE)
    login(laptop)
    login(as_request(phone))
    new = {"password": "a new long password", "confirm": "a new long password"}
    wrong = as_request(laptop).post(
        "/organizer/account/password", data={"current": "not it", **new}
    )
    assert wrong.status_code == 422 and "That is not your current password." in wrong.text
    changed = as_request(laptop).post(
        "/organizer/account/password", data={"current": PASSWORD, **new}
    )
    assert changed.status_code == 303
    assert as_request(laptop).get("/organizer/").status_code == 200
    assert as_request(phone).get("/organizer/").status_code == 302


def test_log_out_everywhere_else(app, organizer_factory):
    organizer_factory(email="ewa@example.org")
    laptop, phone = browser(app, FIREFOX), browser(app, IPHONE)
    login(laptop)
    login(as_request(phone))
    assert as_request(laptop).post("/organizer/account/sessions/end-others").status_code == 303
    assert as_request(phone).get("/organizer/").status_code == 302
    assert as_request(laptop).get("/organizer/").status_code == 200


def test_logout_ends_the_server_side_session(app, organizer_factory):
    organizer_factory(email="ewa@example.org")
    laptop = browser(app)
    login(laptop)
    cookie = laptop.get_cookie("session").value
    assert as_request(laptop).post("/logout").status_code == 303
    row = db.session.scalars(select(LoginSession)).one()
    assert row.ended_at is not None
    # The cookie from before the logout no longer works.
    again = browser(app)
    again.set_cookie("session", cookie)
    assert as_request(again).get("/organizer/").status_code == 302


def _new_device_mails() -> list[OutboxMessage]:
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "new_device_login")
    ).all()
    db.session.rollback()
    return list(mails)


def test_a_login_from_a_new_device_is_emailed(app, organizer_factory):
    organizer_factory(email="ewa@example.org")
    laptop = browser(app, FIREFOX)
    login(laptop)
    assert _new_device_mails() == []  # the first login of all is no news
    as_request(laptop).post("/logout")
    login(as_request(laptop))
    assert _new_device_mails() == []  # the same browser again
    phone = browser(app, IPHONE)
    login(as_request(phone))
    [mail] = _new_device_mails()
    assert mail.to_email == "ewa@example.org"
    assert mail.context["device"] == "Mobile Safari 17 · iOS"
    assert mail.context["security_url"] == "http://seminars.test/organizer/account/"


def test_the_new_device_email_renders(app, organizer_factory):
    from seminars.mail import delivery

    organizer_factory(email="ewa@example.org")
    login(browser(app, FIREFOX))
    login(browser(app, IPHONE))
    [mail] = _new_device_mails()
    message = delivery.render(db.session.get(OutboxMessage, mail.id))
    assert message.subject == "New login to your organiser account"  # their language
    assert "Mobile Safari 17" in message.text


def test_a_session_unused_for_eight_hours_has_ended(app, organizer_factory):
    from datetime import timedelta

    import time_machine

    from seminars.models import utcnow

    organizer = organizer_factory(email="ewa@example.org")
    laptop, phone = browser(app, FIREFOX), browser(app, IPHONE)
    login(laptop)
    with time_machine.travel(utcnow() + timedelta(hours=7)):
        login(as_request(phone))
    with time_machine.travel(utcnow() + timedelta(hours=8, minutes=5)):
        assert as_request(laptop).get("/organizer/").status_code == 302
        listed = sessions.active(organizer, idle_limit=timedelta(hours=8))
        assert [row.user_agent for row in listed] == [IPHONE]
        assert as_request(phone).get("/organizer/").status_code == 200


def test_turning_on_a_second_factor_ends_the_other_sessions(app, organizer_factory):
    import re

    import pyotp

    organizer_factory(email="ewa@example.org")
    laptop, phone = browser(app, FIREFOX), browser(app, IPHONE)
    login(laptop)
    login(as_request(phone))
    page = as_request(laptop).get("/organizer/account/app").text
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)[1].replace(" ", "")
    done = as_request(laptop).post(
        "/organizer/account/app", data={"code": pyotp.TOTP(secret).now()}
    )
    assert done.status_code == 200
    assert as_request(phone).get("/organizer/").status_code == 302
    assert as_request(laptop).get("/organizer/").status_code == 200
