"""The JSON API: tokens, scopes, organisations, signups through the one signup path,
cancelling with the waiting list moving, cursors, and the audit log."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from seminars.extensions import db
from seminars.models import AuditEvent, OutboxMessage, Registration, Status
from tests.api_helpers import bearer, make_token
from tests.conftest import DIET_QUESTION, attendee, register


def setup(seminar_factory, organizer_factory, scopes=None, **fields):
    seminar = seminar_factory(**fields)
    organizer = organizer_factory(seminar.organization)
    return seminar, make_token(seminar.organization, organizer, scopes)


def test_without_a_token_401_with_a_revoked_or_wrong_one_401(
    client, seminar_factory, organizer_factory
):
    seminar, token = setup(seminar_factory, organizer_factory)
    for headers in ({}, bearer("sem_nothing_here"), {"Authorization": token}):
        response = client.get(f"/api/v1/seminars/{seminar.id}", headers=headers)
        assert response.status_code == 401
        assert response.content_type == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(f"/api/v1/seminars/{seminar.id}", headers=bearer(token)).status_code == 200


def test_another_organisations_seminar_is_not_found(client, seminar_factory, organizer_factory):
    ours, token = setup(seminar_factory, organizer_factory)
    theirs = seminar_factory()
    register(theirs, attendee())
    db.session.commit()
    for path in ("", "/registrations", "/waiting-list", "/registrations/1"):
        response = client.get(f"/api/v1/seminars/{theirs.id}{path}", headers=bearer(token))
        assert response.status_code == 404, path
        assert response.get_json()["status"] == 404
    body = {"name": "Eva", "email": "eva@example.org"}
    response = client.post(
        f"/api/v1/seminars/{theirs.id}/registrations", json=body, headers=bearer(token)
    )
    assert response.status_code == 404
    listed = client.get("/api/v1/seminars", headers=bearer(token)).get_json()["items"]
    assert [s["id"] for s in listed] == [ours.id]


def test_a_token_without_the_scope_gets_403(client, seminar_factory, organizer_factory):
    seminar, token = setup(seminar_factory, organizer_factory, scopes=["seminars:read"])
    response = client.get(f"/api/v1/seminars/{seminar.id}/registrations", headers=bearer(token))
    assert response.status_code == 403
    assert "registrations:read" in response.get_json()["detail"]


def test_the_seminar_shows_seats_per_mode(client, seminar_factory, organizer_factory):
    seminar, token = setup(seminar_factory, organizer_factory, capacity=1)
    register(seminar, attendee("a@example.org"))
    register(seminar, attendee("b@example.org"))
    db.session.commit()
    body = client.get(f"/api/v1/seminars/{seminar.id}", headers=bearer(token)).get_json()
    assert body["modes"] == [
        {"mode": "onsite", "capacity": 1, "seated": 1, "waiting": 1, "seats_left": 0}
    ]
    assert body["sessions"] == []


def test_a_signup_without_read_scope_reveals_nothing(client, seminar_factory, organizer_factory):
    seminar, token = setup(seminar_factory, organizer_factory, scopes=["registrations:write"])
    url = f"/api/v1/seminars/{seminar.id}/registrations"
    first = client.post(
        url, json={"name": "Eva", "email": "eva@example.org"}, headers=bearer(token)
    )
    again = client.post(
        url, json={"name": "Eva", "email": "EVA@example.org"}, headers=bearer(token)
    )
    assert first.status_code == again.status_code == 202
    assert first.get_json() == again.get_json() == {"outcome": "accepted", "registration": None}
    assert db.session.scalar(select(Registration.id).where(Registration.seminar_id == seminar.id))
    assert len(db.session.scalars(select(Registration)).all()) == 1
    kinds = sorted(db.session.scalars(select(OutboxMessage.kind)))
    assert kinds == ["confirmed", "manage_link"]  # the second signup re-sent the link


def test_an_organisation_token_with_read_sees_the_outcome(
    client, seminar_factory, organizer_factory
):
    seminar, token = setup(seminar_factory, organizer_factory, capacity=1)
    url = f"/api/v1/seminars/{seminar.id}/registrations"
    seated = client.post(
        url, json={"name": "Eva", "email": "eva@example.org"}, headers=bearer(token)
    )
    waiting = client.post(
        url, json={"name": "Per", "email": "per@example.org"}, headers=bearer(token)
    )
    again = client.post(
        url, json={"name": "Eva", "email": "eva@example.org"}, headers=bearer(token)
    )
    assert (seated.status_code, seated.get_json()["outcome"]) == (201, "seated")
    assert (waiting.status_code, waiting.get_json()["outcome"]) == (201, "waiting")
    assert waiting.get_json()["registration"]["waiting_position"] == 1
    assert (again.status_code, again.get_json()["outcome"]) == (200, "already_registered")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_signup")).all()
    assert len(events) == 3 and all('"token": "CRM"' in e.detail for e in events)


def test_a_signup_is_checked_as_the_form_checks_it(client, seminar_factory, organizer_factory):
    seminar, token = setup(seminar_factory, organizer_factory, questions=[DIET_QUESTION])
    url = f"/api/v1/seminars/{seminar.id}/registrations"
    question = str(seminar.questions[0].id)
    cases = [
        ({"name": "Eva\nBcc: x@y", "email": "eva@example.org"}, "name"),
        ({"name": "Eva", "email": "not an address"}, "email"),
        ({"name": "Eva", "email": "eva@example.org", "answers": {"999": "x"}}, "answers.999"),
        (
            {"name": "Eva", "email": "eva@example.org", "answers": {question: "Vegetarisk"}},
            "health_consent",
        ),
        (
            {"name": "Eva", "email": "eva@example.org", "answers": {question: "Sten"}},
            f"answers.{question}",
        ),
    ]
    for body, field in cases:
        response = client.post(url, json=body, headers=bearer(token))
        assert response.status_code == 422, body
        assert field in [e["field"] for e in response.get_json()["errors"]], response.get_json()
    assert db.session.scalars(select(Registration)).all() == []
    ok = {
        "name": "Eva",
        "email": "eva@example.org",
        "answers": {question: "Vegetarisk"},
        "health_consent": True,
    }
    assert client.post(url, json=ok, headers=bearer(token)).status_code == 201


def test_full_and_closed_are_409(client, seminar_factory, organizer_factory):
    seminar, token = setup(seminar_factory, organizer_factory, capacity=1, waitlist_enabled=False)
    url = f"/api/v1/seminars/{seminar.id}/registrations"
    client.post(url, json={"name": "Eva", "email": "eva@example.org"}, headers=bearer(token))
    full = client.post(url, json={"name": "Per", "email": "per@example.org"}, headers=bearer(token))
    assert full.status_code == 409
    assert full.get_json()["type"].endswith("seminar-full")


def test_cancelling_moves_the_waiting_list(client, seminar_factory, organizer_factory):
    seminar, token = setup(seminar_factory, organizer_factory, capacity=1)
    first = register(seminar, attendee("a@example.org"))
    second = register(seminar, attendee("b@example.org"))
    db.session.commit()
    waiting = client.get(f"/api/v1/seminars/{seminar.id}/waiting-list", headers=bearer(token))
    assert [r["id"] for r in waiting.get_json()["items"]] == [second.id]
    response = client.post(
        f"/api/v1/seminars/{seminar.id}/registrations/{first.id}/cancel", headers=bearer(token)
    )
    assert response.status_code == 200
    assert response.get_json()["promoted"] == [second.id]
    db.session.expire_all()
    assert db.session.get(Registration, second.id).status == Status.CONFIRMED
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "api_cancelled"))


def test_pages_follow_the_cursor_and_updated_since(client, seminar_factory, organizer_factory):
    seminar, token = setup(seminar_factory, organizer_factory, capacity=50)
    people = [register(seminar, attendee(f"p{n}@example.org")) for n in range(7)]
    db.session.commit()
    url = f"/api/v1/seminars/{seminar.id}/registrations"
    seen, cursor = [], None
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get(url, query_string=query, headers=bearer(token)).get_json()
        seen += [r["id"] for r in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [p.id for p in people]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    body = client.get(url, query_string={"updated_since": later}, headers=bearer(token))
    assert body.get_json()["items"] == []
    forged = [
        "nonsense",
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", 1]').decode(),  # no offset
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00", 99999999999999999999]').decode(),
    ]
    for cursor in forged:
        bad = client.get(url, query_string={"cursor": cursor}, headers=bearer(token))
        assert bad.status_code == 422, cursor


def test_health_answers_only_when_the_organisation_shares_them(
    client, seminar_factory, organizer_factory
):
    seminar, token = setup(seminar_factory, organizer_factory, questions=[DIET_QUESTION])
    question = str(seminar.questions[0].id)
    registration = register(seminar, attendee(answers={question: "Vegetarisk"}))
    db.session.commit()
    url = f"/api/v1/seminars/{seminar.id}/registrations/{registration.id}"
    assert client.get(url, headers=bearer(token)).get_json()["answers"] == {}
    seminar.organization.share_health_answers = True
    db.session.commit()
    assert client.get(url, headers=bearer(token)).get_json()["answers"] == {question: "Vegetarisk"}


def test_the_api_needs_no_csrf_and_sets_no_cookie(app, seminar_factory, organizer_factory):
    app.config["WTF_CSRF_ENABLED"] = True
    seminar, token = setup(seminar_factory, organizer_factory)
    client = app.test_client()
    response = client.post(
        f"/api/v1/seminars/{seminar.id}/registrations",
        json={"name": "Eva", "email": "eva@example.org"},
        headers=bearer(token),
    )
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_the_rate_limit_answers_429_as_a_problem(database_url):
    from seminars.extensions import limiter
    from seminars.models import Organization, Organizer
    from tests.conftest import clear_database, make_app

    app = make_app(database_url, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3/minute")
    with app.app_context():
        db.create_all()
        limiter.reset()
        try:
            organization = Organization(slug="ofr", name="OFR")
            db.session.add(organization)
            organizer = Organizer(email="o@example.org", name="O", password_hash="x")
            db.session.add(organizer)
            db.session.commit()
            token = make_token(organization, organizer)
            client = app.test_client()
            statuses = [
                client.get("/api/v1/seminars", headers=bearer(token)).status_code for _ in range(4)
            ]
            assert statuses == [200, 200, 200, 429]
            response = client.get("/api/v1/seminars", headers=bearer(token))
            assert response.content_type == "application/problem+json"
            assert response.get_json()["status"] == 429
        finally:
            clear_database()


def test_a_hybrid_seminar_with_sessions_shows_the_seats_of_each_and_takes_signups_to_them(
    client, seminar_factory, organizer_factory
):
    """Seats per mode and per session (issue 15), and a signup for an online seat in a
    chosen session through the one signup path."""
    from seminars.models import SeminarSession, SessionGroup

    seminar, token = setup(
        seminar_factory,
        organizer_factory,
        capacity=1,
        mode="hybrid",
        online_capacity=None,
        online_waitlist_enabled=True,
    )
    group = SessionGroup(seminar=seminar, title="Workshop 14.00", position=0)
    workshop = SeminarSession(group=group, title="Workshop A", room="Sal 204", capacity=2)
    db.session.add_all([group, workshop])
    register(seminar, attendee("a@example.org"))
    register(seminar, attendee("b@example.org"))
    db.session.commit()
    body = client.get(f"/api/v1/seminars/{seminar.id}", headers=bearer(token)).get_json()
    assert body["modes"] == [
        {"mode": "onsite", "capacity": 1, "seated": 1, "waiting": 1, "seats_left": 0},
        {"mode": "online", "capacity": None, "seated": 0, "waiting": 0, "seats_left": None},
    ]
    [session] = body["sessions"]
    assert session["title"] == "Workshop A" and session["group_id"] == group.id
    assert (session["capacity"], session["seated"], session["seats_left"]) == (2, 0, 2)

    chosen = {"name": "Cia", "email": "cia@example.org", "mode": "online"}
    chosen["sessions"] = {str(group.id): workshop.id}
    response = client.post(
        f"/api/v1/seminars/{seminar.id}/registrations", json=chosen, headers=bearer(token)
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["outcome"] == "seated"
    cia = db.session.scalars(select(Registration).where(Registration.email == "cia@example.org"))
    assert cia.one().mode == "online"
    body = client.get(f"/api/v1/seminars/{seminar.id}", headers=bearer(token)).get_json()
    assert body["modes"][1]["seated"] == 1 and body["sessions"][0]["seated"] == 1
