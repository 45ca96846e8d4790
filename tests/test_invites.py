"""Organiser onboarding (issue 13, item 7): an administrator invites by email, the link
works once and expires, the invitee chooses their own password; a temporary password must
be changed at the first login; the organisation last worked for is preselected."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from flask import g
from sqlalchemy import select

from seminars.accounts import organizers
from seminars.extensions import db
from seminars.models import Invite, Organizer, OutboxMessage, Role, utcnow
from seminars.organising import access
from tests.conftest import log_in

PASSWORD = "correct horse battery"


def fresh(client):
    g.pop("_login_user", None)
    return client


def invite(client, organization, email="nils@ofr.example.org", role="organiser"):
    return client.post(
        "/organizer/admin/invites/new",
        data={
            "name": "Nils Nilsson",
            "email": email,
            "organization_id": str(organization.id),
            "role": role,
        },
    )


def invitation_path(email="nils@ofr.example.org") -> str:
    mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "invite", OutboxMessage.to_email == email)
    ).one()
    db.session.rollback()
    return mail.context["accept_url"].removeprefix("http://seminars.test")


def test_an_organisations_admin_invites_and_the_invitee_chooses_a_password(
    app, client, organizer_factory, organization_factory
):
    ofr = organization_factory("OFR")
    admin = organizer_factory(ofr, email="admin@ofr.example.org")
    organizers.set_memberships(admin, {ofr.id: Role.ADMIN})
    db.session.commit()
    log_in(client, admin)
    assert invite(client, ofr).status_code == 303
    path = invitation_path()
    assert path.startswith("/invite/")
    assert "Nils Nilsson" in fresh(client).get("/organizer/admin/").text  # pending invitation

    invitee = fresh(client.application.test_client())
    page = invitee.get(path)
    assert page.status_code == 200
    assert "OFR" in page.text and page.headers["Referrer-Policy"] == "no-referrer"
    short = invitee.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422
    chosen = {"password": "nils own password", "confirm": "nils own password"}
    accepted = invitee.post(path, data=chosen)
    assert accepted.status_code == 303
    assert fresh(invitee).get("/organizer/").status_code == 200  # logged in straight away
    nils = organizers.authenticate("nils@ofr.example.org", "nils own password")
    assert nils is not None and [o.name for o in nils.organizations] == ["OFR"]
    assert not nils.must_change_password

    # Single use: the link does not work again, not even to look at.
    assert fresh(client.application.test_client()).get(path).status_code == 400
    again = fresh(client.application.test_client()).post(
        path, data={"password": "someone elses pw", "confirm": "someone elses pw"}
    )
    assert again.status_code == 400
    assert organizers.authenticate("nils@ofr.example.org", "someone elses pw") is None


def test_the_invitation_expires_after_seven_days(app, client, organizer_factory):
    admin = organizer_factory(is_admin=True)
    log_in(client, admin)
    invite(client, admin.organizations[0])
    path = invitation_path()
    with time_machine.travel(utcnow() + timedelta(days=7, minutes=1)):
        expired = fresh(client.application.test_client()).get(path)
    assert expired.status_code == 400
    assert "more than 7 days old" in expired.text or "mer än 7 dagar" in expired.text
    assert fresh(client.application.test_client()).get("/invite/not-a-token").status_code == 400


def test_a_door_helper_can_be_invited_and_sees_only_check_in(app, client, organizer_factory):
    admin = organizer_factory(is_admin=True)
    log_in(client, admin)
    invite(client, admin.organizations[0], email="dorr@example.org", role="door_helper")
    invitee = fresh(client.application.test_client())
    path = invitation_path("dorr@example.org")
    done = invitee.post(path, data={"password": "door helper pw", "confirm": "door helper pw"})
    assert done.headers["Location"] == "/organizer/checkin/"
    helper = db.session.scalars(
        select(Organizer).where(Organizer.email == "dorr@example.org")
    ).one()
    assert access.roles(helper) == {admin.organizations[0].id: Role.DOOR_HELPER}
    assert fresh(invitee).get("/organizer/").status_code == 403


def test_an_address_with_an_account_is_not_invited(app, client, organizer_factory):
    admin = organizer_factory(is_admin=True)
    organizer_factory(email="taken@example.org")
    log_in(client, admin)
    refused = invite(client, admin.organizations[0], email="TAKEN@example.org")
    assert refused.status_code == 422
    assert db.session.scalars(select(Invite)).all() == []


def test_a_temporary_password_must_be_changed_at_the_first_login(app, client, organizer_factory):
    admin = organizer_factory(is_admin=True)
    ofr = admin.organizations[0]
    log_in(client, admin)
    created = client.post(
        "/organizer/admin/organizers/new",
        data={
            "name": "Lars",
            "email": "lars@example.org",
            f"role_{ofr.id}": "organiser",
            "password": "temporary password 1",
        },
    )
    assert created.status_code == 303
    lars = fresh(client.application.test_client())
    lars.post("/login", data={"email": "lars@example.org", "password": "temporary password 1"})
    for page in ("/organizer/", "/organizer/seminars/new", "/organizer/account/"):
        held = fresh(lars).get(page)
        assert held.status_code == 302 and held.headers["Location"] == "/organizer/account/password"
    form = fresh(lars).get("/organizer/account/password").text
    assert 'name="current"' not in form  # they just typed it
    done = fresh(lars).post(
        "/organizer/account/password",
        data={"password": "lars own password", "confirm": "lars own password"},
    )
    assert done.status_code == 303
    assert fresh(lars).get("/organizer/").status_code == 200
    assert organizers.authenticate("lars@example.org", "temporary password 1") is None


def test_the_organisation_last_worked_for_is_preselected(
    app, client, organizer_factory, organization_factory, seminar_factory
):
    from seminars.organising import audit

    aaa, zzz = organization_factory("AAA förbundet"), organization_factory("Ö-förbundet")
    organizer = organizer_factory(aaa, zzz)
    log_in(client, organizer)
    selected = '<option selected value="{}">'
    page = client.get("/organizer/seminars/new").text
    assert selected.format(aaa.id) in page  # nothing done yet: the first
    seminar = seminar_factory(organization=zzz)
    audit.record(organizer, "edited", seminar=seminar)
    db.session.commit()
    page = fresh(client).get("/organizer/seminars/new").text
    assert selected.format(zzz.id) in page
    assert selected.format(aaa.id) not in page
