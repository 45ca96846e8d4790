"""Site administration: organisations and organiser accounts, from the UI."""

import pytest
from sqlalchemy import select

from seminars.accounts import organizers
from seminars.extensions import db
from seminars.models import Organization, Organizer
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
    organizer = organizers.authenticate("lars@ofr.example.org", "temporary password 1")
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
    assert organizers.authenticate("gone@example.org", "correct horse battery") is None


def test_admin_cannot_lock_themselves_out(admin_client, admin):
    response = admin_client.post(
        f"/organizer/admin/organizers/{admin.id}",
        data={"name": admin.name, "email": admin.email, "active": "y"},
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Organizer, admin.id).is_admin


def test_roles_per_organisation_and_a_door_helpers_seminars(
    admin_client, organizer_factory, organization_factory, seminar_factory
):
    from seminars.models import Role
    from seminars.organising import access

    ofr, mau = organization_factory("OFR"), organization_factory("Malmö universitet")
    ofr_seminar = seminar_factory(organization=ofr, title="Frukostseminariet")
    seminar_factory(organization=mau, title="Universitetets")
    person = organizer_factory(ofr, email="lo@example.org")
    page = admin_client.get(f"/organizer/admin/organizers/{person.id}")
    assert "Frukostseminariet" in page.text  # a door helper could be given it
    response = admin_client.post(
        f"/organizer/admin/organizers/{person.id}",
        data={
            "name": person.name,
            "email": person.email,
            "active": "y",
            f"role_{ofr.id}": "door_helper",
            f"role_{mau.id}": "admin",
            "door_seminar_ids": [str(ofr_seminar.id)],
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert access.roles(person) == {ofr.id: Role.DOOR_HELPER, mau.id: Role.ADMIN}
    assert [s.title for s in person.door_seminars] == ["Frukostseminariet"]
    assert [o.name for o in person.organizations] == ["Malmö universitet"]
    listed = admin_client.get("/organizer/admin/").text
    assert (
        "Malmö universitet (administrator of the organisation), OFR (door helper (check-in only))"
        in listed
    )
    # No longer a door helper: their seminars go with the role.
    admin_client.post(
        f"/organizer/admin/organizers/{person.id}",
        data={"name": person.name, "email": person.email, "active": "y", f"role_{ofr.id}": ""},
    )
    db.session.expire_all()
    assert access.roles(person) == {mau.id: Role.ADMIN}
    assert person.door_seminars == []


def test_an_organisations_admin_changes_only_its_own_roles(
    client, organizer_factory, organization_factory
):
    from seminars.models import Role
    from seminars.organising import access

    ofr, mau = organization_factory("OFR"), organization_factory("Malmö universitet")
    ofr_admin = organizer_factory(ofr, email="chef@ofr.example.org")
    organizers.set_memberships(ofr_admin, {ofr.id: Role.ADMIN})
    person = organizer_factory(ofr, mau, email="lo@example.org")
    db.session.commit()
    client.set_cookie("lang", "en")
    log_in(client, ofr_admin)
    page = client.get(f"/organizer/admin/organizers/{person.id}")
    assert 'name="is_admin"' not in page.text  # only a site admin makes site admins
    assert f'name="role_{mau.id}"' not in page.text
    client.post(
        f"/organizer/admin/organizers/{person.id}",
        data={
            "name": person.name,
            "email": person.email,
            "active": "y",
            f"role_{ofr.id}": "door_helper",
            f"role_{mau.id}": "",  # not theirs to change: ignored
            "is_admin": "y",
        },
    )
    db.session.expire_all()
    assert access.roles(person) == {ofr.id: Role.DOOR_HELPER, mau.id: Role.ORGANISER}
    assert not person.is_admin
    assert client.get(f"/organizer/admin/organizations/{mau.id}").status_code == 403
    assert client.get(f"/organizer/admin/organizations/{ofr.id}").status_code == 200


def test_admin_requires_a_second_factor_for_an_organisation(admin_client, organization_factory):
    ofr = organization_factory("OFR")
    response = admin_client.post(
        f"/organizer/admin/organizations/{ofr.id}",
        data={"name": "OFR", "retention_days": "90", "require_second_factor": "y"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Organization, ofr.id).require_second_factor
    assert "Required" in admin_client.get("/organizer/admin/").text
