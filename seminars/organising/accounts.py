"""Organiser accounts and organisations: creating them, checking passwords, password resets.

Passwords are hashed with werkzeug's default (scrypt). A reset link is a signed token that
carries a fingerprint of the current password hash, so it stops working once used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import Organization, Organizer, utcnow
from seminars.slugs import choose_slug, slugify
from seminars.text import email_key

MIN_PASSWORD_LENGTH = 10
RESET_LINK_SECONDS = 3600
# One reset email per account per window, however often the form is sent.
RESET_WINDOW_SECONDS = 600
_RESET_SALT = "password-reset"

# Checked when no account matches, so a wrong email takes as long as a wrong password.
_UNUSED_HASH = generate_password_hash("no account has this password")


class AccountError(Exception):
    """A change to accounts or organisations that the rules do not allow."""


class PasswordTooShort(AccountError):
    pass


class EmailTaken(AccountError):
    pass


class OwnAccessRemoved(AccountError):
    """An administrator may not lock themselves out; another administrator can."""


def organizer_by_email(email: str) -> Organizer | None:
    return db.session.execute(
        select(Organizer).where(func.lower(Organizer.email) == email_key(email))
    ).scalar_one_or_none()


def set_password(organizer: Organizer, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(MIN_PASSWORD_LENGTH)
    organizer.password_hash = generate_password_hash(password)


def authenticate(email: str, password: str) -> Organizer | None:
    """The active organiser with this email and password, else None (never says which failed)."""
    organizer = organizer_by_email(email)
    if organizer is None:
        check_password_hash(_UNUSED_HASH, password)
        return None
    if not check_password_hash(organizer.password_hash, password) or not organizer.active:
        return None
    return organizer


def organization_by_name(name: str) -> Organization | None:
    return db.session.execute(
        select(Organization).where(
            (func.lower(Organization.name) == name.strip().lower())
            | (Organization.slug == slugify(name))
        )
    ).scalar_one_or_none()


@dataclass
class OrganizationDetails:
    name: str
    slug: str = ""
    contact_email: str = ""
    website: str = ""
    retention_days: int = 90


def save_organization(
    details: OrganizationDetails, organization: Organization | None = None
) -> Organization:
    """Create an organisation, or change one; the slug comes from the name unless given."""
    exclude_id = organization.id if organization else None
    slug = choose_slug(
        Organization, details.slug, name=details.name, max_length=80, exclude_id=exclude_id
    )
    if organization is None:
        organization = Organization(slug=slug, name=details.name)
        db.session.add(organization)
    organization.slug = slug
    organization.name = details.name
    organization.contact_email = details.contact_email
    organization.website = details.website
    organization.retention_days = details.retention_days
    db.session.flush()
    return organization


def organization_named(name: str) -> Organization:
    """The organisation with this name (or slug), created when there is none yet."""
    return organization_by_name(name) or save_organization(OrganizationDetails(name=name.strip()))


def create_organizer(
    *,
    email: str,
    name: str,
    password: str,
    organizations: list[Organization],
    is_admin: bool = False,
) -> Organizer:
    if organizer_by_email(email) is not None:
        raise EmailTaken(email)
    organizer = Organizer(email=email.strip(), name=name.strip(), is_admin=is_admin)
    set_password(organizer, password)
    organizer.organizations = list(organizations)
    db.session.add(organizer)
    db.session.flush()
    return organizer


def update_organizer(
    organizer: Organizer,
    *,
    email: str,
    name: str,
    organizations: list[Organization],
    is_admin: bool,
    active: bool,
    changed_by: Organizer,
) -> None:
    if changed_by.id == organizer.id and not (is_admin and active) and organizer.is_admin:
        raise OwnAccessRemoved(organizer.id)
    other = organizer_by_email(email)
    if other is not None and other.id != organizer.id:
        raise EmailTaken(email)
    organizer.email = email.strip()
    organizer.name = name.strip()
    organizer.organizations = list(organizations)
    organizer.is_admin = is_admin
    organizer.active = active
    db.session.flush()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def _password_fingerprint(organizer: Organizer) -> str:
    # A digest rather than the hash itself: the token is signed, not encrypted.
    return hashlib.sha256(organizer.password_hash.encode()).hexdigest()[:20]


def reset_token(organizer: Organizer) -> str:
    return _serializer().dumps({"id": organizer.id, "pw": _password_fingerprint(organizer)})


def organizer_for_reset_token(token: str) -> Organizer | None:
    """The organiser a reset link belongs to, if it is recent, untampered and not yet used."""
    try:
        payload = _serializer().loads(token, max_age=RESET_LINK_SECONDS)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), int):
        return None
    organizer = db.session.get(Organizer, payload["id"])
    if organizer is None or not organizer.active:
        return None
    if payload.get("pw") != _password_fingerprint(organizer):
        return None
    return organizer


def request_password_reset(
    email: str, reset_url_for: Callable[[str], str], *, language: str = "sv"
) -> bool:
    """Queue a reset link to an active account with this email; False when there is none.

    The caller shows the same message either way, so the form does not reveal accounts.
    """
    organizer = organizer_by_email(email)
    if organizer is None or not organizer.active:
        return False
    window = int(utcnow().timestamp()) // RESET_WINDOW_SECONDS
    outbox.queue(
        "password_reset",
        dedupe_key=f"password_reset:{organizer.id}:{window}",
        to_email=organizer.email,
        to_name=organizer.name,
        language=language,
        context={"reset_url": reset_url_for(reset_token(organizer))},
    )
    return True


def reset_password(token: str, password: str) -> Organizer | None:
    """Set a new password through a reset link; None when the link is no longer valid."""
    organizer = organizer_for_reset_token(token)
    if organizer is None:
        return None
    set_password(organizer, password)
    db.session.flush()
    return organizer
