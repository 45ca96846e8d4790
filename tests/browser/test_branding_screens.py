"""The organisation's logo and colour page, the organisation's page wearing them, and the
attendee's own address change, in Chromium: axe at zero violations in every state, on a
phone and a desktop, in Swedish and English. Screenshots: screenshots/branding-*.png."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from seminars import demo, signup
from seminars.extensions import db
from seminars.models import Organization, Seminar

from .conftest import DESKTOP, OPEN_SEMINAR, PHONE
from .test_accessibility import RUN_AXE, WCAG_TAGS, _report
from .test_editor_flow import Keyboard, open_context

pytestmark = pytest.mark.browser

# A small logo: the organisation's initials on its colour.
LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 48" width="160" height="48">'
    '<rect width="160" height="48" rx="6" fill="#1a5f7a"/>'
    '<text x="80" y="32" font-family="Arial" font-size="22" font-weight="bold" fill="#fff" '
    'text-anchor="middle">OFR</text></svg>'
)


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["sv", "en"])
def test_branding_and_address_pages(live_server, browser, screenshot, device, language, tmp_path):
    name = f"{'phone' if device is PHONE else 'desktop'}-{language}"
    with live_server.app.app_context():
        seminar = db.session.scalars(select(Seminar).where(Seminar.slug == OPEN_SEMINAR)).one()
        organization = db.session.get(Organization, seminar.organization_id)
        slug, organization_id = organization.slug, organization.id
        outcome = signup.sign_up(
            seminar.id, signup.Attendee("Åsa Öberg", f"asa.{language}@example.org", "Vision")
        )
        token = outcome.token
        db.session.commit()
    logo = tmp_path / "logo.svg"
    logo.write_text(LOGO_SVG)

    context = open_context(browser, device)
    context.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])
    page = context.new_page()
    keys = Keyboard(page, {})
    try:
        page.goto(live_server.url + "/login")
        keys.type("#email", demo.DEMO_ORGANIZER_EMAIL)
        keys.type("#password", demo.DEMO_ORGANIZER_PASSWORD)
        keys.press_button("main form [type=submit]")
        page.goto(f"{live_server.url}/organizer/organizations/{organization_id}/branding")
        keys.check("branding page")

        keys.type("#accent_color", "#ffcc00")
        keys.press_button("main form button[type=submit]")
        assert page.locator("#accent_color-error").is_visible()
        assert "4,5:1" in page.text_content("main") or "4.5:1" in page.text_content("main")
        keys.check("branding page, a colour refused")
        screenshot(page, f"branding-refused-{name}")

        page.set_input_files("#logo", str(logo))
        keys.type("#accent_color", "#1a5f7a")
        keys.press_button("main form button[type=submit]")
        assert page.locator(".org-logo img").is_visible()
        keys.check("branding page, saved")
        screenshot(page, f"branding-saved-{name}")

        page.goto(f"{live_server.url}/o/{slug}")
        assert page.locator(".org-logo img").evaluate("image => image.naturalWidth") > 0
        link = page.locator("main a").nth(1)
        assert link.evaluate("a => getComputedStyle(a).color") == "rgb(26, 95, 122)"
        keys.check("organisation page with its logo and colour")
        screenshot(page, f"branding-organisation-page-{name}")

        page.goto(f"{live_server.url}/r/{token}")
        keys.type("#email", f"asa.ny.{language}@example.org")
        keys.press_button("#change-email button[type=submit]")
        assert f"asa.ny.{language}@example.org" in page.text_content("main")
        keys.check("the attendee's page, address changed")
        screenshot(page, f"branding-attendee-address-changed-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= device["viewport"]["width"]
    finally:
        context.close()
    assert keys.violations == {}, _report(keys.violations)


def test_axe_is_run(live_server, browser):
    """The check above would notice a violation (a field without a label)."""
    context = open_context(browser, DESKTOP)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<input type=text>')")
        assert page.evaluate(RUN_AXE, WCAG_TAGS)
    finally:
        context.close()
