"""An organiser runs a seminar end to end in a real Chromium: creates it with a diet question,
publishes it, sees an attendee who signed up on a phone, imports two people pasted from an
inbox and checks one of them in at the door on a phone.

Screenshots go to screenshots/organizer-*.png for a person to look at.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from seminars import demo

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

TITLE = "Tillit i vardagen – ett seminarium för chefer"
DIETS = ["Ingen särskild kost", "Vegetarisk", "Vegansk", "Glutenfri"]
PASTED = "Anna Andersson <anna@kommun.se>, Nyköpings kommun\nPer Öberg <per.oberg@region.se>\n"


def open_context(browser, device: dict):
    context = browser.new_context(locale="sv-SE", **device)
    context.set_default_timeout(10_000)
    return context


def log_in(page, base_url: str) -> None:
    page.goto(base_url + "/login")
    page.fill("#email", demo.DEMO_ORGANIZER_EMAIL)
    page.fill("#password", demo.DEMO_ORGANIZER_PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url("**/organizer/**")


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def test_organizer_runs_a_seminar_end_to_end(live_server, browser, screenshot):
    base = live_server.url
    organizer = open_context(browser, DESKTOP)
    attendee = open_context(browser, PHONE)
    door = open_context(browser, PHONE)
    try:
        page = organizer.new_page()
        log_in(page, base)

        # Create the seminar with a sensitive one-choice diet question.
        page.goto(base + "/organizer/seminars/new")
        day = (date.today() + timedelta(days=30)).isoformat()
        page.fill("#title", TITLE)
        page.select_option("#organization_id", index=0)
        page.fill("#starts_at", f"{day}T13:00")
        page.fill("#ends_at", f"{day}T16:00")
        page.fill("#venue_name", "Stadshuset, sal 3")
        page.fill("#capacity", "20")
        page.fill("#questions-0-text", "Kost")
        page.select_option("#questions-0-kind", "choice")
        page.fill("#questions-0-choices", "\n".join(DIETS))
        page.check("#questions-0-sensitive")
        screenshot(page, "organizer-new-seminar")
        submit(page, page.locator("form.editor button[name=save]").first)
        assert re.search(r"/organizer/seminars/\d+/edit$", page.url), page.url
        assert page.locator(".error-summary").count() == 0
        seminar_id = re.search(r"/seminars/(\d+)/", page.url)[1]
        slug = page.input_value("#slug")
        assert slug

        submit(page, page.locator(".editor-buttons button[name=publish]"))
        assert page.locator(".badge-published").is_visible()

        # An attendee signs up on a phone, in a browser of their own.
        phone = attendee.new_page()
        phone.goto(f"{base}/seminars/{slug}")
        assert TITLE in phone.locator("h1").inner_text()
        phone.fill("#name", "Karin Lindqvist")
        phone.fill("#email", "karin.lindqvist@example.org")
        phone.fill("#organization", "Region Sörmland")
        phone.get_by_label("Vegetarisk", exact=True).check()
        phone.check("#health_consent")
        submit(phone, phone.locator("#signup form button[type=submit]"))
        # The answer to every signup: the seat and the personal link are in the email.
        assert phone.locator(".sent-to").inner_text() == "karin.lindqvist@example.org"

        # The organiser sees them. Health answers stay off the list, on the person's page only.
        attendees_url = f"{base}/organizer/seminars/{seminar_id}/attendees"
        page.goto(attendees_url)
        row = page.locator("table.roster tbody tr", has_text="Karin Lindqvist")
        assert row.count() == 1
        assert "Region Sörmland" in row.inner_text()
        assert "Vegetarisk" not in row.inner_text()
        submit(page, row.get_by_role("link", name="Karin Lindqvist"))
        assert page.get_by_label("Vegetarisk", exact=True).is_checked()

        # Two people who signed up by email, pasted from the inbox.
        page.goto(attendees_url + "/import")
        page.fill("#text", PASTED)
        submit(page, page.locator("main form button[name=preview]"))
        assert page.locator("#add-heading").inner_text().endswith("(2)")
        added = page.locator("section[aria-labelledby=add-heading] tbody tr")
        assert added.count() == 2
        assert "Nyköpings kommun" in added.nth(0).inner_text()
        assert "per.oberg@region.se" in added.nth(1).inner_text()
        screenshot(page, "organizer-import-preview")
        submit(page, page.locator("main form button[name=confirm]"))
        page.goto(attendees_url)
        names = page.locator("table.roster tbody th").all_inner_texts()
        for name in ("Karin Lindqvist", "Anna Andersson", "Per Öberg"):
            assert any(text.startswith(name) for text in names), names

        # At the door, on a phone: check Anna in.
        door_page = door.new_page()
        log_in(door_page, base)
        door_page.goto(f"{base}/organizer/seminars/{seminar_id}/checkin")
        count = door_page.locator("#checkin-count")
        assert re.search(r"\b0\b.*\b3\b", count.inner_text()), count.inner_text()
        anna = door_page.locator(".checkin-row", has_text="Anna Andersson")
        submit(door_page, anna.locator("button.checkin-button"))
        assert re.search(r"\b1\b.*\b3\b", count.inner_text()), count.inner_text()
        assert "is-checked-in" in anna.get_attribute("class")
        assert door_page.locator(".checkin-row.is-checked-in").count() == 1
        # The check-in button is big enough to tap on a phone and fits the screen.
        box = anna.locator("button.checkin-button").bounding_box()
        assert box["height"] >= 44
        assert box["x"] + box["width"] <= PHONE["viewport"]["width"]
        screenshot(door_page, "organizer-checkin-phone")
    finally:
        door.close()
        attendee.close()
        organizer.close()
