"""The seminar editor in a real Chromium (issue 13).

The main test is keyboard only: a new organiser accepts the invitation from its email and
chooses a password, creates a seminar with three program rows, two speakers and a choice
question, publishes it with an edit not yet saved in the form, finds the edit on the public
page, and corrects the address of an attendee whose mail bounced. axe stays at zero
violations in every state on the way; screenshots on a desktop and a phone go to
screenshots/editor-*.png.

Also: rows added, moved and removed in place by static/editor.js; the same without
JavaScript by round trips; and a warning before leaving with unsaved changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from seminars.accounts import organizers
from seminars.extensions import db
from seminars.models import Organization, Registration, Seminar, SeminarStatus, Status

from .conftest import DESKTOP, PHONE
from .test_accessibility import AXE_SOURCE, RUN_AXE, WCAG_TAGS, _report

pytestmark = pytest.mark.browser

EMAIL = "karin.holm@lansstyrelsen.example.org"
PASSWORD = "tre tysta tranor i tornet"
TITLE = "Tillit i förvaltningen – ett lunchseminarium"
EDITED_TITLE = "Tillit i förvaltningen – lunchseminarium med panel"
DAY = date.today() + timedelta(days=40)


@dataclass
class Keyboard:
    """Drives a page with the keyboard only, and checks each state it reaches with axe."""

    page: object
    violations: dict

    def tab_to(self, selector: str, *, backwards: bool = False, most: int = 300) -> None:
        """Press Tab (or Shift+Tab) until the element matching `selector` has the focus: it
        must be reachable from the keyboard."""
        key = "Shift+Tab" if backwards else "Tab"
        for _press in range(most):
            if self.page.evaluate("s => document.activeElement.matches(s)", selector):
                return
            self.page.keyboard.press(key)
        raise AssertionError(f"{selector} is not reachable with {key}")

    def type(self, selector: str, text: str) -> None:
        self.tab_to(selector)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)

    def time(self, selector: str, hour: int, minute: int) -> None:
        """This headless Chromium lays out time fields as in the US: hh, mm, AM/PM."""
        self.tab_to(selector)
        self.page.keyboard.type(
            f"{(hour - 1) % 12 + 1:02d}{minute:02d}{'P' if hour >= 12 else 'A'}"
        )
        assert self.page.input_value(selector) == f"{hour:02d}:{minute:02d}"

    def date_and_time(self, selector: str, day: date, hour: int, minute: int) -> None:
        """…and date-and-time fields as mm/dd/yyyy, then the time; Tab moves from the year on."""
        self.tab_to(selector)
        self.page.keyboard.type(f"{day:%m%d%Y}")
        self.page.keyboard.press("Tab")
        self.page.keyboard.type(
            f"{(hour - 1) % 12 + 1:02d}{minute:02d}{'P' if hour >= 12 else 'A'}"
        )
        assert self.page.input_value(selector) == f"{day:%Y-%m-%d}T{hour:02d}:{minute:02d}"

    def press_button(self, selector: str, *, navigates: bool = True) -> None:
        self.tab_to(selector)
        if navigates:
            with self.page.expect_navigation():
                self.page.keyboard.press("Enter")
        else:
            self.page.keyboard.press("Enter")

    def check(self, label: str) -> None:
        found = self.page.evaluate(RUN_AXE, WCAG_TAGS)
        if found:
            self.violations[label] = found


def open_context(browser, device: dict, **options):
    context = browser.new_context(locale="sv-SE", **device, **options)
    context.set_default_timeout(10_000)
    context.add_init_script(script=AXE_SOURCE)
    return context


@pytest.fixture
def new_organiser(live_server):
    """An invitation to an organisation new to the app, sent by the demo's administrator;
    returns the link in its email."""
    from seminars import demo
    from seminars.accounts import invites
    from seminars.mail import render
    from seminars.models import OutboxMessage, Role

    with live_server.app.app_context(), live_server.app.test_request_context():
        organization = Organization(slug="lansstyrelsen", name="Länsstyrelsen i Södermanland")
        db.session.add(organization)
        db.session.flush()
        invites.invite(
            email=EMAIL,
            name="Karin Holm",
            organization=organization,
            role=Role.ORGANISER,
            invited_by=organizers.organizer_by_email(demo.DEMO_ORGANIZER_EMAIL),
            accept_url_for=lambda token: live_server.url + f"/invite/{token}",
        )
        db.session.commit()
        row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invite")).one()
        text = render.render(row).text
    [link] = re.findall(re.escape(live_server.url) + r"/invite/\S+", text)
    return link


def accept_invite(keys: Keyboard, link: str, screenshot, device_name: str) -> None:
    """From the invitation's link: a password of their own, twice, and they are in."""
    keys.page.goto(link)
    assert "Välkommen, Karin Holm" in keys.page.text_content("h1")
    keys.check("the invitation")
    keys.type("#password", PASSWORD)
    keys.type("#confirm", PASSWORD)
    keys.press_button("main form button[type=submit]")
    assert "/organizer/" in keys.page.url, keys.page.url
    assert keys.page.text_content("h1") == "Mina seminarier"
    keys.check("the dashboard of a new organiser")
    screenshot(keys.page, f"editor-invite-accepted-{device_name}")


