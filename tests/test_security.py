"""Security headers, cookie flags, the dev-secret refusal, and templates fit for a strict CSP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from seminars import create_app, signup
from seminars.config import DEFAULT_SECRET_KEY
from seminars.extensions import db
from seminars.models import Organization, Seminar, SeminarStatus
from seminars.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import register

from .conftest import attendee, clear_database, make_app

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_every_page_carries_the_security_headers(client, seminar_factory):
    seminar = seminar_factory()
    for path in ("/", f"/seminars/{seminar.slug}", "/no-such-page"):
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert "camera=()" in headers["Permissions-Policy"]


def test_policy_allows_nothing_inline_and_no_framing():
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_manage_link_never_leaks_in_referer_or_cache(client, seminar_factory):
    registration = register(seminar_factory(), attendee())
    db.session.commit()
    token = signup.manage_token(registration)
    for path in (f"/r/{token}", f"/r/{token}/cancel", f"/r/{token}/delete"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
    # A wrong token's 404 must not leak either.
    assert client.get("/r/not-a-token").headers["Referrer-Policy"] == "no-referrer"


def test_password_reset_link_never_leaks_either(client):
    response = client.get("/password/reset/some-token-from-an-email")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_other_pages_send_referer_only_within_the_site(client):
    assert client.get("/").headers["Referrer-Policy"] == "same-origin"


@pytest.fixture
def https_app(database_url):
    app = make_app(database_url, BASE_URL="https://seminarier.example.org", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        yield app
        clear_database()


def _published_seminar() -> Seminar:
    starts_at = datetime.now(UTC) + timedelta(days=7)
    seminar = Seminar(
        slug="secure-cookies",
        title="Trygga kakor",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        capacity=5,
        status=SeminarStatus.PUBLISHED,
        organization=Organization(slug="ofr", name="OFR"),
    )
    db.session.add(seminar)
    db.session.commit()
    return seminar


def _cookie(response, name: str) -> str:
    matching = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert matching, f"no {name} cookie set"
    return matching[0]


def test_cookies_are_secure_httponly_samesite_over_https(https_app):
    client = https_app.test_client()
    seminar = _published_seminar()
    # Rendering the signup form puts a CSRF token in the session, so the session cookie is set.
    session_cookie = _cookie(client.get(f"/seminars/{seminar.slug}"), "session")
    language_cookie = _cookie(client.get("/language/en"), "lang")
    for cookie in (session_cookie, language_cookie):
        assert "; Secure" in cookie
        assert "; HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
    assert https_app.config["REMEMBER_COOKIE_SECURE"] is True
    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=")


def test_cookies_work_over_plain_http_for_local_development(client):
    # Over http a Secure cookie would be dropped by the browser and the switch would not stick.
    cookie = _cookie(client.get("/language/en"), "lang")
    assert "Secure" not in cookie
    assert "HttpOnly" in cookie
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.fixture
def production_environment(monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("SEMINARS_DEV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)


def test_app_refuses_to_start_with_the_default_secret_outside_development(
    production_environment, tmp_path
):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


@pytest.mark.parametrize(
    "how",
    [
        {"config": {"DEBUG": True}},
        {"config": {"TESTING": True}},
        {"env": ("SEMINARS_DEV", "1")},
        {"env": ("FLASK_DEBUG", "1")},
        {"config": {"SECRET_KEY": "a-real-secret-from-the-environment"}},
    ],
)
def test_app_starts_in_development_or_with_a_real_secret(
    production_environment, monkeypatch, tmp_path, how
):
    if "env" in how:
        monkeypatch.setenv(*how["env"])
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    config.update(how.get("config", {}))
    app = create_app(config)
    assert app.config["SECRET_KEY"] != DEFAULT_SECRET_KEY or "SECRET_KEY" not in config


# A script without src runs inline, which the CSP forbids. A JSON-LD data block
# (type="application/ld+json", the seminar's schema.org Event) is never run, so it may stay.
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc\s*=)(?![^>]*\btype=\"application/ld\+json\")[^>]*>", re.IGNORECASE
)
INLINE_STYLE = re.compile(r"(\sstyle\s*=|<style\b)", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
SCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def _web_templates() -> list[Path]:
    # Email bodies are read in mail clients, never under our CSP; they are checked for scripts only.
    return [p for p in TEMPLATES.rglob("*.html") if "email" not in p.relative_to(TEMPLATES).parts]


def test_templates_have_no_inline_script_style_or_event_handler():
    pages = _web_templates()
    assert len(pages) > 5
    offenders = []
    for page in pages:
        source = page.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, INLINE_STYLE, EVENT_HANDLER, SCRIPT_URL):
            for match in pattern.finditer(source):
                offenders.append(f"{page.relative_to(TEMPLATES)}: {match.group(0).strip()}")
    assert offenders == []


def test_email_templates_have_no_scripts():
    offenders = [
        str(p.relative_to(TEMPLATES))
        for p in TEMPLATES.rglob("*")
        if p.is_file()
        and "email" in p.relative_to(TEMPLATES).parts
        and (
            INLINE_SCRIPT.search(p.read_text(encoding="utf-8"))
            or "<script" in p.read_text(encoding="utf-8").lower()
        )
    ]
    assert offenders == []


def test_template_scan_catches_what_it_should():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert INLINE_SCRIPT.search('<script type="module">alert(1)</script>')
    assert INLINE_SCRIPT.search('<script type="text/javascript">alert(1)</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/app.js"></script>')
    assert not INLINE_SCRIPT.search('<script type="application/ld+json">{}</script>')
    assert INLINE_STYLE.search('<p style="color:red">')
    assert EVENT_HANDLER.search('<img onerror="x()">')
