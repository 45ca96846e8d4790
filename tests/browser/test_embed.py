"""The embedded signup in Chromium, in a page of another site: the app on 127.0.0.1:<A>, the
organisation's page on localhost:<B> (on OFR's list), a stranger's page on 127.0.0.2:<C> (not
on it). Third-party cookies are blocked, and the app is shown to get no cookie at all from the
frame. A keyboard-only signup works, focus moves into and out of the frame in the page's
order, the frame takes the height of its content, and axe finds nothing inside it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import Organization, Registration
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, OPEN_SEMINAR, PHONE
from tests.browser.test_accessibility import AXE_SOURCE, RUN_AXE, WCAG_TAGS

# Chromium's switch for the third-party cookie phase-out: cookies in a cross-site frame are
# neither sent nor stored.
BLOCK_THIRD_PARTY_COOKIES = "--test-third-party-cookie-phaseout"
HOST_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OFR – Seminarier</title></head>
<body><main><h1>Seminarier hos OFR</h1>
<p><a id="before" href="#before">Länk före ramen</a></p>
<iframe src="{app}{path}" title="Anmälan till seminariet"></iframe>
<p><a id="after" href="#after">Länk efter ramen</a></p>
</main><script src="{app}/static/embed.js" async></script></body></html>"""


@dataclass
class Host:
    """A web server of another site that serves one page with our iframe in it."""

    url: str
    path: str = f"/embed/seminars/{OPEN_SEMINAR}"


def _serve_host(address: str, name: str, app_url: str) -> tuple[ThreadingHTTPServer, Host]:
    host = Host(url="")

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            body = HOST_PAGE.format(app=app_url, path=host.path).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((address, 0), Page)
    host.url = f"http://{name}:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, host


@pytest.fixture
def sites(live_server) -> Iterator[tuple[Host, Host]]:
    """(OFR's site, on its list; a stranger's site, not on it)."""
    ofr_server, ofr_site = _serve_host("127.0.0.1", "localhost", live_server.url)
    stranger_server, stranger_site = _serve_host("127.0.0.2", "127.0.0.2", live_server.url)
    with live_server.app.app_context():
        ofr = db.session.scalars(select(Organization).where(Organization.slug == "ofr")).one()
        ofr.embed_origins = [ofr_site.url]
        db.session.commit()
    yield ofr_site, stranger_site
    for server in (ofr_server, stranger_server):
        server.shutdown()


@pytest.fixture
def cookies_seen(live_server) -> list[tuple[str, str]]:
    """(path, Cookie header) of every request the app gets for an embedded page."""
    seen: list[tuple[str, str]] = []
    wsgi_app = live_server.app.wsgi_app

    def recording(environ, start_response):
        if environ["PATH_INFO"].startswith("/embed/"):
            seen.append((environ["PATH_INFO"], environ.get("HTTP_COOKIE", "")))
        return wsgi_app(environ, start_response)

    live_server.app.wsgi_app = recording
    return seen


@pytest.fixture(scope="module")
def cookie_blocking_browser(browser):
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[*CHROMIUM_ARGS, BLOCK_THIRD_PARTY_COOKIES],
        headless=True,
    )
    yield chromium
    chromium.close()


def _context(browser, device: dict, locale: str = "sv-SE"):
    context = browser.new_context(locale=locale, **device)
    context.set_default_timeout(10_000)
    context.add_init_script(script=AXE_SOURCE)  # runs in every frame, ours included
    return context


def _where_is_focus(page) -> str:
    """'host:<id>' or 'frame:<id, name or tag>' for the element that has keyboard focus."""
    host_focus = page.evaluate("document.activeElement.tagName")
    if host_focus != "IFRAME":
        return "host:" + page.evaluate(
            "document.activeElement.id || document.activeElement.tagName"
        )
    frame = page.frames[1]
    return "frame:" + frame.evaluate(
        "(() => { const e = document.activeElement;"
        " return e.id || e.getAttribute('name') || e.tagName; })()"
    )


def _tab_until(page, target: str, limit: int = 25) -> list[str]:
    visited = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        visited.append(_where_is_focus(page))
        if visited[-1] == target:
            return visited
    raise AssertionError(f"Tab never reached {target}: {visited}")


def _assert_frame_fits_content(page) -> int:
    """The iframe is as tall as the page inside it (within a pixel), so it has no scrollbar."""
    frame = page.frames[1]
    deadline = time.monotonic() + 5
    while True:
        content = frame.evaluate(
            "Math.ceil(document.documentElement.getBoundingClientRect().height)"
        )
        outer = page.eval_on_selector("iframe", "f => f.getBoundingClientRect().height")
        if abs(outer - content) <= 1 or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    assert abs(outer - content) <= 1, f"iframe {outer}px, its content {content}px"
    return round(outer)


def _picture(page, screenshot, name: str) -> None:
    """A full-page screenshot paints a frame of another process only where the viewport was:
    the viewport is made as tall as the page for it."""
    size = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    page.wait_for_timeout(300)
    screenshot(page, name)
    page.set_viewport_size(size)


