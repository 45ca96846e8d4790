"""Site administration: organisations and organiser accounts, from the UI."""

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import Organization, Organizer
from seminars.organising import accounts
from tests.conftest import log_in


@pytest.fixture
def admin(organizer_factory):
    return organizer_factory(is_admin=True, email="admin@example.org")


@pytest.fixture
def admin_client(client, admin):
    client.set_cookie("lang", "en")
    log_in(client, admin)
    return client


def test_admin_creates_and_edits_an_organisation(admin_client):
    response = admin_client.post(
        "/organizer/admin/organizations/new",
        data={
            "name": "Malmö universitet",
            "contact_email": "registrator@mau.example.org",
            "website": "https://mau.example.org",
            "retention_days": "365",
        },
    )
    assert response.status_code == 303
    organization = db.session.scalars(
        select(Organization).where(Organization.name == "Malmö universitet")
    ).one()
    assert (organization.slug, organization.retention_days) == ("malmo-universitet", 365)

    bad = admin_client.post(
        f"/organizer/admin/organizations/{organization.id}",
        data={"name": "Malmö universitet", "retention_days": "0", "website": "mau.se"},
    )
    assert bad.status_code == 422
    assert "Enter a number from 1 to 3650." in bad.text
    assert "Enter an address starting with https://." in bad.text


def test_admin_creates_an_organiser_with_a_temporary_password(admin_client, organization_factory):
    ofr = organization_factory("OFR")
    response = admin_client.post(
        "/organizer/admin/organizers/new",
        data={
            "name": "Lars Fresker",
            "email": "lars@ofr.example.org",
            f"role_{ofr.id}": "organiser",
            "password": "temporary password 1",
        },
    )
    assert response.status_code == 303
    organizer = accounts.authenticate("lars@ofr.example.org", "temporary password 1")
    assert organizer is not None and [o.name for o in organizer.organizations] == ["OFR"]
    assert not organizer.is_admin

    again = admin_client.post(
        "/organizer/admin/organizers/new",
        data={"name": "L", "email": "LARS@ofr.example.org", "password": "temporary password 1"},
    )
    assert again.status_code == 422
    assert "An account with this email address already exists." in again.text


def test_admin_deactivates_an_organiser_who_then_cannot_log_in(
    admin_client, organizer_factory, organization_factory
):
    ofr = organization_factory("OFR")
    organizer = organizer_factory(ofr, email="gone@example.org")
    response = admin_client.post(
        f"/organizer/admin/organizers/{organizer.id}",
        data={"name": organizer.name, "email": organizer.email, f"role_{ofr.id}": "organiser"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert organizer.active is False
    assert accounts.authenticate("gone@example.org", "correct horse battery") is None


def test_admin_cannot_lock_themselves_out(admin_client, admin):
    response = admin_client.post(
        f"/organizer/admin/organizers/{admin.id}",
        data={"name": admin.name, "email": admin.email, "active": "y"},
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Organizer, admin.id).is_admin
