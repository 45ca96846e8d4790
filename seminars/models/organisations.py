"""Organisations and the accounts of the people who work for them, with a role in each."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, LargeBinary, String, Table, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seminars.extensions import db
from seminars.models.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    """What a person may do in one organisation."""

    ADMIN = "admin"  # its accounts and settings, and everything an organiser does
    ORGANISER = "organiser"  # its seminars and their attendees
    DOOR_HELPER = "door_helper"  # the check-in list of the seminars they are given


MANAGING_ROLES = (Role.ADMIN, Role.ORGANISER)

organizer_memberships = Table(
    "organizer_membership",
    db.metadata,
    Column("organizer_id", ForeignKey("organizer.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id"), primary_key=True),
    Column("role", String(20), nullable=False, default=Role.ORGANISER, server_default="organiser"),
)

# The seminars a door helper may check people in for.
door_helper_seminars = Table(
    "door_helper_seminar",
    db.metadata,
    Column("organizer_id", ForeignKey("organizer.id", ondelete="CASCADE"), primary_key=True),
    Column("seminar_id", ForeignKey("seminar.id", ondelete="CASCADE"), primary_key=True),
)


class Organization(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    # Days after a seminar before attendee data is anonymised (DESIGN guarantee 8).
    retention_days: Mapped[int] = mapped_column(default=90)
    # Origins (`https://host[:port]`) whose pages may frame this organisation's embedded
    # signup and list (CSP frame-ancestors); see seminars/organising/embedding.py.
    embed_origins: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Its people sign in with a second factor (or through single sign-on).
    require_second_factor: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Its pages and emails look like it (organising/branding.py): a PNG or a sanitised SVG,
    # and a colour (#rrggbb) that reads on white by WCAG AA.
    # The logo is read only when sent: pages need its type and version (a hash, for caching).
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str] = mapped_column(String(20), default="", server_default="")
    logo_version: Mapped[str] = mapped_column(String(16), default="", server_default="")
    accent_color: Mapped[str] = mapped_column(String(7), default="", server_default="")
    # Answers to health-data questions (diet, accessibility) go out through the API and
    # webhooks only when the organisation turns this on.
    share_health_answers: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Organizer(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Empty for an account that signs in only through single sign-on.
    password_hash: Mapped[str] = mapped_column(String(300))
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Given a temporary password by an administrator: chooses their own at first login.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Created at a first single sign-on, waiting for an administrator to let them in.
    approval_pending: Mapped[bool] = mapped_column(default=False, server_default="0")
    # The random WebAuthn user handle a passkey returns at a passkey-only sign-in.
    webauthn_handle: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The organisations they work for (admin or organiser). A door helper's membership is
    # not among them: it gives no access to the organisation's seminars.
    organizations: Mapped[list[Organization]] = relationship(
        secondary=organizer_memberships,
        primaryjoin=lambda: and_(
            Organizer.id == organizer_memberships.c.organizer_id,
            organizer_memberships.c.role.in_([str(role) for role in MANAGING_ROLES]),
        ),
        secondaryjoin=lambda: Organization.id == organizer_memberships.c.organization_id,
        order_by=lambda: Organization.name,
    )
    door_seminars = relationship(
        "Seminar", secondary=door_helper_seminars, order_by="Seminar.starts_at"
    )
