"""Secrets the app must read back but nobody should read in a database dump (TOTP seeds,
single sign-on client secrets): encrypted with a key derived from SECRET_KEY (Fernet)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


class Unreadable(ValueError):
    """Sealed with another SECRET_KEY, or not sealed at all: callers fail closed."""


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"seminars sealed secrets:" + current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken as error:
        raise Unreadable from error
