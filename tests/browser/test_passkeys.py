"""Passkeys in real Chromium, with the DevTools protocol's virtual authenticator: register a
passkey, sign in with it alone (a discoverable credential with user verification: both
factors), use it as the second step after the password, and remove it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from seminars.accounts import organizers
from seminars.extensions import db
from seminars.models import LoginSession, Passkey
from tests.browser.servers import local_app

PASSWORD = "passkey tests password"


@pytest.fixture
def server(tmp_path):
    with local_app(tmp_path) as server:
        with server.app.app_context():
            organizers.create_organizer(
                email="ewa@example.org",
                name="Ewa Nyckelsdotter",
                password=PASSWORD,
                organizations=[organizers.organization_named("OFR")],
            )
            db.session.commit()
        yield server


def virtual_authenticator(page) -> None:
    """A platform authenticator that holds discoverable credentials and verifies its user
    (as a phone or laptop with a fingerprint reader does)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def log_in_with_password(page, url: str) -> None:
    page.goto(url + "/login")
    page.fill("#email", "ewa@example.org")
    page.fill("#password", PASSWORD)
    page.locator("main form [type=submit]").first.click()


def methods_used(server) -> list[str]:
    with server.app.app_context():
        return list(db.session.scalars(select(LoginSession.method).order_by(LoginSession.id)))


def test_register_a_passkey_sign_in_with_it_alone_and_remove_it(server, desktop_page, screenshot):
    page = desktop_page
    virtual_authenticator(page)
    log_in_with_password(page, server.url)
    page.wait_for_url(server.url + "/organizer/")

    page.goto(server.url + "/organizer/account/")
    page.fill("#name", "Jobbdatorn")
    page.get_by_role("button", name="Lägg till en nyckel").click()
    page.get_by_text("Nyckeln ”Jobbdatorn” är tillagd.").wait_for()
    screenshot(page, "account-security-passkey-desktop-sv")
    with server.app.app_context():
        [passkey] = db.session.scalars(select(Passkey)).all()
        assert passkey.name == "Jobbdatorn"

    # A passkey alone, no email and no password.
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(server.url + "/login")
    page.get_by_role("button", name="Logga in med en nyckel (passkey)").click()
    page.wait_for_url(server.url + "/organizer/")
    assert methods_used(server)[-1] == "passkey"

    # After the password, the passkey is the second step.
    page.get_by_role("button", name="Logga ut").click()
    log_in_with_password(page, server.url)
    page.wait_for_url("**/login/verify*")
    page.get_by_role("button", name="Använd min nyckel").click()
    page.wait_for_url(server.url + "/organizer/")
    assert methods_used(server)[-1] == "password"

    page.goto(server.url + "/organizer/account/")
    page.get_by_role("button", name="Ta bort Jobbdatorn").click()
    page.get_by_text("Nyckeln är borttagen.").wait_for()
    with server.app.app_context():
        assert db.session.scalars(select(Passkey)).all() == []

    # The authenticator still holds the credential, but it no longer opens the account.
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(server.url + "/login")
    page.get_by_role("button", name="Logga in med en nyckel (passkey)").click()
    page.get_by_text("Den nyckeln går inte att logga in med här.").wait_for()
    assert page.url == server.url + "/login"


def test_a_passkey_needs_a_name(server, phone_page):
    page = phone_page
    virtual_authenticator(page)
    log_in_with_password(page, server.url)
    page.wait_for_url(server.url + "/organizer/")
    page.goto(server.url + "/organizer/account/")
    page.get_by_role("button", name="Lägg till en nyckel").click()
    page.get_by_text("Ge nyckeln ett namn").wait_for()
    with server.app.app_context():
        assert db.session.scalars(select(Passkey)).all() == []
