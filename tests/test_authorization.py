"""Every organiser URL, collected from the app's URL map so a new route cannot be left out,
is refused to anonymous visitors (→ login), to organisers of another organisation
(→ 403/404, GET and POST) and, under /organizer/admin, to everyone but site admins.
Every POST anywhere needs a CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from seminars import signup
from seminars.extensions import db
from seminars.models import (
    AuditEvent,
    Organization,
    Organizer,
    OutboxMessage,
    Registration,
    Seminar,
    SeminarStatus,
)
from tests.conftest import attendee, log_in, make_app, register

ADMIN_PREFIX = "/organizer/admin"
# Names of URL parameters that point at a resource, and which resource fills them.
RESOURCE_PARAMS = {"seminar_id", "registration_id", "message_id", "organization_id", "organizer_id"}


@dataclass
class World:
    victim_organization: Organization
    victim_organizer: Organizer
    victim_seminar: Seminar
    victim_registration: Registration
    victim_message: OutboxMessage
    intruder: Organizer
    intruder_seminar: Seminar
    admin: Organizer

    def ids(self, *, own_seminar: bool = False) -> dict[str, int | str]:
        return {
            "seminar_id": (self.intruder_seminar if own_seminar else self.victim_seminar).id,
            "registration_id": self.victim_registration.id,
            "message_id": self.victim_message.id,
            "organization_id": self.victim_organization.id,
            "organizer_id": self.victim_organizer.id,
        }


@pytest.fixture
def world(app, organization_factory, organizer_factory, seminar_factory) -> World:
    victim_organization = organization_factory("Tillitsdelegationen")
    victim_seminar = seminar_factory(organization=victim_organization, title="Hemligt seminarium")
    victim_registration = register(victim_seminar, attendee("hemlig@example.org"))
    intruder_organization = organization_factory("Någon annan")
    intruder_seminar = seminar_factory(organization=intruder_organization)
    register(intruder_seminar, attendee("egen@example.org"))
    db.session.commit()
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.registration_id == victim_registration.id)
    ).first()
    return World(
        victim_organization=victim_organization,
        victim_organizer=organizer_factory(victim_organization),
        victim_seminar=victim_seminar,
        victim_registration=victim_registration,
        victim_message=message,
        intruder=organizer_factory(intruder_organization),
        intruder_seminar=intruder_seminar,
        admin=organizer_factory(is_admin=True),
    )


def organizer_rules(app):
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/organizer")]
    assert len(rules) > 10, "the organiser blueprints are not registered"
    return sorted(rules, key=lambda r: (r.rule, r.endpoint))


def url_for_rule(rule, ids: dict[str, int | str]) -> str:
    values = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        if converter == "IntegerConverter":
            assert name in ids, f"{rule.rule}: say in this test which record fills <{name}>"
            values[name] = ids[name]
        else:
            values[name] = ids.get(name, "test")
    return rule.build(values, append_unknown=False)[1]


def methods(rule) -> list[str]:
    return sorted(rule.methods & {"GET", "POST"})


def victim_state(world: World) -> tuple:
    """What an intruder's POSTs must not have changed."""
    db.session.expire_all()
    seminar = db.session.get(Seminar, world.victim_seminar.id)
    registration = db.session.get(Registration, world.victim_registration.id)
    organizer = db.session.get(Organizer, world.victim_organizer.id)
    organization = db.session.get(Organization, world.victim_organization.id)
    state = (
        seminar.status,
        seminar.title,
        seminar.capacity,
        seminar.sequence,
        registration.status,
        registration.name,
        registration.checked_in_at,
        organizer.email,
        organizer.active,
        organization.name,
        db.session.scalar(select(func.count(OutboxMessage.id))),
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.organization_id == world.victim_organization.id
            )
        ),
    )
    # On SQLite every transaction holds the write lock: end the test's own before requests.
    db.session.rollback()
    return state


def test_anonymous_visitors_are_sent_to_login(app, client, world):
    checked = 0
    for rule in organizer_rules(app):
        url = url_for_rule(rule, world.ids())
        for method in methods(rule):
            response = client.open(url, method=method)
            assert response.status_code == 302, f"{method} {url}"
            assert response.headers["Location"].startswith("/login?next="), f"{method} {url}"
            checked += 1
    assert checked > 20


