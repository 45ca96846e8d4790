"""Organiser accounts and organisations: creating them, roles, checking and changing
passwords, password resets. (Sessions, second factors, invitations and single sign-on have
modules of their own.)

Passwords are hashed with werkzeug's default (scrypt). A reset link is a signed token that
carries a fingerprint of the current password hash, so it stops working once used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from seminars.accounts import log as account_log
from seminars.accounts import sessions
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import (
    AuditEvent,
    LoginSession,
    Organization,
    Organizer,
    Role,
    Seminar,
    door_helper_seminars,
    organizer_memberships,
    utcnow,
)
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
    if organizer is None or not organizer.password_hash:
        # An account that signs in only through single sign-on has no password.
        check_password_hash(_UNUSED_HASH, password)
        return None
    if not check_password_hash(organizer.password_hash, password) or not organizer.active:
        return None
    return organizer


def change_password(
    organizer: Organizer, password: str, *, keep: LoginSession | None = None
) -> None:
    """A new password chosen by the person; their other sessions end."""
    set_password(organizer, password)
    organizer.must_change_password = False
    account_log.record(organizer, "password_changed")
    sessions.end_others(organizer, keep)
    db.session.flush()


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
    require_second_factor: bool = False


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
    organization.require_second_factor = details.require_second_factor
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
    temporary: bool = False,
    role: Role = Role.ORGANISER,
) -> Organizer:
    """A new account with `role` in each of `organizations`. A `temporary` password (given
    by an administrator) must be changed at the first login."""
    if organizer_by_email(email) is not None:
        raise EmailTaken(email)
    organizer = Organizer(
        email=email.strip(), name=name.strip(), is_admin=is_admin, must_change_password=temporary
    )
    set_password(organizer, password)
    db.session.add(organizer)
    db.session.flush()
    set_memberships(organizer, {organization.id: role for organization in organizations})
    return organizer


def set_memberships(
    organizer: Organizer, wanted: dict[int, Role | None], *, within: set[int] | None = None
) -> None:
    """Give the account these roles (None: no membership). Only organisations in `within`
    change (an organisation admin's own), all of them when it is None. A door helper's
    seminars of an organisation they leave, or now manage, are taken away."""
    current = {
        oid: Role(role)
        for oid, role in db.session.execute(
            select(organizer_memberships.c.organization_id, organizer_memberships.c.role).where(
                organizer_memberships.c.organizer_id == organizer.id
            )
        )
    }
    for organization_id in set(current) | set(wanted):
        if within is not None and organization_id not in within:
            continue
        old, new = current.get(organization_id), wanted.get(organization_id)
        if old == new:
            continue
        membership = (organizer_memberships.c.organizer_id == organizer.id) & (
            organizer_memberships.c.organization_id == organization_id
        )
        if new is None:
            db.session.execute(delete(organizer_memberships).where(membership))
        elif old is None:
            db.session.execute(
                insert(organizer_memberships).values(
                    organizer_id=organizer.id, organization_id=organization_id, role=new
                )
            )
        else:
            db.session.execute(update(organizer_memberships).where(membership).values(role=new))
        if old == Role.DOOR_HELPER:
            _take_door_seminars(organizer, organization_id)
    db.session.expire(organizer, ["organizations"])
    db.session.flush()


def _take_door_seminars(organizer: Organizer, organization_id: int) -> None:
    hosted = select(Seminar.id).where(Seminar.organization_id == organization_id)
    db.session.execute(
        delete(door_helper_seminars).where(
            door_helper_seminars.c.organizer_id == organizer.id,
            door_helper_seminars.c.seminar_id.in_(hosted),
        )
    )


def set_door_seminars(organizer: Organizer, seminar_ids: set[int], *, choosable: set[int]) -> None:
    """The seminars a door helper may check people in for, among those `choosable`."""
    given = set(
        db.session.scalars(
            select(door_helper_seminars.c.seminar_id).where(
                door_helper_seminars.c.organizer_id == organizer.id
            )
        )
    )
    wanted = seminar_ids & choosable
    removed = (given & choosable) - wanted
    if removed:
        db.session.execute(
            delete(door_helper_seminars).where(
                door_helper_seminars.c.organizer_id == organizer.id,
                door_helper_seminars.c.seminar_id.in_(removed),
            )
        )
    for seminar_id in wanted - given:
        db.session.execute(
            insert(door_helper_seminars).values(organizer_id=organizer.id, seminar_id=seminar_id)
        )
    db.session.expire(organizer, ["door_seminars"])
    db.session.flush()


def last_used_organization_id(organizer: Organizer) -> int | None:
    """The organisation of this organiser's latest work (the audit log), if still theirs."""
    mine = [organization.id for organization in organizer.organizations]
    if not mine:
        return None
    latest = db.session.scalar(
        select(AuditEvent.organization_id)
        .where(AuditEvent.organizer_id == organizer.id, AuditEvent.organization_id.in_(mine))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    return latest or mine[0]


def update_organizer(
    organizer: Organizer,
    *,
    email: str,
    name: str,
    memberships: dict[int, Role | None],
    active: bool,
    changed_by: Organizer,
    is_admin: bool | None = None,
    within: set[int] | None = None,
) -> None:
    """Change an account's details and roles. `is_admin` None leaves it as it is (only a
    site admin may change it); `within` limits the roles changed (see set_memberships)."""
    keeps_admin = organizer.is_admin if is_admin is None else is_admin
    if changed_by.id == organizer.id and not (keeps_admin and active) and organizer.is_admin:
        raise OwnAccessRemoved(organizer.id)
    other = organizer_by_email(email)
    if other is not None and other.id != organizer.id:
        raise EmailTaken(email)
    organizer.email = email.strip()
    organizer.name = name.strip()
    organizer.is_admin = keeps_admin
    was_active, organizer.active = organizer.active, active
    if was_active and not active:
        sessions.end_others(organizer)
    set_memberships(organizer, memberships, within=within)
    db.session.flush()


def approve(organizer: Organizer, *, by: Organizer) -> None:
    """Let in a person who signed in through single sign-on and waits for approval."""
    organizer.approval_pending = False
    organizer.active = True
    account_log.record(organizer, "approved", actor=by)
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
    # Whoever knew the old password is signed out everywhere.
    change_password(organizer, password)
    return organizer
