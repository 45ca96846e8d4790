"""What a sign-in through a provider means, given claims the provider vouched for (the
protocol itself is tested against a real provider in tests/browser/test_sso.py): mapped
domains, approval by an administrator, existing password accounts, unverified addresses;
and the provider's client secret, which is sealed and never shown back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from seminars.accounts import organizers, sso
from seminars.extensions import db
from seminars.models import Organizer, Role, SsoIdentity, SsoProvider
from seminars.organising import access
from tests.conftest import log_in


@pytest.fixture
def provider(app, organization_factory):
    mau = organization_factory("Malmö universitet")
    agency = organization_factory("Myndigheten")
    provider = sso.save_provider(
        sso.ProviderDetails("Lärosätet", "https://login.example.org/", "seminars", "s3cret-value")
    )
    sso.add_domain(provider, "mau.example.org", mau, approval_required=False)
    sso.add_domain(provider, "@Myndighet.example.org", agency, approval_required=True)
    db.session.commit()
    return provider


def claims(sub: str, email: str, verified=True, name="Anna") -> sso.Claims:
    return sso.Claims.from_token(
        {"sub": sub, "email": email, "email_verified": verified, "name": name}
    )


def test_a_mapped_domain_makes_an_organiser_at_the_first_login(provider):
    anna = sso.sign_in(provider, claims("1", "anna@MAU.example.org"))
    db.session.commit()
    assert [o.name for o in anna.organizations] == ["Malmö universitet"]
    assert anna.active and anna.password_hash == ""
    # The second time the identity is found, whatever the address says now.
    assert sso.sign_in(provider, claims("1", "anna.new@elsewhere.example")) == anna
    # A password login is impossible for an account without one.
    assert organizers.authenticate("anna@MAU.example.org", "") is None


def test_a_domain_can_wait_for_an_administrators_approval(app, client, provider):
    with pytest.raises(sso.SignInRefused) as refused:
        sso.sign_in(provider, claims("2", "bo@myndighet.example.org", name="Bo"))
    assert refused.value.reason == sso.Refusal.PENDING
    db.session.commit()
    bo = db.session.scalars(select(Organizer).where(Organizer.name == "Bo")).one()
    assert bo.approval_pending and not bo.active
    with pytest.raises(sso.SignInRefused) as again:
        sso.sign_in(provider, claims("2", "bo@myndighet.example.org"))
    assert again.value.reason == sso.Refusal.PENDING

    admin = organizers.create_organizer(
        email="admin@example.org", name="Admin", password="admin password", organizations=[],
        is_admin=True,
    )  # fmt: skip
    db.session.commit()
    log_in(client, admin)
    assert "Bo" in client.get("/organizer/admin/").text
    assert client.post(f"/organizer/admin/organizers/{bo.id}/approve").status_code == 303
    assert sso.sign_in(provider, claims("2", "bo@myndighet.example.org")).id == bo.id
    assert [o.name for o in bo.organizations] == ["Myndigheten"]


@pytest.mark.parametrize(
    ("email", "verified", "reason"),
    [
        ("eve@elsewhere.example.org", True, sso.Refusal.UNMAPPED),
        ("anna@mau.example.org", False, sso.Refusal.UNVERIFIED),
        ("", True, sso.Refusal.UNVERIFIED),
        ("eve@sub.mau.example.org", True, sso.Refusal.UNMAPPED),
    ],
)
def test_refused_without_a_verified_address_of_a_mapped_domain(provider, email, verified, reason):
    with pytest.raises(sso.SignInRefused) as refused:
        sso.sign_in(provider, claims("3", email, verified=verified))
    assert refused.value.reason == reason
    assert db.session.scalars(select(SsoIdentity)).all() == []


def test_an_existing_password_account_is_not_taken_over(provider, organizer_factory):
    organizer_factory(email="ewa@mau.example.org")
    with pytest.raises(sso.SignInRefused) as refused:
        sso.sign_in(provider, claims("4", "ewa@mau.example.org"))
    assert refused.value.reason == sso.Refusal.ACCOUNT_EXISTS


def test_linking_an_identity_to_a_password_account(provider, organizer_factory):
    ewa = organizer_factory(email="ewa@example.org")
    sso.link(ewa, provider, claims("5", "ewa.s@mau.example.org"))
    db.session.commit()
    assert sso.sign_in(provider, claims("5", "ewa.s@mau.example.org")) == ewa
    other = organizer_factory(email="other@example.org")
    with pytest.raises(sso.IdentityTaken):
        sso.link(other, provider, claims("5", "ewa.s@mau.example.org"))


def test_a_deactivated_account_is_refused(provider, organizer_factory):
    anna = sso.sign_in(provider, claims("6", "anna@mau.example.org"))
    anna.active = False
    db.session.commit()
    with pytest.raises(sso.SignInRefused) as refused:
        sso.sign_in(provider, claims("6", "anna@mau.example.org"))
    assert refused.value.reason == sso.Refusal.INACTIVE


def test_the_client_secret_is_sealed_and_never_shown_back(app, client, provider, organizer_factory):
    stored = db.session.get(SsoProvider, provider.id)
    assert "s3cret-value" not in stored.sealed_client_secret
    assert sso.client_secret(stored) == "s3cret-value"
    assert stored.issuer == "https://login.example.org"
    client.set_cookie("lang", "en")
    log_in(client, organizer_factory(is_admin=True))
    page = client.get(f"/organizer/admin/sso/{provider.id}")
    assert page.status_code == 200 and "s3cret-value" not in page.text
    assert "/login/sso/larosatet/callback" in page.text  # to register at the provider
    # Saving without typing a secret keeps the stored one.
    saved = client.post(
        f"/organizer/admin/sso/{provider.id}",
        data={"name": "Lärosätet", "issuer": "https://login.example.org", "client_id": "seminars",
              "enabled": "y"},
    )  # fmt: skip
    assert saved.status_code == 303
    assert sso.client_secret(db.session.get(SsoProvider, provider.id)) == "s3cret-value"
    bad = client.post(
        f"/organizer/admin/sso/{provider.id}",
        data={"name": "Lärosätet", "issuer": "http://login.example.org", "client_id": "seminars"},
    )
    assert bad.status_code == 422 and "starting with https://" in bad.text


def test_an_administrator_connects_and_removes_a_domain(app, client, provider, organizer_factory):
    client.set_cookie("lang", "en")
    log_in(client, organizer_factory(is_admin=True))
    mau_id = provider.domains[0].organization_id
    added = client.post(
        f"/organizer/admin/sso/{provider.id}/domains",
        data={
            "domain": "student.mau.example.org",
            "organization_id": mau_id,
            "approval_required": "yes",
        },
    )
    assert added.status_code == 303
    twice = client.post(
        f"/organizer/admin/sso/{provider.id}/domains",
        data={"domain": "student.mau.example.org", "organization_id": mau_id},
    )
    assert twice.status_code == 422 and "connected already" in twice.text
    not_a_domain = client.post(
        f"/organizer/admin/sso/{provider.id}/domains",
        data={"domain": "not a domain", "organization_id": mau_id},
    )
    assert not_a_domain.status_code == 422
    db.session.expire_all()
    mapping = next(d for d in provider.domains if d.domain == "student.mau.example.org")
    assert mapping.approval_required
    removed = client.post(f"/organizer/admin/sso/{provider.id}/domains/{mapping.id}/remove")
    assert removed.status_code == 303
    db.session.expire_all()
    assert "student.mau.example.org" not in [d.domain for d in provider.domains]


def test_roles_of_a_new_organiser_from_single_sign_on(provider):
    anna = sso.sign_in(provider, claims("7", "anna@mau.example.org"))
    assert set(access.roles(anna).values()) == {Role.ORGANISER}
