"""Parallel sessions in a real browser, phone and desktop, Swedish and English: the signup
form with a full workshop, the attendee page after a session change, the organiser's view
per session and a name badge with its session (the OFR demo seminar's two workshops)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import Seminar
from tests.browser.conftest import DESKTOP, OPEN_SEMINAR, PHONE
from tests.browser.test_organizer_flow import log_in
from tests.browser.test_signup_flow import open_link_from_email

SHOTS = Path("/tmp/shots-sessions")
WORDS = {
    "sv": {
        "full": "Workshop A: tillit i skolan, Sal 204 – fullt, väntelista",
        "sign_up": "Anmäl mig",
    },
    "en": {
        "full": "Workshop A: tillit i skolan, Sal 204 – full, waiting list",
        "sign_up": "Sign up",
    },
}


def shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_signup_with_a_full_workshop_then_waiting_for_it(live_server, browser, device, language):
    context = browser.new_context(locale="sv-SE" if language == "sv" else "en-GB", **device)
    context.set_default_timeout(10_000)
    name = f"{'phone' if device is PHONE else 'desktop'}-{language}"
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/seminars/{OPEN_SEMINAR}")
        full = page.get_by_label(WORDS[language]["full"])
        assert full.is_enabled()  # full, with a waiting list: it may be chosen
        page.locator("#signup").scroll_into_view_if_needed()
        shoot(page, f"signup-full-session-{name}")

        address = f"workshop-{name}@example.org"
        page.fill("#name", "Wilma Workshop")
        page.fill("#email", address)
        page.get_by_label("Workshop B: tillit i vården, Sal 310").check()
        page.locator("#signup form [type=submit]").click()
        page.wait_for_load_state()
        open_link_from_email(page, live_server, address, OPEN_SEMINAR)
        # Holding a seat in B, she waits for A and keeps B.
        page.locator("#sessions").get_by_label(
            "Workshop A: tillit i skolan, Sal 204", exact=False
        ).check()
        page.locator("#sessions form [type=submit]").last.click()
        page.wait_for_url("**#sessions")
        text = page.locator("#sessions").inner_text()
        assert ("Workshop A" in text) and ("Sal 310" in text)
        shoot(page, f"attendee-session-change-{name}")
    finally:
        context.close()


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_organiser_view_per_session_and_a_badge(live_server, browser, device, language):
    context = browser.new_context(locale="sv-SE" if language == "sv" else "en-GB", **device)
    context.set_default_timeout(10_000)
    name = f"{'phone' if device is PHONE else 'desktop'}-{language}"
    page = context.new_page()
    with live_server.app.app_context():
        seminar_id = db.session.scalar(select(Seminar.id).where(Seminar.slug == OPEN_SEMINAR))
        db.session.remove()
    try:
        log_in(page, live_server.url)
        page.goto(f"{live_server.url}/organizer/seminars/{seminar_id}/sessions")
        assert "Workshop A: tillit i skolan" in page.inner_text("main")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= device["viewport"]["width"]
        shoot(page, f"organiser-sessions-{name}")
        page.goto(f"{live_server.url}/organizer/seminars/{seminar_id}/exports/badges")
        assert "Workshop A: tillit i skolan" in page.inner_text("main")
        shoot(page, f"badge-session-{name}")
    finally:
        context.close()
