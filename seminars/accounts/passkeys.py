"""Passkeys and security keys through WebAuthn (py_webauthn): several per account, each
named and removable. A passkey-only sign-in needs a discoverable credential and user
verification (a PIN or biometrics on the device), so it counts as both factors.

The relying party is the host of BASE_URL, the expected origin BASE_URL's scheme and host.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from seminars.accounts import log as account_log
from seminars.accounts import sessions
from seminars.extensions import db
from seminars.models import LoginSession, Organizer, Passkey, utcnow

MAX_NAME_LENGTH = 100


class PasskeyRefused(Exception):
    """The browser's answer did not verify, or names no passkey of ours."""


def relying_party(base_url: str) -> tuple[str, str]:
    """(RP ID, origin) of this installation."""
    parts = urlsplit(base_url)
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def _descriptors(organizer: Organizer) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(passkey.credential_id),
            transports=[AuthenticatorTransport(t) for t in passkey.transports],
        )
        for passkey in db.session.scalars(
            select(Passkey).where(Passkey.organizer_id == organizer.id)
        )
    ]


def registration_options(organizer: Organizer, base_url: str, site_name: str) -> tuple[str, str]:
    """(options as JSON for the browser, the challenge to keep until it answers)."""
    if organizer.webauthn_handle is None:
        organizer.webauthn_handle = bytes_to_base64url(secrets.token_bytes(32))
        db.session.flush()
    rp_id, _origin = relying_party(base_url)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=site_name,
        user_id=base64url_to_bytes(organizer.webauthn_handle),
        user_name=organizer.email,
        user_display_name=organizer.name,
        exclude_credentials=_descriptors(organizer),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def register(
    organizer: Organizer,
    credential: str,
    *,
    challenge: str,
    name: str,
    base_url: str,
    keep: LoginSession | None,
) -> Passkey:
    rp_id, origin = relying_party(base_url)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
        transports = json.loads(credential).get("response", {}).get("transports") or []
    except (InvalidRegistrationResponse, ValueError, AttributeError) as error:
        raise PasskeyRefused(str(error)) from error
    known = {t.value for t in AuthenticatorTransport}
    passkey = Passkey(
        organizer_id=organizer.id,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t for t in transports if t in known],
        name=name.strip()[:MAX_NAME_LENGTH],
    )
    db.session.add(passkey)
    db.session.flush()
    account_log.record(organizer, "passkey_added", detail=passkey.name)
    sessions.end_others(organizer, keep)
    return passkey


def sign_in_options(base_url: str, organizer: Organizer | None = None) -> tuple[str, str]:
    """Options for navigator.credentials.get: for this organiser's passkeys as a second
    factor, or (no organiser) for any discoverable passkey with user verification."""
    rp_id, _origin = relying_party(base_url)
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=_descriptors(organizer) if organizer is not None else [],
        user_verification=(
            UserVerificationRequirement.PREFERRED
            if organizer is not None
            else UserVerificationRequirement.REQUIRED
        ),
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def _passkey_for(credential: str) -> tuple[Passkey, dict]:
    try:
        answer = json.loads(credential)
        credential_id = answer["id"]
    except (ValueError, KeyError, TypeError) as error:
        raise PasskeyRefused("unreadable answer") from error
    passkey = db.session.scalars(
        select(Passkey).where(Passkey.credential_id == credential_id)
    ).one_or_none()
    if passkey is None:
        raise PasskeyRefused("unknown passkey")
    return passkey, answer


def authenticate(
    credential: str, *, challenge: str, base_url: str, organizer: Organizer | None = None
) -> Organizer:
    """The organiser whose passkey answered the challenge. With `organizer` (the second
    step of a password login) the passkey must be theirs; without, it must be discoverable
    and verify its user, and its user handle must be the account's."""
    passkey, answer = _passkey_for(credential)
    owner = db.session.get(Organizer, passkey.organizer_id)
    if organizer is not None and owner.id != organizer.id:
        raise PasskeyRefused("another account's passkey")
    if organizer is None:
        handle = (answer.get("response") or {}).get("userHandle")
        if not handle or handle != owner.webauthn_handle:
            raise PasskeyRefused("not a discoverable passkey of this account")
    rp_id, origin = relying_party(base_url)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=organizer is None,
        )
    except (InvalidAuthenticationResponse, ValueError) as error:
        raise PasskeyRefused(str(error)) from error
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    db.session.flush()
    return owner


def of(organizer: Organizer) -> list[Passkey]:
    return list(
        db.session.scalars(
            select(Passkey).where(Passkey.organizer_id == organizer.id).order_by(Passkey.id)
        )
    )


def remove(organizer: Organizer, passkey_id: int, keep: LoginSession | None) -> bool:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.organizer_id != organizer.id:
        return False
    name = passkey.name
    db.session.execute(delete(Passkey).where(Passkey.id == passkey.id))
    account_log.record(organizer, "passkey_removed", detail=name)
    sessions.end_others(organizer, keep)
    return True
