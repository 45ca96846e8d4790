"""Security headers on every response, cookie flags, rate limits on signup, login and the
second factor, and the refusal to run in production with the development SECRET_KEY."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import lru_cache

from flask import Flask, Response, current_app, g, request

from seminars.config import DEFAULT_SECRET_KEY
from seminars.extensions import limiter


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    # No 'unsafe-inline': templates carry no inline scripts or style attributes
    # (tests/test_security.py scans them), so injected markup cannot run or restyle the page.
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data:",
            "style-src 'self'",
            "script-src 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


# Every page but the embedded ones: no other site may frame it (clickjacking).
CONTENT_SECURITY_POLICY = content_security_policy()
# Pages whose URL carries a secret token: the attendee's manage link, a password reset.
TOKEN_PATHS = ("/r/", "/password/reset/", "/invite/")
# Pages that show people's names, addresses and consented health answers, or sign-in forms:
# never stored by a browser or proxy cache, never in a search engine.
PRIVATE_PATHS = (
    "/organizer",
    "/r/",
    "/login",
    "/logout",
    "/password/",
    "/invite/",
    "/dev/",
    "/api/",
)
PRIVATE_HEADERS = (("Cache-Control", "no-store"), ("X-Robots-Tag", "noindex, nofollow"))
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# Set by Procfile.dev for every local process, so the worker and the dev mailbox start
# without a real secret; `flask run --debug` and the tests are recognised on their own.
DEV_ENVIRONMENT_FLAG = "SEMINARS_DEV"


def _is_development(app: Flask) -> bool:
    return bool(
        app.debug
        or app.testing
        or os.environ.get("FLASK_DEBUG") == "1"
        or os.environ.get(DEV_ENVIRONMENT_FLAG) == "1"
    )


def refuse_default_secret_key(app: Flask) -> None:
    """Manage links and sessions are signed with SECRET_KEY; a public default forges both."""
    if app.config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY) and not _is_development(app):
        raise RuntimeError(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "value (for example: python -c 'import secrets; print(secrets.token_hex(32))'). "
            f"For local development only, set {DEV_ENVIRONMENT_FLAG}=1 or run with --debug."
        )


def uses_https(app: Flask) -> bool:
    return str(app.config.get("BASE_URL", "")).startswith("https://")


def _configured(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _account_tried() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


# Per IP. A refused request gets the 429 page from errors.py.
signup_rate_limit = limiter.limit(_configured("SIGNUP_RATE_LIMIT"), methods=["POST"])


# Per IP only, where the form names no account (a passkey, an invitation's password).
sign_in_rate_limit = limiter.limit(_configured("LOGIN_RATE_LIMIT"), methods=["POST"])


def login_rate_limit(view: Callable) -> Callable:
    """Per IP, and per account so that guessing one password from many addresses is slow too."""
    per_ip = limiter.limit(_configured("LOGIN_RATE_LIMIT"), methods=["POST"])
    per_account = limiter.limit(
        _configured("LOGIN_ACCOUNT_RATE_LIMIT"), key_func=_account_tried, methods=["POST"]
    )
    return per_account(per_ip(view))


def allow_framing_by(origins: Iterable[str]) -> None:
    """Let this response be framed by these origins (validated `https://host[:port]`, see
    organising/embedding.py) and by this site, instead of by no one. For the embedded
    signup and list only: every other page keeps frame-ancestors 'none' and X-Frame-Options
    DENY."""
    g.frame_ancestors = ("'self'", *origins)


@lru_cache(maxsize=256)
def _framed_policy(ancestors: tuple[str, ...]) -> str:
    return content_security_policy(" ".join(ancestors))


def _second_factor_tried() -> str:
    from seminars.web.auth.signin import pending_key

    return pending_key()


def second_factor_rate_limit(view: Callable) -> Callable:
    """Codes tried per IP, and per account whose password was right: six digits fall to
    guessing without this, whichever browsers the guesses come from."""
    per_ip = limiter.limit(_configured("LOGIN_RATE_LIMIT"), methods=["POST"])
    per_account = limiter.limit(
        _configured("SECOND_FACTOR_RATE_LIMIT"), key_func=_second_factor_tried, methods=["POST"]
    )
    return per_account(per_ip(view))


def init_app(app: Flask) -> None:
    refuse_default_secret_key(app)
    # Tests sign up many times from one address; the rate-limit tests switch limits back on.
    if app.testing:
        app.config.setdefault("RATELIMIT_ENABLED", False)
    limiter.init_app(app)
    if uses_https(app):
        app.config.update(
            SESSION_COOKIE_SECURE=True,
            REMEMBER_COOKIE_SECURE=True,
        )
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    every_response = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("Referrer-Policy", "same-origin"),
    ]
    if uses_https(app):
        every_response.append(("Strict-Transport-Security", "max-age=31536000"))

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        # Manage and reset links are passwords: never let them travel in a Referer header
        # or sit in a cache.
        if request.path.startswith(TOKEN_PATHS):
            headers["Referrer-Policy"] = "no-referrer"
        if request.path.startswith(PRIVATE_PATHS):
            for name, value in PRIVATE_HEADERS:
                headers[name] = value
        # Those a view set itself stay; one pass instead of a lookup per header.
        present = {name.lower() for name, _value in headers}
        ancestors = g.get("frame_ancestors")
        if ancestors is not None:
            # X-Frame-Options knows no list of sites; browsers that read frame-ancestors
            # ignore it anyway, and DENY would block the allowed ones in the others.
            headers["Content-Security-Policy"] = _framed_policy(ancestors)
            present |= {"content-security-policy", "x-frame-options"}
        headers.extend([(n, v) for n, v in every_response if n.lower() not in present])
        return response
