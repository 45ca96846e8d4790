"""API tokens: one organisation's, with scopes; shown once, only a hash is kept.

A token reads `sem_<8 characters>_<secret>`: the first part (its `prefix`) names the token in
lists and logs, the secret has 256 bits. The database holds its SHA-256: a dump gives no
usable token, and a high-entropy secret needs no slow hash.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from seminars.extensions import db
from seminars.models import ApiToken, Organization, Organizer, utcnow
from seminars.organising import audit

SCOPES = ("seminars:read", "registrations:read", "registrations:write")
PREFIX = "sem_"
# `last_used_at` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    row: ApiToken
    token: str  # the only time it exists in clear


def create(organization: Organization, name: str, scopes: list[str], by: Organizer) -> NewToken:
    """A new token of the organisation; the caller shows `token` once and commits."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"unknown scopes {sorted(unknown)}")
    prefix = PREFIX + secrets.token_hex(4)
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken(
        organization_id=organization.id,
        name=name.strip(),
        prefix=prefix,
        token_hash=digest(token),
        scopes=[scope for scope in SCOPES if scope in scopes],
        created_by_id=by.id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        by,
        "api_token_created",
        organization_id=organization.id,
        detail={"token": row.name, "scopes": " ".join(row.scopes)},
    )
    return NewToken(row, token)


def revoke(row: ApiToken, by: Organizer, now: datetime | None = None) -> bool:
    """Stop the token working; False when it was revoked already."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    audit.record(
        by, "api_token_revoked", organization_id=row.organization_id, detail={"token": row.name}
    )
    return True


def of_organization(organization_id: int) -> list[ApiToken]:
    """The organisation's tokens, working ones first, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.organization_id == organization_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def authenticate(token: str, now: datetime | None = None) -> ApiToken | None:
    """The working token with this value, or None."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        db.session.execute(
            update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now),
            execution_options={"synchronize_session": False},
        )
        row.last_used_at = now
    return row
