"""The public signup flow in a real browser: keyboard only on a phone, the waiting list,
errors that keep what was typed, duplicates, the language switch, and how the pages look.

A signup is answered with "check your email"; the person goes on from the manage link in
that email (whose text test_delivery.py checks), which `open_link_from_email` follows.

Swedish wording is asserted only when the compiled catalogue translates it, so these tests
hold both before and after the translations are merged; English is always asserted.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from seminars import signup
from seminars.extensions import db
from seminars.models import Registration, Seminar, Status
from seminars.text import email_key
from tests.browser.conftest import (
    DESKTOP,
    FULL_SEMINAR,
    OPEN_SEMINAR,
    PHONE,
    SCREENSHOTS,
    SENSITIVE_SEMINAR,
)

CATALOGUE = Path(__file__).resolve().parents[2] / "seminars/translations/sv/LC_MESSAGES/messages.mo"
MANAGE_URL = re.compile(r"/r/[A-Za-z0-9_-]{20,}$")

# A focused control must show it: an outline or a box-shadow, never neither.
FOCUS_STYLE = """() => {
  const style = getComputedStyle(document.activeElement);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return {tag: document.activeElement.tagName, outline, shadow: style.boxShadow !== 'none'};
}"""

IN_VIEWPORT = """selector => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return box.top >= 0 && box.top < window.innerHeight;
}"""


def swedish(msgid: str) -> str | None:
    """The Swedish text for msgid if the compiled catalogue has it, else None."""
    if not CATALOGUE.exists():
        return None
    with CATALOGUE.open("rb") as file:
        text = gettext.GNUTranslations(file).gettext(msgid)
    return text if text != msgid else None


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching selector has focus; every stop must show focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got focus with Tab")


def assert_focus_visible(page) -> None:
    focus = page.evaluate(FOCUS_STYLE)
    assert focus["outline"] or focus["shadow"], f"focused {focus['tag']} shows no focus"


def fill_signup(page, name: str, email: str, organization: str = "") -> None:
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#organization", organization)


def submit_signup(page) -> None:
    with page.expect_navigation():
        page.locator("#signup form button[type=submit]").click()


def assert_check_email_page(page, address: str) -> None:
    """The answer to a signup: no registration shown, where the email went, what to do."""
    assert "/r/" not in page.url
    assert page.locator("main a[href*='/r/']").count() == 0
    assert page.locator(".sent-to").inner_text() == address
    heading = page.locator("h1").inner_text()
    if page.locator("html").get_attribute("lang") == "en":
        assert heading == "Check your email"
    elif check_email := swedish("Check your email"):
        assert heading == check_email


def open_link_from_email(page, live_server, address: str, slug: str) -> None:
    """Follow the manage link that the email about signing up for `slug` brings `address`."""
    with live_server.app.app_context():
        registration = db.session.scalar(
            select(Registration)
            .join(Seminar)
            .where(
                Seminar.slug == slug,
                Registration.email_key == email_key(address),
                Registration.status != Status.CANCELLED,
            )
        )
        token = signup.manage_token(registration)
        db.session.remove()
    page.goto(f"{live_server.url}/r/{token}")
    assert MANAGE_URL.search(page.url)


def test_phone_keyboard_only_signup_and_cancel(live_server, phone_page):
    page = phone_page
    page.goto(f"{live_server.url}/seminars/{SENSITIVE_SEMINAR}")

    # The "Sign up" link near the top jumps to the form; Tab then lands in the first field.
    tab_to(page, 'a.button[href="#signup"]')
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "name"
    assert_focus_visible(page)
    page.keyboard.type("Åsa Öberg")
    tab_to(page, "#email")
    page.keyboard.type("asa.oberg@example.org")
    tab_to(page, "#organization")
    page.keyboard.type("Malmö stad")
    # The required one-choice question: Tab enters the radio group, Space picks the option.
    on_site = page.get_by_label("På plats", exact=True)
    tab_to(page, f"#{on_site.get_attribute('id')}")
    page.keyboard.press("Space")
    assert on_site.is_checked()
    tab_to(page, "#signup form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert_check_email_page(page, "asa.oberg@example.org")
    open_link_from_email(page, live_server, "asa.oberg@example.org", SENSITIVE_SEMINAR)
    status = page.locator(".status-confirmed")
    assert status.is_visible()
    assert "Åsa Öberg" in status.inner_text()
    if registered := swedish("You are registered"):
        assert registered in status.inner_text()
    assert page.locator("html").get_attribute("lang") == "sv"
    manage_url = page.url

    tab_to(page, 'a[href$="/cancel"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == manage_url + "/cancel"
    tab_to(page, "form button.button-danger")
    with page.expect_navigation():
        page.keyboard.press("Space")

    assert page.url.split("#")[0] == manage_url
    assert page.locator(".status-cancelled").is_visible()
    assert page.locator(".status-confirmed").count() == 0
    if cancelled := swedish("Your registration is cancelled"):
        assert cancelled in page.locator(".status-cancelled").inner_text()


def test_full_seminar_puts_signup_on_waiting_list_with_place(live_server, phone_page):
    page = phone_page
    page.goto(f"{live_server.url}/seminars/{FULL_SEMINAR}")
    fill_signup(page, "Nils Nilsson", "nils@example.org", "Vision")
    submit_signup(page)

    assert_check_email_page(page, "nils@example.org")
    open_link_from_email(page, live_server, "nils@example.org", FULL_SEMINAR)
    heading = page.locator(".status-waiting h2").inner_text()
    # The demo seminar has 5 seats and 8 people, so three are already waiting.
    if waiting := swedish("You are on the waiting list – place %(position)d of %(total)d"):
        assert heading == waiting % {"position": 4, "total": 4}
    page.get_by_role("link", name="English").click()
    assert page.locator(".status-waiting h2").inner_text() == (
        "You are on the waiting list – place 4 of 4"
    )


def test_errors_are_shown_next_to_fields_and_keep_what_was_typed(live_server, phone_page):
    page = phone_page
    page.goto(f"{live_server.url}/seminars/{OPEN_SEMINAR}")
    fill_signup(page, "", "anna.example.org", "Vårdförbundet")
    submit_signup(page)

    summary = page.locator(".error-summary")
    # On a phone the form is screens below the top: the answer must not land up there.
    assert page.evaluate(IN_VIEWPORT, ".error-summary")
    assert summary.locator("a[href='#name']").count() == 1
    assert summary.locator("a[href='#email']").count() == 1
    for field in ("name", "email"):
        assert page.locator(f"#{field}-error").is_visible()
        assert page.locator(f"#{field}").get_attribute("aria-invalid") == "true"
        assert f"{field}-error" in page.locator(f"#{field}").get_attribute("aria-describedby")
    assert page.input_value("#organization") == "Vårdförbundet"
    assert page.input_value("#email") == "anna.example.org"

    page.fill("#name", "Anna Andersson")
    page.fill("#email", "anna@example.org")
    submit_signup(page)
    assert_check_email_page(page, "anna@example.org")
    open_link_from_email(page, live_server, "anna@example.org", OPEN_SEMINAR)
    assert page.locator(".status-confirmed").is_visible()


def test_same_email_in_other_case_sends_link_without_showing_registration(live_server, phone_page):
    page = phone_page
    seminar_url = f"{live_server.url}/seminars/{OPEN_SEMINAR}"
    page.goto(seminar_url)
    fill_signup(page, "Anna Andersson", "anna@example.org", "Vision")
    submit_signup(page)
    assert_check_email_page(page, "anna@example.org")
    first_answer = page.locator("main").inner_text()

    page.goto(seminar_url)
    fill_signup(page, "Someone Else", "ANNA@Example.ORG", "Other union")
    submit_signup(page)

    assert_check_email_page(page, "ANNA@example.org")
    body = page.locator("main").inner_text()
    assert "Anna Andersson" not in body
    assert "Vision" not in body
    # What the browser shows says nothing about the address having been registered before.
    assert body.replace("ANNA@example.org", "anna@example.org") == first_answer
    # This page answers a POST: switching language returns to the seminar, not to an error.
    page.get_by_role("link", name="English").click()
    assert page.url == seminar_url
    assert page.locator("#signup-heading").inner_text() == "Sign up"


def test_language_switch_to_english_is_remembered(live_server, desktop_page):
    page = desktop_page
    page.goto(live_server.url)
    assert page.locator("html").get_attribute("lang") == "sv"

    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Upcoming seminars"

    page.locator(f"a[href='/seminars/{OPEN_SEMINAR}']").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#signup-heading").inner_text() == "Sign up"
    assert page.get_by_role("link", name="Svenska").is_visible()


# The pages a person sees on the way to a seat, visited in order by `tour`.
PAGES = ("list", "seminar", "signup-error", "check-email", "attendee", "waiting-list")


def tour(live_server, page, visit: Callable[[str], None]) -> None:
    """Walk through the public pages, calling visit(name) on each of PAGES."""
    base_url = live_server.url
    page.goto(base_url)
    visit("list")
    page.goto(f"{base_url}/seminars/{SENSITIVE_SEMINAR}")
    visit("seminar")
    fill_signup(page, "", "kim@", "Region Skåne")
    submit_signup(page)
    assert page.locator(".error-summary").is_visible()
    # Every line of the summary links to its question, the required choice question too.
    assert page.eval_on_selector_all(
        ".error-summary a", "links => links.map(a => !!document.querySelector(a.hash))"
    ) == [True, True, True]
    visit("signup-error")
    fill_signup(page, "Kim Lindberg", "kim@example.org", "Region Skåne")
    # The hybrid seminar's "how will you take part", in the page's language.
    on_site = "På plats" if page.locator("html").get_attribute("lang") == "sv" else "On site"
    page.get_by_label(on_site, exact=True).check()
    submit_signup(page)
    assert_check_email_page(page, "kim@example.org")
    visit("check-email")
    open_link_from_email(page, live_server, "kim@example.org", SENSITIVE_SEMINAR)
    assert page.locator(".status-confirmed").is_visible()
    visit("attendee")
    page.goto(f"{base_url}/seminars/{FULL_SEMINAR}")
    fill_signup(page, "Kim Lindberg", "kim@example.org", "Region Skåne")
    submit_signup(page)
    assert_check_email_page(page, "kim@example.org")
    open_link_from_email(page, live_server, "kim@example.org", FULL_SEMINAR)
    assert page.locator(".status-waiting").is_visible()
    visit("waiting-list")


@pytest.mark.parametrize(
    ("device", "locale", "language"),
    [
        (PHONE, "sv-SE", "sv"),
        (PHONE, "en-GB", "en"),
        (DESKTOP, "sv-SE", "sv"),
        (DESKTOP, "en-GB", "en"),
    ],
    ids=["phone-sv", "phone-en", "desktop-sv", "desktop-en"],
)
def test_screenshots_of_public_pages(live_server, browser, screenshot, device, locale, language):
    context = browser.new_context(locale=locale, **device)
    page = context.new_page()
    kind = "phone" if device is PHONE else "desktop"
    taken = []

    def visit(name: str) -> None:
        assert page.locator("html").get_attribute("lang") == language
        taken.append(screenshot(page, f"{name}-{kind}-{language}"))

    tour(live_server, page, visit)
    context.close()
    assert [path.stem for path in taken] == [f"{name}-{kind}-{language}" for name in PAGES]


@pytest.mark.parametrize("locale", ["sv-SE", "en-GB"])
def test_no_horizontal_scroll_at_320_pixels(live_server, browser, locale):
    context = browser.new_context(
        locale=locale, viewport={"width": 320, "height": 700}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    too_wide = {}

    def visit(name: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            too_wide[name] = width

    tour(live_server, page, visit)
    context.close()
    assert too_wide == {}


@pytest.mark.parametrize(
    ("device", "locale", "language"),
    [
        (PHONE, "sv-SE", "sv"),
        (PHONE, "en-GB", "en"),
        (DESKTOP, "sv-SE", "sv"),
        (DESKTOP, "en-GB", "en"),
    ],
    ids=["phone-sv", "phone-en", "desktop-sv", "desktop-en"],
)
def test_a_name_with_a_right_to_left_override_is_refused_next_to_the_field(
    live_server, browser, screenshot, device, locale, language
):
    context = browser.new_context(locale=locale, **device)
    page = context.new_page()
    disguised = "Anna \u202edniL"  # shows as "Anna Lind"
    page.goto(f"{live_server.url}/seminars/{OPEN_SEMINAR}")
    fill_signup(page, disguised, "anna.lind@example.org", "Vision")
    submit_signup(page)

    error = page.locator("#name-error")
    assert error.is_visible()
    if language == "en":
        assert error.inner_text().startswith("This contains invisible characters")
    elif message := swedish(
        "This contains invisible characters that change how text is shown, such as a "
        "text-direction mark. Type it again without them."
    ):
        assert error.inner_text() == message
    assert page.locator("#name").get_attribute("aria-invalid") == "true"
    assert page.locator(".error-summary a[href='#name']").count() == 1
    assert page.input_value("#email") == "anna.lind@example.org"
    kind = "phone" if device is PHONE else "desktop"
    screenshot(page, f"signup-refused-name-{kind}-{language}")
    # The form alone too: on a phone the whole page is many screens long.
    page.locator("#signup form").screenshot(
        path=str(SCREENSHOTS / f"signup-refused-name-form-{kind}-{language}.png")
    )
    context.close()
