"""HTML emails in Chromium at a phone's 360 px and a desktop's 1024 px (issue 13, item 8):
one column that never scrolls sideways, with the organisation's logo and accent colour, in
Swedish and English. Screenshots go to screenshots/mail-*.png."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select

from seminars import signup
from seminars.extensions import db
from seminars.mail import render
from seminars.models import Organization, OutboxMessage, Registration, Seminar, utcnow
from tests.test_branding import png

from .conftest import OPEN_SEMINAR

pytestmark = pytest.mark.browser

WIDTHS = (360, 1024)


def _rendered_mails(app, language: str) -> dict[str, str]:
    """A confirmation and a seat carrying the next day's reminder, as the worker renders
    them, with their inline images as data: URLs so a page shows them."""
    with app.app_context():
        seminar = db.session.scalars(select(Seminar).where(Seminar.slug == OPEN_SEMINAR)).one()
        organization = db.session.get(Organization, seminar.organization_id)
        organization.accent_color = "#1a5f7a"
        organization.logo = png(240, 60)
        organization.logo_type, organization.logo_version = "image/png", "test"
        seminar.starts_at = utcnow() + timedelta(hours=20)
        seminar.ends_at = seminar.starts_at + timedelta(hours=3)
        seminar.capacity = seminar.seats_taken + 1
        seminar.attendance_check_days = 1
        db.session.commit()
        mails = {}
        first = signup.sign_up(
            seminar.id,
            signup.Attendee(
                "Åsa Öberg-Lindqvist",
                f"asa.{language}@example.org",
                "Region Sörmland",
                language=language,
            ),
        )
        waiting = signup.sign_up(
            seminar.id,
            signup.Attendee("Bo Berg", f"bo.{language}@example.org", "Vision", language=language),
        )
        db.session.commit()
        signup.cancel(db.session.get(Registration, first.registration_id))
        db.session.commit()
        for kind, registration_id in (
            ("confirmed", first.registration_id),
            ("promoted", waiting.registration_id),
        ):
            row = db.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.kind == kind, OutboxMessage.registration_id == registration_id
                )
            ).one()
            email = render.render(row)
            html = email.html
            for image in email.inline_images:
                data = base64.b64encode(image.png).decode()
                html = html.replace(f"cid:{image.content_id}", f"data:image/png;base64,{data}")
            mails[kind] = html
        return mails


@pytest.mark.parametrize("language", ["sv", "en"])
def test_emails_read_well_on_a_phone_and_a_desktop(live_server, browser, screenshot, language):
    mails = _rendered_mails(live_server.app, language)
    assert "också din påminnelse" in mails["promoted"] or "also your reminder" in mails["promoted"]
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        try:
            for kind, html in mails.items():
                page.set_content(html)
                assert page.evaluate("document.documentElement.lang") == language
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"{kind} at {width} px scrolls sideways by {overflow} px"
                column = page.evaluate(
                    "document.querySelector('.mail-content').getBoundingClientRect().width"
                )
                assert column <= min(width, 600), (kind, width, column)
                logo = page.locator("img[alt]").first
                assert logo.evaluate("image => image.naturalWidth") == 240
                screenshot(page, f"mail-{kind}-{language}-{width}")
        finally:
            context.close()
