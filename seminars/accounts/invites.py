"""Invitations: an administrator invites a person by email to an organisation, in a role.
The link works once and for INVITE_DAYS; the person chooses their own password.
Only the SHA-256 of the link's token is stored."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update

from seminars.accounts import log as account_log
from seminars.accounts import organizers
from seminars.accounts.sessions import digest
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import Invite, Organization, Organizer, Role, utcnow

INVITE_DAYS = 7


class InviteUnusable(Exception):
    """The link is unknown, used or expired."""


def invite(
    *,
    email: str,
    name: str,
    organization: Organization,
    role: Role,
    invited_by: Organizer,
    accept_url_for: Callable[[str], str],
    language: str = "sv",
    now: datetime | None = None,
) -> Invite:
    """Queue an invitation email; EmailTaken when the address already has an account."""
    if organizers.organizer_by_email(email) is not None:
        raise organizers.EmailTaken(email)
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = Invite(
        token_hash=digest(token),
        email=email.strip(),
        name=name.strip(),
        organization_id=organization.id,
        role=role,
        invited_by_id=invited_by.id,
        created_at=now,
        expires_at=now + timedelta(days=INVITE_DAYS),
    )
    db.session.add(row)
    db.session.flush()
    outbox.queue(
        "invite",
        dedupe_key=f"invite:{row.id}",
        to_email=row.email,
        to_name=row.name,
        language=language,
        context={
            "accept_url": accept_url_for(token),
            "organization": organization.name,
            "invited_by": invited_by.name,
            "days": INVITE_DAYS,
        },
    )
    return row


def usable(token: str, now: datetime | None = None) -> Invite:
    row = db.session.scalars(select(Invite).where(Invite.token_hash == digest(token))).one_or_none()
    if row is None or row.accepted_at is not None or (now or utcnow()) >= row.expires_at:
        raise InviteUnusable
    return row


def accept(token: str, password: str, now: datetime | None = None) -> Organizer:
    """Create the invited person's account with the password they chose. One conditional
    UPDATE takes the invitation, so a link used twice at once makes one account."""
    now = now or utcnow()
    row = usable(token, now)
    taken = db.session.execute(
        update(Invite)
        .where(Invite.id == row.id, Invite.accepted_at.is_(None))
        .values(accepted_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if taken != 1:
        raise InviteUnusable
    organizer = organizers.create_organizer(
        email=row.email,
        name=row.name,
        password=password,
        organizations=[row.organization],
        role=Role(row.role),
    )
    account_log.record(organizer, "invite_accepted", actor=row.invited_by)
    return organizer


def pending(organization_ids: set[int] | None, now: datetime | None = None) -> list[Invite]:
    """Invitations not yet accepted nor expired, in these organisations (None: all)."""
    statement = select(Invite).where(
        Invite.accepted_at.is_(None), Invite.expires_at > (now or utcnow())
    )
    if organization_ids is not None:
        statement = statement.where(Invite.organization_id.in_(organization_ids))
    return list(db.session.scalars(statement.order_by(Invite.created_at.desc())))
