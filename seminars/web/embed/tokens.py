"""CSRF protection for the embedded signup form, without cookies.

In a frame on another site the browser may send us no cookie at all (third-party cookies
blocked), so Flask-WTF's token, kept in the session cookie, cannot be checked. Instead the
form carries its own token: an HMAC (SECRET_KEY) over the seminar, the time the form was
issued and a random nonce. A POST is accepted only with a token made by us, for this
seminar, at most FORM_TOKEN_MAX_AGE seconds old. It is not tied to one browser (there is
nothing to tie it to, and nothing a signup could ride on: it needs no login); what it
stops is a page elsewhere posting signups through visitors' browsers without first
fetching a form, and a form kept for days. Together with the Sec-Fetch-Site check in the
view (a browser says when a POST comes from another site) and the signup rate limits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from flask import current_app

# Long enough to read the page and fill the form in, short enough that a harvested token
# is soon worthless.
FORM_TOKEN_MAX_AGE = 2 * 3600
# A clock a little ahead on another instance must not refuse a fresh form.
CLOCK_SKEW = 60
PURPOSE = b"embed-signup"


def _mac(seminar_id: int, issued: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = b"%s:%d:%d:%s" % (PURPOSE, seminar_id, issued, nonce.encode())
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def issue(seminar_id: int, *, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    nonce = secrets.token_urlsafe(12)
    return f"{issued}.{nonce}.{_mac(seminar_id, issued, nonce)}"


def is_valid(token: str | None, seminar_id: int, *, now: float | None = None) -> bool:
    """Made by us for this seminar, and neither expired nor from the future."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(token) > 200:
        return False
    issued, nonce, mac = int(parts[0]), parts[1], parts[2]
    if not hmac.compare_digest(mac, _mac(seminar_id, issued, nonce)):
        return False
    age = (now if now is not None else time.time()) - issued
    return -CLOCK_SKEW <= age <= FORM_TOKEN_MAX_AGE