def correct_an_address(keys: Keyboard, base: str, seminar_id: int, screenshot, name: str):
    """Per's confirmation bounced ("Adressen fungerar inte"): the organiser follows the
    warning from the list to the correction and types the right address."""
    page = keys.page
    page.goto(f"{base}/organizer/seminars/{seminar_id}/attendees")
    keys.check("the attendee list with an address that does not work")
    keys.press_button("a.undeliverable")
    assert page.url.endswith("#change-email")
    keys.type("#email", "per.persson@example.org")
    keys.check("the person page, a new address typed")
    screenshot(page, f"editor-address-typed-{name}")
    keys.press_button("#change-email button[type=submit]")
    main = page.text_content("body")
    assert "Adressen är ändrad till per.persson@example.org" in main
    assert "Adressen fungerar inte" not in main
    assert "Bekräftad" in main  # the seat is kept
    keys.check("the person page, the address corrected")
    screenshot(page, f"editor-address-corrected-{name}")


def create_seminar(keys: Keyboard, screenshot, device_name: str) -> None:
    """Everything by keyboard: fields, three program rows (one moved), two speakers, a
    question with three choices; then Save."""
    page = keys.page
    keys.press_button("a[href$='/organizer/seminars/new']")
    keys.check("new seminar, empty")
    keys.type("#title", TITLE)
    keys.date_and_time("#starts_at", DAY, 11, 30)
    keys.date_and_time("#ends_at", DAY, 14, 0)
    keys.type("#venue_name", "Residenset, Stora salen")
    keys.type("#venue_address", "Slottsgatan 5, 611 30 Nyköping")
    keys.type("#capacity", "40")

    keys.time("#program-0-time", 11, 30)
    keys.type("#program-0-title", "Välkommen")
    keys.type("#program-0-who", "Länsrådet")
    keys.time("#program-1-time", 13, 30)
    keys.type("#program-1-title", "Kaffe och avslutning")
    keys.time("#program-2-time", 12, 15)
    keys.type("#program-2-title", "Panelsamtal om tillit")
    keys.type("#program-2-who", "Anna Lexelius och Gabriel Billing")
    # The panel comes before the coffee: move its row up, in place.
    keys.tab_to("#program-rows fieldset:nth-of-type(3) .row-up")
    page.keyboard.press("Enter")
    assert page.input_value("#program-1-title") == "Panelsamtal om tillit"
    assert page.input_value("#program-1-time") == "12:15"
    assert page.evaluate("document.activeElement.textContent").startswith("Flytta upp")
    expect(page.locator("[data-editor-status]")).to_have_text("Flyttad till plats 2.")

    keys.type("#speakers-0-name", "Anna Lexelius")
    keys.type("#speakers-0-role", "huvudsekreterare")
    keys.type("#speakers-0-affiliation", "Tillitsdelegationen")
    keys.type("#speakers-1-name", "Gabriel Billing")
    keys.type("#speakers-1-role", "enhetschef")
    keys.type("#speakers-1-affiliation", "Nyköpings kommun")

    keys.type("#questions-0-text", "Vilken lunch vill du ha?")
    assert page.locator("[data-choices-for='questions-0-kind']").is_hidden()
    keys.tab_to("#questions-0-kind")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.input_value("#questions-0-kind") == "choice"
    assert page.locator("[data-choices-for='questions-0-kind']").is_visible()
    keys.type("#questions-0-choices", "Kött\nFisk\nVegetarisk")
    keys.check("new seminar, filled in")
    screenshot(page, f"editor-filled-{device_name}")

    keys.press_button(".editor-buttons button[name=save]")
    assert re.search(r"/organizer/seminars/\d+/edit$", page.url), page.url
    assert page.locator(".error-summary").count() == 0
    assert "Seminariet är sparat som utkast" in page.text_content("main")
    keys.check("seminar saved as a draft")


