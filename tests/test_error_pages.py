"""Error pages: a real page for every error in Swedish and English, no stack trace ever."""

from __future__ import annotations

import pytest
from flask import abort

from seminars.extensions import db

from .conftest import clear_database, make_app

HEADINGS = {
    400: ("Något i förfrågan blev fel", "Something in the request was wrong"),
    403: ("Du har inte behörighet till den här sidan", "You do not have access to this page"),
    404: ("Sidan finns inte", "Page not found"),
    405: ("Det fungerar inte här", "That does not work here"),
    409: ("Det går inte att göra just nu", "That cannot be done now"),
    413: ("Filen är för stor", "The file is too large"),
    422: ("Något i formuläret blev fel", "Something in the form was wrong"),
    429: ("För många försök", "Too many attempts"),
    500: ("Något gick fel hos oss", "Something went wrong on our side"),
}


@pytest.fixture
def aborting_client(app):
    """A client for an app with /fail/<code>, which ends in that error."""

    @app.get("/fail/<int:code>")
    def fail(code: int):
        abort(code)

    return app.test_client()


@pytest.mark.parametrize("code", sorted(HEADINGS))
def test_error_page_in_swedish_by_default(aborting_client, code):
    response = aborting_client.get(f"/fail/{code}")
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert '<html lang="sv">' in page
    assert f"<h1>{HEADINGS[code][0]}</h1>" in page
    assert 'href="/"' in page  # a way back


@pytest.mark.parametrize("code", sorted(HEADINGS))
def test_error_page_in_english_from_the_browser_language(aborting_client, code):
    response = aborting_client.get(f"/fail/{code}", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert f"<h1>{HEADINGS[code][1]}</h1>" in page


def test_language_cookie_wins_over_the_browser_language(aborting_client):
    aborting_client.set_cookie("lang", "en")
    page = aborting_client.get("/fail/404", headers={"Accept-Language": "sv"}).get_data(
        as_text=True
    )
    assert "<h1>Page not found</h1>" in page


def test_real_not_found_and_method_not_allowed(client, seminar_factory):
    assert client.get("/seminars/finns-inte").status_code == 404
    response = client.get(f"/seminars/{seminar_factory().slug}/register")
    assert response.status_code == 405
    assert "Det fungerar inte här" in response.get_data(as_text=True)


def test_api_clients_get_json_errors(aborting_client):
    response = aborting_client.get("/fail/404", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "Sidan finns inte"}


@pytest.fixture
def production_like_app(database_url):
    app = make_app(database_url, TESTING=False, DEBUG=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/crash")
    def crash():
        raise RuntimeError("database password is hunter2")

    with app.app_context():
        db.create_all()
        yield app
        clear_database()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_crash_shows_a_friendly_500_without_a_stack_trace(production_like_app, language):
    client = production_like_app.test_client()
    client.set_cookie("lang", language)
    response = client.get("/crash")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    heading = HEADINGS[500][0 if language == "sv" else 1]
    assert f"<h1>{heading}</h1>" in page
    for leak in ("Traceback", "RuntimeError", "hunter2", 'File "', "crash()"):
        assert leak not in page
    assert response.headers["Content-Security-Policy"]
