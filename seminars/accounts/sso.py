"""Single sign-on through OpenID Connect: the providers an administrator sets up, which
email domains belong to which organisation, and what a sign-in through a provider means.

The protocol (discovery, PKCE, state and nonce, the ID token's signature) is Authlib's,
in `seminars/web/auth/sso.py`; this module gets the verified claims.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import delete, select

from seminars.accounts import log as account_log
from seminars.accounts import organizers
from seminars.accounts.sealing import seal, unseal
from seminars.extensions import db
from seminars.models import Organization, Organizer, Role, SsoDomain, SsoIdentity, SsoProvider
from seminars.slugs import choose_slug


class Refusal(enum.StrEnum):
    UNVERIFIED = "unverified"  # the provider does not vouch for the address
    UNMAPPED = "unmapped"  # no organisation takes people of this domain
    ACCOUNT_EXISTS = "account_exists"  # a password account has the address: link it first
    PENDING = "pending"  # waiting for an administrator's approval
    INACTIVE = "inactive"  # deactivated by an administrator


class SignInRefused(Exception):
    def __init__(self, reason: Refusal, organizer: Organizer | None = None):
        super().__init__(reason)
        self.reason = reason
        self.organizer = organizer


class IdentityTaken(Exception):
    """This provider identity is linked to another account."""


@dataclass(frozen=True)
class Claims:
    subject: str
    email: str = ""
    email_verified: bool = False
    name: str = ""

    @classmethod
    def from_token(cls, claims: dict) -> Claims:
        verified = claims.get("email_verified")
        return cls(
            subject=str(claims.get("sub") or ""),
            email=str(claims.get("email") or "").strip(),
            email_verified=verified is True or str(verified).lower() == "true",
            name=str(claims.get("name") or "").strip()[:200],
        )

    @property
    def domain(self) -> str:
        return self.email.rsplit("@", 1)[-1].lower() if "@" in self.email else ""


def enabled_providers() -> list[SsoProvider]:
    return list(
        db.session.scalars(
            select(SsoProvider).where(SsoProvider.enabled.is_(True)).order_by(SsoProvider.name)
        )
    )


def all_providers() -> list[SsoProvider]:
    return list(db.session.scalars(select(SsoProvider).order_by(SsoProvider.name)))


def provider_by_slug(slug: str) -> SsoProvider | None:
    return db.session.scalars(
        select(SsoProvider).where(SsoProvider.slug == slug, SsoProvider.enabled.is_(True))
    ).one_or_none()


@dataclass
class ProviderDetails:
    name: str
    issuer: str
    client_id: str
    client_secret: str | None  # None or "": keep the stored one
    enabled: bool = True


def save_provider(details: ProviderDetails, provider: SsoProvider | None = None) -> SsoProvider:
    if provider is None:
        slug = choose_slug(SsoProvider, "", name=details.name, max_length=60)
        provider = SsoProvider(slug=slug, sealed_client_secret="")
        db.session.add(provider)
    provider.name = details.name
    provider.issuer = details.issuer.rstrip("/")
    provider.client_id = details.client_id
    provider.enabled = details.enabled
    if details.client_secret:
        provider.sealed_client_secret = seal(details.client_secret)
    db.session.flush()
    return provider


def client_secret(provider: SsoProvider) -> str:
    return unseal(provider.sealed_client_secret) if provider.sealed_client_secret else ""


def add_domain(
    provider: SsoProvider, domain: str, organization: Organization, *, approval_required: bool
) -> SsoDomain:
    mapping = SsoDomain(
        provider_id=provider.id,
        domain=domain.strip().lower().lstrip("@"),
        organization_id=organization.id,
        approval_required=approval_required,
    )
    db.session.add(mapping)
    db.session.flush()
    return mapping


def remove_domain(provider: SsoProvider, domain_id: int) -> bool:
    return (
        db.session.execute(
            delete(SsoDomain).where(SsoDomain.id == domain_id, SsoDomain.provider_id == provider.id)
        ).rowcount
        == 1
    )


def _identity(provider: SsoProvider, subject: str) -> SsoIdentity | None:
    return db.session.scalars(
        select(SsoIdentity).where(
            SsoIdentity.provider_id == provider.id, SsoIdentity.subject == subject
        )
    ).one_or_none()


def _refuse_unless_active(organizer: Organizer) -> Organizer:
    if organizer.approval_pending:
        raise SignInRefused(Refusal.PENDING, organizer)
    if not organizer.active:
        raise SignInRefused(Refusal.INACTIVE, organizer)
    return organizer


def sign_in(provider: SsoProvider, claims: Claims) -> Organizer:
    """The account of a person the provider vouched for, created at their first sign-in
    when their verified address's domain maps to an organisation. Raises SignInRefused;
    an account created to wait for approval is flushed before the refusal, so the caller
    commits in both cases."""
    identity = _identity(provider, claims.subject)
    if identity is not None:
        return _refuse_unless_active(db.session.get(Organizer, identity.organizer_id))
    if not claims.email or not claims.email_verified:
        raise SignInRefused(Refusal.UNVERIFIED)
    mapping = db.session.scalars(
        select(SsoDomain).where(
            SsoDomain.provider_id == provider.id, SsoDomain.domain == claims.domain
        )
    ).one_or_none()
    if mapping is None:
        raise SignInRefused(Refusal.UNMAPPED)
    if organizers.organizer_by_email(claims.email) is not None:
        raise SignInRefused(Refusal.ACCOUNT_EXISTS)
    organizer = Organizer(
        email=claims.email,
        name=claims.name or claims.email,
        password_hash="",
        active=not mapping.approval_required,
        approval_pending=mapping.approval_required,
    )
    db.session.add(organizer)
    db.session.flush()
    organizers.set_memberships(organizer, {mapping.organization_id: Role.ORGANISER})
    db.session.add(
        SsoIdentity(
            provider_id=provider.id,
            subject=claims.subject,
            organizer_id=organizer.id,
            email=claims.email,
        )
    )
    account_log.record(organizer, "created_by_sso", detail=provider.name)
    db.session.flush()
    return _refuse_unless_active(organizer)


def link(organizer: Organizer, provider: SsoProvider, claims: Claims) -> SsoIdentity:
    """Let this account sign in through the provider from now on."""
    identity = _identity(provider, claims.subject)
    if identity is not None:
        if identity.organizer_id != organizer.id:
            raise IdentityTaken
        return identity
    identity = SsoIdentity(
        provider_id=provider.id,
        subject=claims.subject,
        organizer_id=organizer.id,
        email=claims.email,
    )
    db.session.add(identity)
    account_log.record(organizer, "sso_linked", detail=provider.name)
    db.session.flush()
    return identity


def unlink(organizer: Organizer, identity_id: int) -> bool:
    identity = db.session.get(SsoIdentity, identity_id)
    if identity is None or identity.organizer_id != organizer.id:
        return False
    account_log.record(organizer, "sso_unlinked", detail=identity.provider.name)
    db.session.delete(identity)
    db.session.flush()
    return True


def waiting_for_approval(organization_ids: set[int] | None) -> list[Organizer]:
    """Accounts created by single sign-on that an administrator has yet to let in."""
    from seminars.models import organizer_memberships

    statement = select(Organizer).where(Organizer.approval_pending.is_(True))
    if organization_ids is not None:
        members = select(organizer_memberships.c.organizer_id).where(
            organizer_memberships.c.organization_id.in_(organization_ids)
        )
        statement = statement.where(Organizer.id.in_(members))
    return list(db.session.scalars(statement.order_by(Organizer.created_at)))