def _axe_in_frame(page) -> list:
    return page.frames[1].evaluate(RUN_AXE, WCAG_TAGS)


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_keyboard_signup_in_a_frame_on_another_site_without_cookies(
    live_server, sites, cookies_seen, cookie_blocking_browser, device, screenshot
):
    ofr_site, _stranger = sites
    context = _context(cookie_blocking_browser, device)
    page = context.new_page()
    try:
        # A cookie of ours, set on our own site: English. The frame must not get it.
        page.goto(f"{live_server.url}/language/en")
        assert {c["name"] for c in context.cookies(live_server.url)} == {"lang"}

        page.goto(ofr_site.url)
        page.frames[1].wait_for_selector("#name")
        frame = page.frames[1]
        assert frame.url.startswith(live_server.url)
        assert frame.evaluate("document.documentElement.lang") == "sv"  # no cookie: Swedish
        height_of_form = _assert_frame_fits_content(page)
        assert height_of_form > 600  # sized by embed.js, not the default 150 px
        assert _axe_in_frame(page) == []
        name = "phone" if device is PHONE else "desktop"
        _picture(page, screenshot, f"embed-{name}-sv-form")

        # Into the frame from the link before it, by keyboard only.
        page.focus("#before")
        assert _tab_until(page, "frame:name")[0].startswith("frame:")
        page.keyboard.type("Karin Lind")
        assert _tab_until(page, "frame:email", limit=1)
        page.keyboard.type(f"karin.lind.{name}@example.org")
        assert _tab_until(page, "frame:organization", limit=1)
        page.keyboard.type("Vision")
        _tab_until(page, "frame:BUTTON")
        page.keyboard.press("Enter")

        frame.wait_for_selector("h1:has-text('Titta i din e-post')")
        # The frame's script moves focus once the page has loaded; a loaded machine is slow.
        frame.wait_for_function("document.activeElement.tagName === 'H1'", timeout=5000)
        assert _where_is_focus(page) == "frame:H1"  # the outcome is read first
        assert _axe_in_frame(page) == []
        height_of_outcome = _assert_frame_fits_content(page)
        assert height_of_outcome < height_of_form  # the frame shrank with its content
        _picture(page, screenshot, f"embed-{name}-sv-signed-up")

        # …and out of the frame again, to the link after it.
        _tab_until(page, "host:after", limit=10)
    finally:
        context.close()

    with live_server.app.app_context():
        registration = db.session.scalars(
            select(Registration).where(Registration.email == f"karin.lind.{name}@example.org")
        ).one()
        assert (registration.name, registration.organization) == ("Karin Lind", "Vision")
    assert [path for path, _cookie in cookies_seen if path.endswith("/register")]
    assert [cookie for _path, cookie in cookies_seen if cookie] == []


def test_a_site_not_on_the_list_cannot_frame_the_signup(
    live_server, sites, cookie_blocking_browser
):
    _ofr_site, stranger = sites
    context = _context(cookie_blocking_browser, DESKTOP)
    page = context.new_page()
    try:
        page.goto(stranger.url)
        page.wait_for_load_state()
        page.wait_for_timeout(500)
        frame = page.frames[1] if len(page.frames) > 1 else None
        # Chromium shows its own error page in place of ours: none of the app is in the frame.
        assert frame is None or not frame.url.startswith(live_server.url)
        assert frame is None or frame.locator("#name").count() == 0
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["sv-SE", "en-GB"])
@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_embedded_list_on_another_site(
    live_server, sites, cookie_blocking_browser, device, locale, screenshot
):
    ofr_site, _stranger = sites
    language = locale[:2]
    ofr_site.path = f"/embed/o/ofr?lang={language}"
    context = _context(cookie_blocking_browser, device, locale)
    page = context.new_page()
    try:
        page.goto(ofr_site.url)
        frame = page.frames[1]
        frame.wait_for_selector(".cards")
        assert frame.evaluate("document.documentElement.lang") == language
        height = _assert_frame_fits_content(page)
        # embed.js believes heights only from our origin: the host page's own is ignored.
        page.evaluate("window.postMessage({type: 'seminars-embed:height', height: 40}, '*')")
        page.wait_for_timeout(200)
        assert (
            round(page.eval_on_selector("iframe", "f => f.getBoundingClientRect().height"))
            == height
        )
        assert _axe_in_frame(page) == []
        name = "phone" if device is PHONE else "desktop"
        _picture(page, screenshot, f"embed-{name}-{language}-list")

        # A seminar opens inside the frame, which fits its new content.
        frame.locator(".card h2 a").first.click()
        frame.wait_for_selector("#name")
        assert f"/embed/seminars/{OPEN_SEMINAR}" in frame.url or "/embed/seminars/" in frame.url
        _assert_frame_fits_content(page)
        assert _axe_in_frame(page) == []
    finally:
        context.close()
