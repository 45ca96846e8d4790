"""How organisers sign in: server-side sessions, second factors (an authenticator app with
its recovery codes, passkeys), single sign-on providers and identities, invitations, and
the log of what happened to an account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seminars.extensions import db
from seminars.models.organisations import Organization, Organizer
from seminars.models.types import UTCDateTime, utcnow


class LoginSession(db.Model):
    """One signed-in browser. The Flask session carries a random token whose hash is here;
    ending the row ends the session, whatever the cookie says."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizer.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A hash of the browser's long-lived device cookie: a login from a new one is emailed.
    device_hash: Mapped[str] = mapped_column(String(64), index=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    method: Mapped[str] = mapped_column(String(20))  # password, passkey, sso
    sso_provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("sso_provider.id", ondelete="SET NULL")
    )
    # The provider's ID token, sent back as the hint when logging out there.
    id_token: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    organizer: Mapped[Organizer] = relationship()


class TotpFactor(db.Model):
    """An authenticator app. The seed is encrypted with a key derived from SECRET_KEY.
    An account has at most one confirmed, and while moving to a new phone one more that
    is being set up."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizer.id", ondelete="CASCADE"), index=True
    )
    sealed_secret: Mapped[str] = mapped_column(String(300))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second step a code was accepted for: no code is accepted twice.
    last_used_step: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizer.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passkey(db.Model):
    """A WebAuthn credential: a passkey or a security key, named by its owner."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizer.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[str] = mapped_column(String(400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(default=0)
    transports: Mapped[list] = mapped_column(JSON, default=list)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SsoProvider(db.Model):
    """An OpenID Connect provider (SWAMID, Microsoft Entra ID, …) found by discovery."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(200))
    sealed_client_secret: Mapped[str] = mapped_column(String(1000))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    domains: Mapped[list[SsoDomain]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", order_by="SsoDomain.domain"
    )


class SsoDomain(db.Model):
    """People of this provider whose verified address is at `domain` belong to an
    organisation: as organisers at their first login, or once an administrator approves."""

    __table_args__ = (UniqueConstraint("provider_id", "domain"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("sso_provider.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(253))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    approval_required: Mapped[bool] = mapped_column(default=False)
    provider: Mapped[SsoProvider] = relationship(back_populates="domains")
    organization: Mapped[Organization] = relationship()


class SsoIdentity(db.Model):
    """An account's identity at a provider (the provider's `sub`)."""

    __table_args__ = (UniqueConstraint("provider_id", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("sso_provider.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizer.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    provider: Mapped[SsoProvider] = relationship()


class Invite(db.Model):
    """An emailed invitation to become an organiser; its link works once, for a while."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizer.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    organization: Mapped[Organization] = relationship()
    invited_by: Mapped[Organizer | None] = relationship()


class AccountEvent(db.Model):
    """The security log of an account: logins, factors added and removed, resets by an
    administrator, sessions ended. Shown to the person and to their administrators."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizer.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("organizer.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[Organizer | None] = relationship(foreign_keys=[actor_id])
