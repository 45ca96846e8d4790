"""Configuration defaults; secrets and addresses come from the environment."""

import os
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-change-me"


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    """Settings read once when the app is created."""
    sqlite_path = Path(instance_path) / "seminars.sqlite3"
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{sqlite_path}")
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "8025")),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "seminarier@localhost"),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "20")),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # The mailbox bounces go to, read by the worker: imaps://user:password@host/INBOX.
        "BOUNCE_IMAP_URL": os.environ.get("BOUNCE_IMAP_URL", ""),
        "PROXY_FIX": _flag("PROXY_FIX"),
        # Unset: rate limits on (off in tests). RATELIMIT_ENABLED=0 for a load test from one
        # address, or when the reverse proxy enforces the limits.
        **(
            {"RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED")}
            if "RATELIMIT_ENABLED" in os.environ
            else {}
        ),
        # memory:// counts per process; use redis://host:6379 when running several.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
    }


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "BABEL_DEFAULT_LOCALE": "sv",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Stockholm",
    "LANGUAGES": ("sv", "en"),
    "TIMEZONE": "Europe/Stockholm",
    "WTF_CSRF_TIME_LIMIT": None,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,  # organisers log in again after a working day
    "REMINDER_OFFSETS_MINUTES": (24 * 60, 60),
    # A reminder this much past its time is recorded as missed instead of sent late.
    "REMINDER_GRACE_MINUTES": 180,
    # Seconds a process reuses what it read of a seminar page's state (pagecache.py): seat
    # counts and other processes' edits may lag this much; signups re-check under a lock.
    "PAGE_STATE_MAX_AGE": 1.0,
    "OUTBOX_BATCH_SIZE": 100,
    "OUTBOX_MAX_ATTEMPTS": 12,
    "DEV_MAILBOX": False,
    # Flask-Limiter syntax; per IP, and for login also per account tried.
    "SIGNUP_RATE_LIMIT": "10/minute;100/hour",
    "LOGIN_RATE_LIMIT": "10/minute",
    "LOGIN_ACCOUNT_RATE_LIMIT": "5/minute",
    "SECOND_FACTOR_RATE_LIMIT": "5/minute;20/hour",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Requests per API token (or per address without one).
    "API_RATE_LIMIT": "120/minute;5000/hour",
    # Seconds a webhook endpoint has to answer; retries back off up to WEBHOOK_RETRY_DELAYS.
    "WEBHOOK_TIMEOUT": 10,
    "WEBHOOK_BATCH_SIZE": 50,
}
