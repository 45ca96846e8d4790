"""The organiser's pages with something to show, in Swedish and English, on a desktop and a
phone: the signup chart over a month of signups and two messages, the dashboard, a
message's preview and its progress, the email log and the audit log in words, the preview
of a draft, and the catering summary as printed. Screenshots go to screenshots/organizer-*
for a person to look at; each page is also checked for what a reader must find on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from seminars import demo, signup
from seminars.extensions import db
from seminars.models import Organizer, OutboxMessage, OutboxStatus, Seminar, utcnow
from seminars.organising import messaging
from tests.conftest import register

from .conftest import DESKTOP, PHONE, SCREENSHOTS, SENSITIVE_SEMINAR

pytestmark = pytest.mark.browser

NAMES = [
    "Anna Andersson", "Bengt Berg", "Cecilia Ek", "David Dahl", "Eva Ström", "Fredrik Lind",
    "Greta Holm", "Hassan Ali", "Ingrid Åberg", "Johan Öst", "Karin Sjö", "Lars Ek",
]  # fmt: skip


@pytest.fixture
def busy_seminar(live_server) -> int:
    """The demo seminar with fika, a month of signups (more than its seats), a cancellation,
    and two messages to attendees (one still on its way)."""
    with live_server.app.app_context():
        seminar = db.session.execute(
            select(Seminar).where(Seminar.slug == SENSITIVE_SEMINAR)
        ).scalar_one()
        organizer = db.session.scalars(
            select(Organizer).where(Organizer.email == demo.DEMO_ORGANIZER_EMAIL)
        ).one()
        seminar.capacity = 8
        now = utcnow()
        for number, name in enumerate(NAMES):
            when = now - timedelta(days=28 - 2 * number, hours=number % 5)
            person = signup.Attendee(name, f"p{number}@example.org", "Region Sörmland")
            registration = register(seminar, person, now=when, by_organizer=True)
            if number == 3:
                signup.cancel(registration, now=when + timedelta(days=5))
        messaging.send_message(
            seminar, organizer, audience="confirmed", subject="Välkommen!", body="Hej.",
            form_id="a" * 32,
        )  # fmt: skip
        for email in db.session.scalars(select(OutboxMessage)):
            email.status, email.sent_at = OutboxStatus.SENT, now
        messaging.send_message(
            seminar, organizer, audience="everyone", subject="Ny lokal", body="Vi ses i Aulan.",
            form_id="b" * 32,
        )  # fmt: skip
        db.session.commit()
        return seminar.id


def log_in(page, base: str) -> None:
    page.goto(base + "/login")
    page.fill("#email", demo.DEMO_ORGANIZER_EMAIL)
    page.fill("#password", demo.DEMO_ORGANIZER_PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url("**/organizer/**")


def no_sideways_scroll(page, device: dict) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= device["viewport"]["width"], f"{page.url} scrolls sideways: {width} px"


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_organiser_pages_with_history(
    live_server, browser, screenshot, busy_seminar, device, language
):
    context = browser.new_context(locale="sv-SE" if language == "sv" else "en-GB", **device)
    context.set_default_timeout(10_000)
    name = f"{'phone' if device is PHONE else 'desktop'}-{language}"
    page = context.new_page()
    base, seminar = live_server.url, f"{live_server.url}/organizer/seminars/{busy_seminar}"
    try:
        log_in(page, base)
        page.goto(f"{base}/language/{language}?next=/organizer/seminars/{busy_seminar}/edit")
        chart = page.locator(".signup-chart-wide" if device is DESKTOP else ".signup-chart-narrow")
        assert chart.is_visible()
        assert page.locator(".signup-chart:visible").count() == 1
        assert page.locator(".chart-mailing").count() == 4  # two messages, in each drawing
        totals = page.locator(".chart-totals").inner_text()
        # The demo seminar is hybrid: its 8 seats on site here, and 300 online (3 taken).
        assert (
            "11 av 308 platser tagna" if language == "sv" else "11 of 308 seats taken"
        ) in totals
        no_sideways_scroll(page, device)
        page.locator("section.signups").screenshot(
            path=str(SCREENSHOTS / f"organizer-chart-{name}.png")
        )

        # A new start and venue, saved in the editor, for the audit log.
        for field in ("#starts_at", "#ends_at"):
            moment = datetime.fromisoformat(page.input_value(field)) + timedelta(days=1)
            page.fill(field, moment.strftime("%Y-%m-%dT%H:%M"))
        page.fill("#venue_name", "Niagara, Aulan")
        page.uncheck("#notify_attendees")
        with page.expect_navigation():
            page.locator(".editor-buttons button[name=save]").click()
        assert page.locator(".error-summary").count() == 0

        page.goto(f"{base}/organizer/")
        assert page.locator(".signup-chart-small").count() >= 1
        no_sideways_scroll(page, device)
        screenshot(page, f"organizer-dashboard-{name}")

        page.goto(f"{seminar}/messages")
        progress = page.locator("#message-history").inner_text()
        assert ("väntar" if language == "sv" else "waiting") in progress
        page.fill("#subject", "Program")
        page.fill("#body", "Programmet är klart.")
        page.locator("main form button[name=preview]").click()
        # In the attendee's language (Swedish here), whatever the organiser reads.
        assert page.locator(".message-text").inner_text().startswith("Hej Anna Andersson!")
        screenshot(page, f"organizer-message-preview-{name}")

        page.goto(f"{seminar}/emails")
        log = page.locator("table.email-log").inner_text()
        assert ("Bekräftelse" if language == "sv" else "Confirmation") in log
        assert "seminar_changed" not in log and "Försök 0" not in log
        no_sideways_scroll(page, device)
        screenshot(page, f"organizer-email-log-{name}")

        page.goto(f"{seminar}/exports/badges?per_page=8")
        page.goto(f"{seminar}/audit")
        audit_log = page.locator("table.audit-log").inner_text()
        assert (
            "Exporterade namnbrickor (bekräftade, 8 per A4)"
            if language == "sv"
            else "Exported name badges (confirmed, 8 per A4)"
        ) in audit_log
        assert "→" in audit_log and "starts_at" not in audit_log
        screenshot(page, f"organizer-audit-log-{name}")

        page.goto(f"{seminar}/preview")
        assert page.locator(".preview-banner").is_visible()
        screenshot(page, f"organizer-preview-{name}")

        page.goto(f"{seminar}/exports/catering")
        page.emulate_media(media="print")
        heading = page.locator(".catering-seminar")
        assert heading.is_visible() and "Niagara, Aulan" in heading.inner_text()
        assert page.locator(".site-header").is_hidden()
        screenshot(page, f"organizer-catering-print-{name}")
    finally:
        context.close()