def publish_with_an_unsaved_edit(keys: Keyboard, screenshot, device_name: str) -> None:
    page = keys.page
    keys.type("#title", EDITED_TITLE)
    keys.press_button(".editor-buttons button[name=publish]")
    assert "Sparat och publicerat" in page.text_content("main")
    assert page.locator(".badge-published").is_visible()
    assert page.input_value("#title") == EDITED_TITLE
    keys.check("published, back in the editor")
    screenshot(page, f"editor-published-{device_name}")


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_new_organiser_creates_and_publishes_a_seminar_by_keyboard(
    live_server, browser, screenshot, new_organiser, device
):
    device_name = "phone" if device is PHONE else "desktop"
    context = open_context(browser, device)
    keys = Keyboard(context.new_page(), {})
    # The seminar page's JSON-LD is a data block: the strict CSP must have nothing to refuse.
    refused = []
    keys.page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else 0
        ),
    )
    try:
        accept_invite(keys, new_organiser, screenshot, device_name)
        create_seminar(keys, screenshot, device_name)
        publish_with_an_unsaved_edit(keys, screenshot, device_name)
        seminar_id = int(re.search(r"/organizer/seminars/(\d+)/", keys.page.url).group(1))

        # The public page, reached from the editor by keyboard.
        keys.press_button("main p.by a")
        page = keys.page
        assert page.locator("h1").inner_text() == EDITED_TITLE
        items = page.locator("ol.program li")
        assert [items.nth(n).locator(".what").inner_text() for n in range(3)] == [
            "Välkommen",
            "Panelsamtal om tillit",
            "Kaffe och avslutning",
        ]
        assert items.nth(1).locator(".time").inner_text() == "12.15"
        assert page.locator("ul.speakers li").all_inner_texts() == [
            "Anna Lexelius, huvudsekreterare, Tillitsdelegationen",
            "Gabriel Billing, enhetschef, Nyköpings kommun",
        ]
        for choice in ("Kött", "Fisk", "Vegetarisk"):
            assert page.get_by_label(choice, exact=True).is_visible()
        assert page.locator("script[type='application/ld+json']").count() == 1
        keys.check("the published seminar's page")
        screenshot(page, f"editor-public-page-{device_name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= device["viewport"]["width"], f"the page scrolls sideways: {width} px"

        per = bounced_attendee(live_server.app, seminar_id)
        correct_an_address(keys, live_server.url, seminar_id, screenshot, device_name)
    finally:
        context.close()
    with live_server.app.app_context():
        seminar = db.session.scalars(select(Seminar).where(Seminar.title == EDITED_TITLE)).one()
        assert seminar.status == SeminarStatus.PUBLISHED
        registration = db.session.get(Registration, per)
        assert (registration.email, registration.status) == (
            "per.persson@example.org",
            Status.CONFIRMED,
        )
    assert keys.violations == {}, _report(keys.violations)
    assert refused == []


def bounced_attendee(app, seminar_id: int) -> int:
    """Per signed up with a typo in his address, and the confirmation came back."""
    from seminars import signup

    with app.app_context():
        outcome = signup.sign_up(
            seminar_id, signup.Attendee("Per Persson", "per.persson@exmaple.org", "Region Sörmland")
        )
        registration = db.session.get(Registration, outcome.registration_id)
        registration.undeliverable_email = registration.email
        db.session.commit()
        return registration.id


def _log_in_demo(page, base: str) -> None:
    from seminars import demo

    page.goto(base + "/login")
    page.fill("#email", demo.DEMO_ORGANIZER_EMAIL)
    page.fill("#password", demo.DEMO_ORGANIZER_PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url("**/organizer/**")


def test_rows_are_added_and_removed_in_place(live_server, browser, screenshot):
    context = open_context(browser, DESKTOP)
    page = context.new_page()
    keys = Keyboard(page, {})
    try:
        _log_in_demo(page, live_server.url)
        page.goto(live_server.url + "/organizer/seminars/new")
        requests = []
        page.on(
            "request",
            lambda request: requests.append(request.url) if request.is_navigation_request() else 0,
        )
        assert page.locator("#program-rows [data-row]").count() == 3
        # In place, one row at a time (without the script, three per round trip).
        keys.press_button("button[data-row-add=program]", navigates=False)
        assert page.locator("#program-rows [data-row]").count() == 4
        # The first new row has the focus, numbered on from the others.
        assert page.evaluate("document.activeElement.id") == "program-3-time"
        assert page.locator("#program-rows [data-row]").nth(3).locator("legend").inner_text() == (
            "Programpunkt 4"
        )
        page.fill("#program-3-title", "Mingel")
        page.fill("#program-0-title", "Välkommen")
        keys.tab_to("#program-rows fieldset:nth-of-type(1) .row-remove", backwards=True)
        page.keyboard.press("Enter")
        assert page.input_value("#program-2-title") == "Mingel"
        assert page.evaluate("document.activeElement.id") == "program-0-time"
        expect(page.locator("[data-editor-status]")).to_have_text("Programpunkt 1 borttagen.")
        keys.check("editor after rows were added and removed")
        screenshot(page, "editor-rows-in-place")
        assert requests == [], "the rows changed by a round trip"
    finally:
        context.close()
    assert keys.violations == {}, _report(keys.violations)


def test_the_editor_works_without_javascript(live_server, browser):
    context = open_context(browser, PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        _log_in_demo(page, live_server.url)
        page.goto(live_server.url + "/organizer/seminars/new")
        page.fill("#title", "Utan skript")
        page.fill("#program-0-title", "Först")
        page.fill("#program-1-title", "Sedan")
        with page.expect_navigation():
            page.click("button[data-row-add=program]")
        assert page.locator("#program-rows [data-row]").count() == 6
        assert page.input_value("#title") == "Utan skript"
        # Choices are shown for every question when no script can hide them.
        assert page.locator("#questions-0-choices").is_visible()
        with page.expect_navigation():
            page.click("#program-rows fieldset:nth-of-type(2) .row-up")
        assert [page.input_value(f"#program-{n}-title") for n in range(2)] == ["Sedan", "Först"]
        # (axe needs JavaScript: test_accessibility.py checks this state with it on.)
    finally:
        context.close()


def test_leaving_with_unsaved_changes_asks_first(live_server, browser):
    context = open_context(browser, DESKTOP)
    page = context.new_page()
    try:
        _log_in_demo(page, live_server.url)
        page.goto(live_server.url + "/organizer/seminars/1/edit")
        asked = []
        page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
        # Nothing changed: leaving asks nothing.
        page.locator("nav.tabs a", has_text="Deltagare").click()
        page.wait_for_url("**/attendees")
        assert asked == []
        page.go_back()
        page.fill("#subtitle", "Ändrad men inte sparad")
        page.locator("nav.tabs a", has_text="Deltagare").click(no_wait_after=True)
        page.wait_for_timeout(300)
        assert asked == ["beforeunload"]
        assert page.url.endswith("/edit")
        # Saving is not leaving.
        with page.expect_navigation():
            page.locator(".editor-buttons button[name=save]").click()
        assert asked == ["beforeunload"]
    finally:
        context.close()
