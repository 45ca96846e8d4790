"""A new organiser's first steps, as a person takes them, in Swedish and English on a phone
and a desktop: accepting an invitation, being led to set up an authenticator app because
the organisation requires one (QR code, the code, ten recovery codes), and a door helper's
check-in list on the phone. Screenshots of each step go to screenshots/."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from seminars import signup
from seminars.accounts import invites, organizers
from seminars.extensions import db
from seminars.models import Role, Seminar, SeminarStatus, utcnow
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.servers import local_app
from tests.conftest import register

PASSWORD = "my own long password"
WORDS = {
    "sv-SE": {
        "create": "Skapa mitt konto",
        "set_up": "Lägg till en autentiseringsapp",
        "turn_on": "Slå på",
        "saved": "Jag har sparat koderna",
        "check_in": "Checka in",
    },
    "en-GB": {
        "create": "Create my account",
        "set_up": "Set up an authenticator app",
        "turn_on": "Turn on",
        "saved": "I have saved the codes",
        "check_in": "Check in",
    },
}


@pytest.fixture
def world(tmp_path):
    with local_app(tmp_path) as server:
        with server.app.app_context():
            ofr = organizers.organization_named("OFR")
            ofr.require_second_factor = True
            admin = organizers.create_organizer(
                email="admin@example.org", name="Ewa-Marie Siwerson", password=PASSWORD,
                organizations=[ofr], role=Role.ADMIN,
            )  # fmt: skip
            starts = utcnow().replace(microsecond=0)
            from datetime import timedelta

            seminar = Seminar(
                slug="inflytande", title="Inflytande och hälsa", organization=ofr, capacity=80,
                starts_at=starts + timedelta(hours=1), ends_at=starts + timedelta(hours=4),
                status=SeminarStatus.PUBLISHED, venue_name="Aulan",
            )  # fmt: skip
            db.session.add(seminar)
            db.session.flush()
            for name, organization in [("Åsa Plesner", "Balans"), ("Lars Fresker", "Vision"),
                                       ("Maria Nordin", "Unionen")]:  # fmt: skip
                email = name.split()[0].lower().replace("å", "a") + "@example.org"
                register(seminar, signup.Attendee(name, email, organization))
            tokens: list[str] = []
            for email, role in [("nils@ofr.example.org", Role.ORGANISER),
                                ("dorr@ofr.example.org", Role.DOOR_HELPER)]:  # fmt: skip
                invites.invite(
                    email=email, name=email.split("@")[0].title(), organization=ofr, role=role,
                    invited_by=admin, accept_url_for=tokens.append,
                )  # fmt: skip
            db.session.commit()
            server.tokens = tokens
            server.seminar_id = seminar.id
        yield server


def _accept(page, server, token: str, words: dict) -> None:
    page.goto(f"{server.url}/invite/{token}")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.get_by_role("button", name=words["create"]).click()


@pytest.mark.parametrize("locale", ["sv-SE", "en-GB"], indirect=True)
@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_invitation_factor_setup_and_door_helper(world, browser, locale, device, screenshot):
    words = WORDS[locale]
    name = f"{'phone' if device is PHONE else 'desktop'}-{locale[:2]}"
    context = browser.new_context(locale=locale, **device)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"{world.url}/invite/{world.tokens[0]}")
        screenshot(page, f"invite-{name}")
        _accept(page, world, world.tokens[0], words)
        # The organisation requires a second factor: led to the security page first.
        page.wait_for_url(world.url + "/organizer/account/")
        width = device["viewport"]["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways
        screenshot(page, f"factor-required-{name}")
        page.get_by_role("link", name=words["set_up"]).click()
        assert page.locator("img.qr").is_visible()
        screenshot(page, f"factor-setup-qr-{name}")
        secret = page.locator("code.secret").text_content().replace(" ", "")
        page.fill("#code", pyotp.TOTP(secret).now())
        page.get_by_role("button", name=words["turn_on"]).click()
        codes = page.locator("ol.recovery-codes li").all_text_contents()
        assert len(codes) == 10 and all(re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", c) for c in codes)
        screenshot(page, f"factor-recovery-codes-{name}")
        page.get_by_role("link", name=words["saved"]).click()
        page.goto(world.url + "/organizer/")
        assert page.url == world.url + "/organizer/"  # no longer held at the setup

        # The door helper, on their phone at the door.
        context.clear_cookies()
        _accept(page, world, world.tokens[1], words)
        page.wait_for_url(world.url + "/organizer/account/")  # a second factor first
        page.get_by_role("link", name=words["set_up"]).click()
        secret = page.locator("code.secret").text_content().replace(" ", "")
        page.fill("#code", pyotp.TOTP(secret).now())
        page.get_by_role("button", name=words["turn_on"]).click()
        page.get_by_role("link", name=words["saved"]).click()
        with world.app.app_context():
            helper = organizers.organizer_by_email("dorr@ofr.example.org")
            organizers.set_door_seminars(helper, {world.seminar_id}, choosable={world.seminar_id})
            db.session.commit()
        page.goto(world.url + "/organizer/checkin/")
        screenshot(page, f"door-helper-seminars-{name}")
        page.get_by_role("link", name="Inflytande och hälsa").click()
        assert "asa@example.org" not in page.content()
        screenshot(page, f"door-helper-check-in-{name}")
        page.get_by_role("button", name=f"{words['check_in']} Åsa Plesner").click()
        page.locator("#checkin-list .is-checked-in").first.wait_for()
        with world.app.app_context():
            from seminars.models import Registration

            checked = db.session.scalars(
                select(Registration.name).where(Registration.checked_in_at.is_not(None))
            ).all()
        assert checked == ["Åsa Plesner"]
    finally:
        context.close()
