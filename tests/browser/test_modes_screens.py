"""A hybrid seminar in a real browser, on a phone and a desktop, in Swedish and English: its
page with seats per mode, the signup form with on site full, the attendee page after a
switch to online, and the organiser's list per mode. Screenshots go to /tmp/shots-modes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from seminars import demo, signup
from seminars.extensions import db
from seminars.models import Registration, Seminar, Status

from .conftest import DESKTOP, PHONE, SENSITIVE_SEMINAR

SHOTS = Path("/tmp/shots-modes")
TEXTS = {
    "sv": {
        "seats": "Fullbokat på plats · digitalt: 255 platser kvar",
        "full": "På plats – fullbokat, väntelista",
        "switch": "Delta digitalt i stället",
        "switched": "Du deltar digitalt.",
        "list": "Deltar",
    },
    "en": {
        "seats": "Fully booked on site · online: 255 seats left",
        "full": "On site – fully booked, waiting list",
        "switch": "Take part online instead",
        "switched": "You take part online.",
        "list": "Takes part",
    },
}


@pytest.fixture
def hybrid(live_server) -> list[str]:
    """The demo's Malmö seminar with its crowd: the room full, people waiting, 45 online.
    Returns manage tokens of four people with a seat on site."""
    with live_server.app.app_context():
        seminar = db.session.scalar(select(Seminar).where(Seminar.slug == SENSITIVE_SEMINAR))
        demo._crowd(seminar)
        seated = db.session.scalars(
            select(Registration)
            .where(Registration.seminar_id == seminar.id, Registration.status == Status.CONFIRMED)
            .order_by(Registration.id)
            .limit(4)
        ).all()
        tokens = [signup.manage_token(registration) for registration in seated]
        db.session.commit()
        return tokens


def no_sideways_scroll(page, device: dict) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= device["viewport"]["width"], f"{page.url} scrolls sideways: {width} px"


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_hybrid_seminar_screens(live_server, browser, hybrid, device, language):
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="sv-SE" if language == "sv" else "en-GB", **device)
    context.set_default_timeout(10_000)
    page = context.new_page()
    name = f"{'phone' if device is PHONE else 'desktop'}-{language}"
    texts = TEXTS[language]
    token = hybrid[[DESKTOP, PHONE].index(device) * 2 + ["sv", "en"].index(language)]
    try:
        page.goto(f"{live_server.url}/seminars/{SENSITIVE_SEMINAR}")
        assert texts["seats"] in page.locator("main").inner_text()
        no_sideways_scroll(page, device)
        page.screenshot(path=str(SHOTS / f"seminar-{name}.png"), full_page=True)
        page.screenshot(path=str(SHOTS / f"seminar-top-{name}.png"))

        signup_form = page.locator("#signup")
        assert page.get_by_text(texts["full"]).is_visible()
        signup_form.screenshot(path=str(SHOTS / f"signup-form-{name}.png"))

        page.goto(f"{live_server.url}/r/{token}")
        page.get_by_role("button", name=texts["switch"]).click()
        page.wait_for_load_state()
        assert texts["switched"] in page.locator("main").inner_text()
        no_sideways_scroll(page, device)
        page.screenshot(path=str(SHOTS / f"attendee-switched-{name}.png"), full_page=True)
        page.screenshot(path=str(SHOTS / f"attendee-switched-top-{name}.png"))

        page.goto(live_server.url + "/login")
        page.fill("#email", demo.DEMO_ORGANIZER_EMAIL)
        page.fill("#password", demo.DEMO_ORGANIZER_PASSWORD)
        page.locator("main form [type=submit]").click()
        page.wait_for_url("**/organizer/**")
        with live_server.app.app_context():
            seminar_id = db.session.scalar(
                select(Seminar.id).where(Seminar.slug == SENSITIVE_SEMINAR)
            )
        page.goto(f"{live_server.url}/organizer/seminars/{seminar_id}/attendees?mode=online")
        assert page.locator("table.roster").is_visible()
        assert texts["list"] in page.locator("main").inner_text()
        page.screenshot(path=str(SHOTS / f"organizer-online-{name}.png"), full_page=False)
        page.goto(f"{live_server.url}/organizer/")
        row = page.locator("table.dashboard tr", has_text="Styrning och ledarskap")
        row.screenshot(path=str(SHOTS / f"organizer-dashboard-{name}.png"))
    finally:
        context.close()
