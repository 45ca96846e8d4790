"""The secret in an attendee's manage link (`/r/<token>`).

The token is an HMAC of a random per-registration salt with SECRET_KEY, 256 bits; only its
SHA-256 is stored. Deriving it, instead of storing it, lets the worker put the link in a
reminder weeks later while the database holds nothing that opens a registration.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import Registration

MAX_TOKEN_LENGTH = 100


def new_salt() -> str:
    return secrets.token_hex(16)


def token_for_salt(salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"manage:" + salt.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def manage_token(registration: Registration) -> str:
    return token_for_salt(registration.token_salt)


def registration_for_token(token: str) -> Registration | None:
    """The registration a manage link opens; None for an unknown token or erased data."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    registration = db.session.execute(
        select(Registration).where(Registration.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if registration is None or registration.anonymised_at is not None:
        return None
    return registration
