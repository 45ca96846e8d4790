"""Organisations and the organisers who work for them."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seminars.extensions import db
from seminars.models.types import UTCDateTime, utcnow

organizer_memberships = Table(
    "organizer_membership",
    db.metadata,
    Column("organizer_id", ForeignKey("organizer.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id"), primary_key=True),
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Organizer(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    organizations: Mapped[list[Organization]] = relationship(secondary=organizer_memberships)
