"""Organiser accounts: logging in and out, the session's lifetime, password reset by email,
and the create-organizer command."""

from datetime import timedelta

import time_machine
from sqlalchemy import select

from seminars.accounts import organizers
from seminars.extensions import db
from seminars.models import Organization, Organizer, OutboxMessage, utcnow
from tests.conftest import log_in

PASSWORD = "correct horse battery"


def login(client, email, password, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password})


def test_login_with_right_password_opens_the_dashboard(client, organizer_factory):
    organizer = organizer_factory(email="ewa@mau.example.org")
    response = login(client, "Ewa@MAU.example.org", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/organizer/"
    page = client.get("/organizer/")
    assert page.status_code == 200
    assert organizer.name in page.text or "Mina seminarier" in page.text


def test_wrong_password_and_unknown_email_get_the_same_message(client, organizer_factory):
    organizer_factory(email="ewa@mau.example.org")
    wrong_password = login(client, "ewa@mau.example.org", "not the password")
    unknown_email = login(client, "nobody@mau.example.org", PASSWORD)
    for response in (wrong_password, unknown_email):
        assert response.status_code == 422
        assert "Fel e-postadress eller lösenord" in response.text or (
            "Wrong email or password" in response.text
        )
    assert wrong_password.text == unknown_email.text.replace(
        "nobody@mau.example.org", "ewa@mau.example.org"
    )
    assert client.get("/organizer/").status_code == 302


def test_deactivated_account_cannot_log_in(client, organizer_factory):
    organizer = organizer_factory(email="old@example.org")
    organizer.active = False
    db.session.commit()
    assert login(client, "old@example.org", PASSWORD).status_code == 422


def test_session_is_permanent_and_expires_after_eight_hours(client, organizer_factory):
    organizer_factory(email="ewa@example.org")
    response = login(client, "ewa@example.org", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie
    with client.session_transaction() as session:
        assert session.permanent
    assert client.application.permanent_session_lifetime == timedelta(hours=8)


def test_next_goes_to_the_page_asked_for_but_never_to_another_site(client, organizer_factory):
    organizer_factory(email="ewa@example.org")
    assert (
        client.get("/organizer/seminars/new")
        .headers["Location"]
        .startswith("/login?next=%2Forganizer%2Fseminars%2Fnew")
    )
    response = login(client, "ewa@example.org", PASSWORD, next_url="/organizer/seminars/new")
    assert response.headers["Location"] == "/organizer/seminars/new"
    client.post("/logout")
    for hostile in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = login(client, "ewa@example.org", PASSWORD, next_url=hostile)
        assert response.headers["Location"] == "/organizer/"
        client.post("/logout")


def test_logout_ends_the_session(client, organizer_factory):
    organizer = organizer_factory()
    log_in(client, organizer)
    assert client.get("/organizer/").status_code == 200
    assert client.post("/logout").status_code == 303
    assert client.get("/organizer/").status_code == 302
    assert client.get("/logout").status_code == 405


def _reset_mail(email):
    return db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "password_reset", OutboxMessage.to_email == email
        )
    ).all()


def test_password_reset_end_to_end_through_the_outbox(client, organizer_factory):
    organizer_factory(email="ewa@example.org")
    response = client.post("/password/forgot", data={"email": "ewa@example.org"})
    assert response.status_code == 200
    [mail] = _reset_mail("ewa@example.org")
    reset_url = mail.context["reset_url"]
    assert reset_url.startswith("http://seminars.test/password/reset/")
    path = reset_url.removeprefix("http://seminars.test")

    assert client.get(path).status_code == 200
    too_short = client.post(path, data={"password": "short", "confirm": "short"})
    assert too_short.status_code == 422
    new_password = "a brand new passphrase"
    done = client.post(path, data={"password": new_password, "confirm": new_password})
    assert done.status_code == 303
    assert login(client, "ewa@example.org", PASSWORD).status_code == 422
    assert login(client, "ewa@example.org", new_password).status_code == 303
    client.post("/logout")

    # The link is single-use: the new password hash no longer matches the token.
    assert client.get(path).status_code == 400
    again = client.post(path, data={"password": "yet another one!", "confirm": "yet another one!"})
    assert again.status_code == 400
    assert login(client, "ewa@example.org", new_password).status_code == 303


def test_forgot_password_does_not_reveal_whether_an_account_exists(client, organizer_factory):
    organizer_factory(email="ewa@example.org")
    known = client.post("/password/forgot", data={"email": "ewa@example.org"})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert _reset_mail("nobody@example.org") == []


def test_asking_twice_in_a_row_sends_one_email(client, organizer_factory):
    organizer_factory(email="ewa@example.org")
    for _ in range(3):
        client.post("/password/forgot", data={"email": "ewa@example.org"})
    assert len(_reset_mail("ewa@example.org")) == 1


def test_reset_link_expires_after_an_hour(app, organizer_factory):
    organizer = organizer_factory()
    token = organizers.reset_token(organizer)
    assert organizers.organizer_for_reset_token(token) == organizer
    with time_machine.travel(utcnow() + timedelta(minutes=61)):
        assert organizers.organizer_for_reset_token(token) is None
    assert organizers.organizer_for_reset_token(token + "x") is None


def test_passwords_are_hashed_with_scrypt_and_must_be_long(app, organization_factory):
    organizer = organizers.create_organizer(
        email="a@example.org",
        name="A",
        password="long enough pw",
        organizations=[organization_factory()],
    )
    assert organizer.password_hash.startswith("scrypt:")
    try:
        organizers.set_password(organizer, "123456789")
    except organizers.PasswordTooShort:
        pass
    else:
        raise AssertionError("a 9-character password was accepted")


def test_create_organizer_command(runner):
    result = runner.invoke(
        args=[
            "seminars",
            "create-organizer",
            "--email",
            "ewa@mau.example.org",
            "--name",
            "Ewa-Marie Siwerson",
            "--organization",
            "Malmö universitet",
            "--admin",
        ],
        input="a long password\na long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long password" not in result.output
    organizer = db.session.scalars(select(Organizer)).one()
    assert organizer.is_admin
    assert [o.slug for o in organizer.organizations] == ["malmo-universitet"]
    assert organizers.authenticate("ewa@mau.example.org", "a long password") == organizer

    second = runner.invoke(
        args=[
            "seminars",
            "create-organizer",
            "--email",
            "anna@mau.example.org",
            "--name",
            "Anna",
            "--organization",
            "malmö universitet",
        ],
        input="another long password\nanother long password\n",
    )
    assert second.exit_code == 0, second.output
    assert db.session.scalar(select(db.func.count(Organization.id))) == 1


def test_create_organizer_command_refuses_duplicates_and_short_passwords(runner, organizer_factory):
    organizer_factory(email="ewa@example.org")
    args = ["seminars", "create-organizer", "--email", "ewa@example.org", "--name", "E"]
    taken = runner.invoke(args=[*args, "--organization", "OFR"], input="long password 1\n" * 2)
    assert taken.exit_code != 0
    assert "ewa@example.org" in taken.output
    short = runner.invoke(
        args=["seminars", "create-organizer", "--email", "new@example.org", "--name", "N",
              "--organization", "OFR"],
        input="short\nshort\n",
    )  # fmt: skip
    assert short.exit_code != 0
    assert db.session.scalar(select(db.func.count(Organizer.id))) == 1