def test_organisers_of_another_organisation_get_403_or_404(app, client, world):
    log_in(client, world.intruder)
    before = victim_state(world)
    for rule in organizer_rules(app):
        for ids in (world.ids(), world.ids(own_seminar=True)):
            refers_to_victim = set(rule.arguments) & RESOURCE_PARAMS
            if "seminar_id" in rule.arguments and ids["seminar_id"] != world.victim_seminar.id:
                # Their own seminar with someone else's registration or email in the URL.
                refers_to_victim = set(rule.arguments) - {"seminar_id"}
            url = url_for_rule(rule, ids)
            for method in methods(rule):
                response = client.open(url, method=method, data={})
                label = f"{method} {url} ({rule.endpoint})"
                if rule.rule.startswith(ADMIN_PREFIX):
                    assert response.status_code == 403, label
                elif refers_to_victim:
                    assert response.status_code in (403, 404), label
                else:
                    assert response.status_code < 500, label
                    body = response.get_data()
                    assert b"Hemligt seminarium" not in body, label
                    assert b"hemlig@example.org" not in body, label
    assert victim_state(world) == before


def switch_user(client, organizer) -> None:
    """Log another organiser in. The test's app context outlives each request, so
    Flask-Login's per-context cache of the user must go too."""
    from flask import g

    g.pop("_login_user", None)
    log_in(client, organizer)


def test_admin_pages_are_for_site_admins_only(app, client, world):
    admin_rules = [r for r in organizer_rules(app) if r.rule.startswith(ADMIN_PREFIX)]
    assert admin_rules
    log_in(client, world.victim_organizer)
    for rule in admin_rules:
        for method in methods(rule):
            url = url_for_rule(rule, world.ids())
            assert client.open(url, method=method).status_code == 403, f"{method} {url}"
    switch_user(client, world.admin)
    for rule in admin_rules:
        if "GET" in rule.methods:
            url = url_for_rule(rule, world.ids())
            assert client.get(url).status_code == 200, url


def test_site_admin_can_open_every_organiser_page(app, client, world):
    log_in(client, world.admin)
    for rule in organizer_rules(app):
        if "GET" in rule.methods:
            url = url_for_rule(rule, world.ids())
            assert client.get(url).status_code == 200, f"GET {url} ({rule.endpoint})"


def test_deactivated_organiser_is_logged_out(app, client, world):
    from flask import g

    log_in(client, world.victim_organizer)
    assert client.get(f"/organizer/seminars/{world.victim_seminar.id}/edit").status_code == 200
    world.victim_organizer.active = False
    db.session.commit()
    g.pop("_login_user", None)  # a new request context in real life
    response = client.get(f"/organizer/seminars/{world.victim_seminar.id}/edit")
    assert response.status_code == 302


@pytest.fixture
def csrf_app(database_url):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def test_every_post_needs_a_csrf_token(csrf_app):
    organization = Organization(slug="ofr", name="OFR")
    owner = Organizer(
        email="owner@example.org",
        name="Owner",
        password_hash="-",
        is_admin=True,
        organizations=[organization],
    )
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=14)
    seminar = Seminar(
        slug="csrf-seminar",
        title="CSRF",
        organization=organization,
        capacity=5,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        status=SeminarStatus.PUBLISHED,
    )
    db.session.add_all([owner, seminar])
    db.session.commit()
    registration = register(seminar, attendee())
    db.session.commit()
    ids = {
        "seminar_id": seminar.id,
        "registration_id": registration.id,
        "message_id": db.session.scalars(select(OutboxMessage.id)).first(),
        "organization_id": organization.id,
        "organizer_id": owner.id,
        "slug": seminar.slug,
        "token": signup.manage_token(registration),
    }
    db.session.rollback()
    client = csrf_app.test_client()
    log_in(client, owner)
    post_rules = [r for r in csrf_app.url_map.iter_rules() if "POST" in r.methods]
    assert len(post_rules) > 15
    for rule in post_rules:
        url = url_for_rule(rule, ids)
        response = client.post(url, data={"name": "x", "email": "x@example.org"})
        assert response.status_code == 400, f"POST {url} ({rule.endpoint}) without a CSRF token"

    # With a token the same request goes through.
    page = client.get(f"/organizer/seminars/{seminar.id}/edit").text
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)[1]
    response = client.post(
        f"/organizer/seminars/{ids['seminar_id']}/unpublish", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert db.session.get(Seminar, ids["seminar_id"]).status == SeminarStatus.DRAFT
