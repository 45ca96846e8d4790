"""Second factors: an authenticator app (TOTP) with ten single-use recovery codes, and the
rules that tie them to passkeys (`passkeys.py`): who has a second factor, who must set one
up, and an administrator's reset when a person has lost theirs.

A TOTP code is accepted once: the factor remembers the last 30-second step a code was used
for, and a conditional UPDATE lets only one of two simultaneous logins have it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, select, update

from seminars.accounts import log as account_log
from seminars.accounts import sessions
from seminars.accounts.sealing import Unreadable, seal, unseal
from seminars.extensions import db
from seminars.models import (
    LoginSession,
    Organizer,
    Passkey,
    RecoveryCode,
    TotpFactor,
    organizer_memberships,
    utcnow,
)
from seminars.models.organisations import Organization

RECOVERY_CODES = 10
# Ten characters from 32 (no 0/O, 1/I/L): 50 bits each, read and typed in two groups of five.
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# A code from the step before or after is accepted too: phone clocks drift.
_TOTP_WINDOW = 1


class WrongCode(Exception):
    pass


def _confirmed_totp(organizer: Organizer) -> TotpFactor | None:
    return db.session.scalars(
        select(TotpFactor).where(
            TotpFactor.organizer_id == organizer.id, TotpFactor.confirmed_at.is_not(None)
        )
    ).one_or_none()


def has_totp(organizer: Organizer) -> bool:
    return _confirmed_totp(organizer) is not None


def passkey_count(organizer: Organizer) -> int:
    return db.session.scalar(
        select(func.count(Passkey.id)).where(Passkey.organizer_id == organizer.id)
    )


def has_second_factor(organizer: Organizer) -> bool:
    return has_totp(organizer) or passkey_count(organizer) > 0


def second_factor_required(organizer: Organizer) -> bool:
    """Does one of their organisations (in any role) require a second factor?"""
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(organizer_memberships)
            .join(Organization, Organization.id == organizer_memberships.c.organization_id)
            .where(
                organizer_memberships.c.organizer_id == organizer.id,
                Organization.require_second_factor.is_(True),
            )
        )
    )


# ---------------------------------------------------------------------- authenticator app


def start_totp(organizer: Organizer) -> str:
    """A new secret to show as a QR code; it counts once a code from it is entered, and
    until then an app already in use keeps working (moving to a new phone)."""
    db.session.execute(
        delete(TotpFactor).where(
            TotpFactor.organizer_id == organizer.id, TotpFactor.confirmed_at.is_(None)
        )
    )
    secret = pyotp.random_base32()
    db.session.add(TotpFactor(organizer_id=organizer.id, sealed_secret=seal(secret)))
    db.session.flush()
    return secret


def pending_totp_secret(organizer: Organizer) -> str | None:
    """The secret being set up (shown only until it is confirmed), or None."""
    factor = db.session.scalars(
        select(TotpFactor).where(
            TotpFactor.organizer_id == organizer.id, TotpFactor.confirmed_at.is_(None)
        )
    ).one_or_none()
    try:
        return unseal(factor.sealed_secret) if factor else None
    except Unreadable:
        return None


def provisioning_uri(organizer: Organizer, secret: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=organizer.email, issuer_name=issuer)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - _TOTP_WINDOW, current + _TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_step(factor: TotpFactor, code: str, now: datetime) -> bool:
    try:
        secret = unseal(factor.sealed_secret)
    except Unreadable:
        return False  # sealed under an earlier SECRET_KEY: set the app up again
    step = _matching_step(secret, code, now)
    if step is None:
        return False
    used = db.session.execute(
        update(TotpFactor)
        .where(TotpFactor.id == factor.id, TotpFactor.last_used_step < step)
        .values(last_used_step=step),
        execution_options={"synchronize_session": False},
    ).rowcount
    return used == 1


def confirm_totp(
    organizer: Organizer, code: str, keep: LoginSession | None, now: datetime | None = None
) -> list[str]:
    """Turn the app on with a code from it; returns new recovery codes to show once."""
    now = now or utcnow()
    factor = db.session.scalars(
        select(TotpFactor).where(
            TotpFactor.organizer_id == organizer.id, TotpFactor.confirmed_at.is_(None)
        )
    ).one_or_none()
    if factor is None or not _use_step(factor, code, now):
        raise WrongCode
    db.session.execute(
        delete(TotpFactor).where(
            TotpFactor.organizer_id == organizer.id, TotpFactor.id != factor.id
        )
    )
    factor.confirmed_at = now
    account_log.record(organizer, "totp_added")
    sessions.end_others(organizer, keep)
    return new_recovery_codes(organizer)


def verify_totp(organizer: Organizer, code: str, now: datetime | None = None) -> bool:
    factor = _confirmed_totp(organizer)
    return factor is not None and _use_step(factor, code, now or utcnow())


def remove_totp(organizer: Organizer, keep: LoginSession | None) -> None:
    db.session.execute(delete(TotpFactor).where(TotpFactor.organizer_id == organizer.id))
    if passkey_count(organizer) == 0:
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.organizer_id == organizer.id))
    account_log.record(organizer, "totp_removed")
    sessions.end_others(organizer, keep)


# ---------------------------------------------------------------------- recovery codes


def _code_hash(code: str) -> str:
    normalised = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normalised.encode()).hexdigest()


def new_recovery_codes(organizer: Organizer) -> list[str]:
    """Ten new codes, replacing any earlier ones; only their hashes are kept."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.organizer_id == organizer.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.add_all(
        RecoveryCode(organizer_id=organizer.id, code_hash=_code_hash(code)) for code in codes
    )
    db.session.flush()
    return codes


def recovery_codes_left(organizer: Organizer) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.organizer_id == organizer.id, RecoveryCode.used_at.is_(None)
        )
    )


def use_recovery_code(organizer: Organizer, code: str, now: datetime | None = None) -> bool:
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.organizer_id == organizer.id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now or utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
    if used:
        account_log.record(organizer, "recovery_code_used")
    return used == 1


# ---------------------------------------------------------------------- losing a factor


def reset(organizer: Organizer, *, by: Organizer) -> None:
    """An administrator removes every second factor of a person who lost theirs; their
    sessions end, and they set up a new factor at their next login if one is required."""
    for model in (TotpFactor, Passkey, RecoveryCode):
        db.session.execute(delete(model).where(model.organizer_id == organizer.id))
    sessions.end_others(organizer)
    account_log.record(organizer, "factors_reset", actor=by)
    db.session.flush()
