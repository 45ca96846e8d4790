"""The paper exports in a real Chromium: name badges keep long Swedish names inside their
boxes, and the sign-in list prints as a clean A4 sheet without the site's header.

Screenshots (print media) go to screenshots/exports-*.png for a person to look at.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from seminars import demo, signup
from seminars.extensions import db
from seminars.models import Seminar
from tests.conftest import register

from .conftest import SENSITIVE_SEMINAR

pytestmark = pytest.mark.browser

LONG_NAMES = [
    ("Karl-Johan Ögren-Wästerberg af Kilsmark", "Malmö universitet"),
    ("Anna-Karin Åkerström-Löwenhielm", "Myndigheten för digital förvaltning (Digg)"),
    ("Maria Josefina Ek", "Region Skåne, Avdelningen för hälso- och sjukvårdsstyrning"),
    ("Bo Ek", "SKR"),
    ("Per-Olof Wästerbergkilsmarksson", "Vision"),
    ("Ulla-Britt Ärlebäck von Schwerin", "Försäkringskassan"),
    ("Li Wu", ""),
    ("Gunilla Sjöström-Åhlund", "Tillitsdelegationen"),
    ("Mohammed Al-Haddad Andersson", "Vårdförbundet"),
    ("Eva Öst", "Akademikerförbundet SSR"),
    ("Johan Åberg", "Statskontoret"),
]

A4 = {"width": 794, "height": 1123}  # 210 × 297 mm at 96 dpi
WIDE_AND_NARROW_FONTS = ["DejaVu Sans", "Liberation Sans", ""]

OVERFLOWING = """
() => [...document.querySelectorAll('.name-badge, .name-badge p')]
  .filter(el => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
  .map(el => el.className + ': ' + el.textContent.trim())
"""


@pytest.fixture
def malmo_seminar_id(live_server) -> int:
    """The demo seminar with fika, with people whose names are long."""
    with live_server.app.app_context():
        seminar = db.session.execute(
            select(Seminar).where(Seminar.slug == SENSITIVE_SEMINAR)
        ).scalar_one()
        for number, (name, organization) in enumerate(LONG_NAMES):
            person = signup.Attendee(name, f"p{number}@example.org", organization)
            register(seminar, person, by_organizer=True)
        db.session.commit()
        return seminar.id


@pytest.fixture
def organizer_page(desktop_page, live_server):
    desktop_page.goto(live_server.url + "/login")
    desktop_page.fill("#email", demo.DEMO_ORGANIZER_EMAIL)
    desktop_page.fill("#password", demo.DEMO_ORGANIZER_PASSWORD)
    desktop_page.locator("main form [type=submit]").click()
    desktop_page.wait_for_url("**/organizer/**")
    return desktop_page


@pytest.mark.parametrize("per_page", [8, 10])
def test_badges_keep_long_swedish_names_inside_their_boxes(
    organizer_page, live_server, malmo_seminar_id, screenshot, per_page
):
    page = organizer_page
    page.goto(
        f"{live_server.url}/organizer/seminars/{malmo_seminar_id}/exports/badges"
        f"?per_page={per_page}"
    )
    page.set_viewport_size(A4)
    page.emulate_media(media="print")
    assert page.locator(".name-badge").count() == len(LONG_NAMES)
    assert page.locator(".badge-sheet").count() == -(-len(LONG_NAMES) // per_page)
    # Arial-like type on most computers, DejaVu (wider) where only that is installed.
    for family in WIDE_AND_NARROW_FONTS:
        page.evaluate("family => { document.body.style.fontFamily = family; }", family)
        assert page.evaluate(OVERFLOWING) == [], family
    # A sheet is A4 wide and its badges sit inside it.
    sheet_width, badges_right = page.evaluate(
        """() => { const s = document.querySelector('.badge-sheet').getBoundingClientRect();
                   const b = [...document.querySelectorAll('.name-badge')]
                       .map(e => e.getBoundingClientRect().right);
                   return [s.width, Math.max(...b) - s.left]; }"""
    )
    assert sheet_width == pytest.approx(210 * 96 / 25.4, abs=2)
    assert badges_right <= sheet_width
    assert not page.locator(".print-toolbar").is_visible()
    screenshot(page, f"exports-badges-{per_page}")


def test_sign_in_list_prints_without_site_chrome(
    organizer_page, live_server, malmo_seminar_id, screenshot
):
    page = organizer_page
    page.goto(f"{live_server.url}/organizer/seminars/{malmo_seminar_id}/exports/list")
    page.set_viewport_size(A4)
    page.emulate_media(media="print")
    assert page.locator(".site-header, .site-footer, nav").count() == 0
    assert not page.locator(".print-toolbar").is_visible()
    # By surname in Swedish order: particles ("af", "von") do not count, Å Ä Ö come after Z.
    assert page.locator("td.name").all_inner_texts() == [
        "Mohammed Al-Haddad Andersson",
        "Bo Ek",
        "Maria Josefina Ek",
        "Karl-Johan Ögren-Wästerberg af Kilsmark",
        "Ulla-Britt Ärlebäck von Schwerin",
        "Gunilla Sjöström-Åhlund",
        "Li Wu",
        "Per-Olof Wästerbergkilsmarksson",
        "Johan Åberg",
        "Anna-Karin Åkerström-Löwenhielm",
        "Eva Öst",
    ]
    table_width, page_width = page.evaluate(
        "() => [document.querySelector('table.sign-in').scrollWidth,"
        " document.documentElement.clientWidth]"
    )
    assert table_width <= page_width
    screenshot(page, "exports-sign-in-list")
