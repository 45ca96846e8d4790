"""Real-browser fixtures: the app served on a real port, Debian's Chromium through Playwright.

`live_server` runs the app with CSRF on (a real browser submits real tokens) on a SQLite file
with the demo seminars loaded. `browser` is one Chromium per test session; `phone_page` and
`desktop_page` each open a fresh context (own cookies) with Swedish as the browser's language.
Without Chromium or Playwright the tests skip, except under CI=true where they fail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from seminars import create_app, demo
from seminars.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
IN_CI = os.environ.get("CI", "").lower() == "true"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

# Demo seminars (seminars/demo.py) the browser tests rely on.
OPEN_SEMINAR = "inflytande-och-halsa-med-tillitsbaserad-styrning"
FULL_SEMINAR = "tillit-i-praktiken-frukostsamtal"
SENSITIVE_SEMINAR = "styrning-och-ledarskap-i-offentlig-sektor"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_server(tmp_path) -> Iterator[LiveServer]:
    """The app with the demo seminars, served over HTTP on a free port in a daemon thread."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'browser.sqlite3'}",
        "SECRET_KEY": "browser-test-secret",
        "WTF_CSRF_ENABLED": True,
        "SERVER_NAME": None,
    }
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    with app.app_context():
        db.create_all()
        demo.load(crowd=False)  # tests count the Malmö seminar's seats themselves
        db.session.commit()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(url=url, app=app)
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def _page(browser, device: dict, locale: str):
    context = browser.new_context(locale=locale, **device)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def locale(request) -> str:
    """The browser's language; parametrise `locale` indirectly to change it."""
    return getattr(request, "param", "sv-SE")


@pytest.fixture
def phone_page(browser, locale):
    context, page = _page(browser, PHONE, locale)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, locale):
    context, page = _page(browser, DESKTOP, locale)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Saves a full-page screenshot as screenshots/<name>.png (the folder is gitignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
