"""Every organiser URL, collected from the app's URL map so a new route cannot be left out,
checked for every role (and kept out of caches and search engines): anonymous visitors are
sent to login; organisers of another organisation get 403/404 (GET and POST) for anything
of the victim's; a door helper gets 403/404 everywhere but the check-in of the seminars
given them and their own account;
/organizer/admin is for site admins and, for their own organisation only, its admins.
Every POST anywhere needs a CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from seminars import signup
from seminars.accounts import organizers, sessions, sso
from seminars.api import tokens as api_tokens
from seminars.api import webhooks
from seminars.extensions import db
from seminars.models import (
    ApiToken,
    AuditEvent,
    LoginSession,
    Organization,
    Organizer,
    OutboxMessage,
    Passkey,
    Registration,
    Role,
    Seminar,
    SeminarSession,
    SeminarStatus,
    SessionGroup,
    SsoIdentity,
    SsoProvider,
    WebhookEndpoint,
)
from tests.conftest import DIET_QUESTION, attendee, log_in, make_app, register

ADMIN_PREFIX = "/organizer/admin"
SITE_ADMIN_ONLY = ("/organizer/admin/sso", "/organizer/admin/organizations/new")
# Names of URL parameters that point at a resource, and which resource fills them.
RESOURCE_PARAMS = {
    "seminar_id",
    "registration_id",
    "message_id",
    "organization_id",
    "organizer_id",
    "passkey_id",
    "session_id",
    "identity_id",
    "provider_id",
    "domain_id",
    "group_id",
    "token_id",
    "endpoint_id",
}
# What a door helper may open besides their own account (/organizer/account/…).
DOOR_HELPER_ENDPOINTS = {
    "attendees.my_check_ins",
    "attendees.check_in",
    "attendees.check_in_person",
    "attendees.toggle_check_in",
}


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
    door_helper: Organizer
    organization_admin: Organizer
    intruder_admin: Organizer
    victim_passkey: Passkey
    victim_session: LoginSession
    victim_identity: SsoIdentity
    provider: SsoProvider
    victim_group: SessionGroup
    victim_token: ApiToken | None = None
    victim_endpoint: WebhookEndpoint | None = None

    def ids(self, *, own_seminar: bool = False) -> dict[str, int | str]:
        return {
            "seminar_id": (self.intruder_seminar if own_seminar else self.victim_seminar).id,
            "registration_id": self.victim_registration.id,
            "message_id": self.victim_message.id,
            "organization_id": self.victim_organization.id,
            "organizer_id": self.victim_organizer.id,
            "passkey_id": self.victim_passkey.id,
            "session_id": self.victim_session.id,
            "identity_id": self.victim_identity.id,
            "provider_id": self.provider.id,
            "domain_id": self.provider.domains[0].id,
            "group_id": self.victim_group.id,
            "token_id": self.victim_token.id,
            "endpoint_id": self.victim_endpoint.id,
        }


@pytest.fixture
def world(app, organization_factory, organizer_factory, seminar_factory) -> World:
    victim_organization = organization_factory("Tillitsdelegationen")
    victim_seminar = seminar_factory(
        organization=victim_organization, title="Hemligt seminarium", questions=[DIET_QUESTION]
    )
    diet = victim_seminar.questions[0]
    victim_registration = register(
        victim_seminar,
        attendee("hemlig@example.org", answers={str(diet.id): "Glutenfri"}),
    )
    intruder_organization = organization_factory("Någon annan")
    intruder_seminar = seminar_factory(organization=intruder_organization)
    register(intruder_seminar, attendee("egen@example.org"))
    db.session.commit()
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.registration_id == victim_registration.id)
    ).first()
    victim_organizer = organizer_factory(victim_organization)
    door_helper = organizer_factory(intruder_organization)
    organizers.set_memberships(door_helper, {victim_organization.id: Role.DOOR_HELPER}, within=None)
    organizers.set_door_seminars(door_helper, {victim_seminar.id}, choosable={victim_seminar.id})
    organization_admin = organizer_factory(victim_organization)
    organizers.set_memberships(organization_admin, {victim_organization.id: Role.ADMIN})
    intruder_admin = organizer_factory(intruder_organization)
    organizers.set_memberships(intruder_admin, {intruder_organization.id: Role.ADMIN})
    passkey = Passkey(
        organizer_id=victim_organizer.id, credential_id="AAAA", public_key=b"-", name="Nyckel"
    )
    db.session.add(passkey)
    # Not enabled: nothing here may try to reach it (nothing listens on port 1 either).
    provider = sso.save_provider(
        sso.ProviderDetails("Lärosätet", "http://127.0.0.1:1", "seminars", "hemlis", enabled=False)
    )
    sso.add_domain(provider, "tillit.example.org", victim_organization, approval_required=False)
    identity = SsoIdentity(
        provider_id=provider.id, subject="victim", organizer_id=victim_organizer.id
    )
    db.session.add(identity)
    victim_group = SessionGroup(
        seminar_id=victim_seminar.id,
        title="Workshop",
        sessions=[SeminarSession(title="Hemlig workshop", capacity=5)],
    )
    db.session.add(victim_group)
    victim_session = sessions.start(
        victim_organizer, device_token="victim", user_agent="", method="password"
    ).login_session
    victim_token = api_tokens.create(
        victim_organization, "CRM", ["seminars:read"], victim_organizer
    ).row
    victim_endpoint = webhooks.add_endpoint(
        victim_organization,
        "https://crm.example.org/hook",
        ["seminar.changed"],
        "",
        victim_organizer,
    )
    db.session.commit()
    return World(
        victim_token=victim_token,
        victim_endpoint=victim_endpoint,
        victim_organization=victim_organization,
        victim_organizer=victim_organizer,
        victim_seminar=victim_seminar,
        victim_registration=victim_registration,
        victim_message=message,
        intruder=organizer_factory(intruder_organization),
        intruder_seminar=intruder_seminar,
        admin=organizer_factory(is_admin=True),
        door_helper=door_helper,
        organization_admin=organization_admin,
        intruder_admin=intruder_admin,
        victim_passkey=passkey,
        victim_session=victim_session,
        victim_identity=identity,
        provider=provider,
        victim_group=victim_group,
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
        organization.require_second_factor,
        db.session.get(LoginSession, world.victim_session.id).ended_at,
        db.session.scalar(select(func.count(Passkey.id))),
        db.session.scalar(select(func.count(SsoIdentity.id))),
        db.session.get(SsoProvider, world.provider.id).name,
        db.session.get(ApiToken, world.victim_token.id).revoked_at,
        db.session.get(WebhookEndpoint, world.victim_endpoint.id).enabled,
        db.session.get(WebhookEndpoint, world.victim_endpoint.id).url,
        db.session.get(Organization, world.victim_organization.id).share_health_answers,
        len(db.session.get(SsoProvider, world.provider.id).domains),
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


def test_admin_pages_are_for_administrators_only(app, client, world):
    admin_rules = [r for r in organizer_rules(app) if r.rule.startswith(ADMIN_PREFIX)]
    assert admin_rules
    log_in(client, world.victim_organizer)
    before = victim_state(world)
    for rule in admin_rules:
        for method in methods(rule):
            url = url_for_rule(rule, world.ids())
            assert client.open(url, method=method).status_code == 403, f"{method} {url}"
    # An admin of another organisation: nothing of the victim's organisation.
    switch_user(client, world.intruder_admin)
    for rule in admin_rules:
        refers_to_victim = set(rule.arguments) & RESOURCE_PARAMS
        for method in methods(rule):
            url = url_for_rule(rule, world.ids())
            status = client.open(url, method=method, data={}).status_code
            label = f"{method} {url} ({rule.endpoint})"
            if refers_to_victim or rule.rule.startswith(SITE_ADMIN_ONLY):
                assert status in (403, 404), label
            else:
                assert status < 500, label
    assert victim_state(world) == before
    switch_user(client, world.admin)
    for rule in admin_rules:
        if "GET" in rule.methods:
            url = url_for_rule(rule, world.ids())
            assert client.get(url).status_code == 200, url


def test_an_organisations_admin_manages_its_accounts_but_not_the_site(app, client, world):
    log_in(client, world.organization_admin)
    ids = world.ids()
    for rule in organizer_rules(app):
        if not rule.rule.startswith(ADMIN_PREFIX) or "GET" not in rule.methods:
            continue
        url = url_for_rule(rule, ids)
        status = client.get(url).status_code
        if rule.rule.startswith(SITE_ADMIN_ONLY):
            assert status == 403, url
        else:
            assert status == 200, url
    page = client.get("/organizer/admin/").text
    assert world.victim_organizer.email in page
    assert world.intruder.email not in page
    intruder_page = client.get(f"/organizer/admin/organizers/{world.intruder.id}")
    assert intruder_page.status_code == 403
    admin_page = client.get(f"/organizer/admin/organizers/{world.admin.id}")
    assert admin_page.status_code == 403


def test_door_helper_reaches_only_the_check_in_of_their_seminars(app, client, world):
    log_in(client, world.door_helper)
    before = victim_state(world)
    allowed_seen = set()
    for rule in organizer_rules(app):
        for ids in (world.ids(), world.ids(own_seminar=True)):
            url = url_for_rule(rule, ids)
            own_account = rule.rule.startswith("/organizer/account")
            given = ids["seminar_id"] == world.victim_seminar.id
            for method in methods(rule):
                response = client.open(url, method=method, data={})
                label = f"{method} {url} ({rule.endpoint})"
                status = response.status_code
                if rule.endpoint in DOOR_HELPER_ENDPOINTS and (
                    given or "seminar_id" not in rule.arguments
                ):
                    assert status < 500, label
                    allowed_seen.add(rule.endpoint)
                elif own_account:
                    # Their own account; someone else's passkey or session is not found.
                    refers = set(rule.arguments) & RESOURCE_PARAMS
                    assert status in (403, 404) if refers else status < 500, label
                else:
                    assert status in (403, 404), label
    assert allowed_seen >= {"attendees.check_in", "attendees.check_in_person"}
    db.session.expire_all()
    # Their presses of "check in" are the only change they could make.
    registration = db.session.get(Registration, world.victim_registration.id)
    registration.checked_in_at = None
    db.session.commit()
    assert victim_state(world)[:-1] == before[:-1]
    actions = set(db.session.scalars(select(AuditEvent.action)))
    db.session.rollback()
    made_by_the_fixture = {"api_token_created", "webhook_added"}
    assert actions - made_by_the_fixture <= {"checked_in", "check_in_undone"}, actions


def test_door_helpers_list_shows_names_and_organisations_only(app, client, world):
    log_in(client, world.door_helper)
    page = client.get(f"/organizer/seminars/{world.victim_seminar.id}/checkin")
    assert page.status_code == 200
    assert "Anna Andersson" in page.text and "Vision" in page.text
    assert "hemlig@example.org" not in page.text  # no addresses
    assert "Glutenfri" not in page.text  # no answers
    assert f"/organizer/seminars/{world.victim_seminar.id}/attendees" not in page.text
    assert 'aria-label="Den här seminariet"' not in page.text and "/edit" not in page.text
    by_email = client.get(f"/organizer/seminars/{world.victim_seminar.id}/checkin?q=hemlig")
    assert "Anna Andersson" not in by_email.text  # the search does not look at addresses
    start = client.get("/organizer/checkin/")
    assert "Hemligt seminarium" in start.text
    # The organiser of the seminar sees the addresses on the same page.
    switch_user(client, world.victim_organizer)
    full = client.get(f"/organizer/seminars/{world.victim_seminar.id}/checkin")
    assert "hemlig@example.org" in full.text


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
        # CSRF is checked before any of these is looked up.
        **dict.fromkeys(
            (
                "passkey_id",
                "session_id",
                "identity_id",
                "provider_id",
                "domain_id",
                "group_id",
                "token_id",
                "endpoint_id",
            ),
            1,
        ),
    }
    db.session.rollback()
    client = csrf_app.test_client()
    log_in(client, owner)
    # The JSON API takes no cookie, only a bearer token: no CSRF to check (tests/test_api.py).
    post_rules = [
        r
        for r in csrf_app.url_map.iter_rules()
        if "POST" in r.methods and not r.rule.startswith("/api/")
    ]
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


def test_every_organiser_page_is_no_store_and_noindex(app, client, world):
    """Seen by a site admin, who reaches every page; the ids are the authorization test's."""
    log_in(client, world.admin)
    checked = 0
    for rule in organizer_rules(app):
        if "GET" not in rule.methods:
            continue
        url = url_for_rule(rule, world.ids())
        response = client.get(url)
        assert response.status_code < 500, url
        assert response.headers.get("Cache-Control") == "no-store", url
        assert "noindex" in response.headers.get("X-Robots-Tag", ""), url
        checked += 1
    assert checked > 10
