"""API signups racing form signups, in separate OS processes on one PostgreSQL database:
no overbooking (DESIGN guarantee 1), one registration per address whichever way it came
in (guarantee 5, with answers that do not tell who was registered), and a waiting list
that moves by itself when API cancellations race new signups (guarantee 4)."""

from __future__ import annotations

import hashlib
import multiprocessing
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from seminars.extensions import db
from seminars.models import (
    Organization,
    Organizer,
    OutboxMessage,
    Registration,
    Seminar,
    SeminarStatus,
    Status,
)
from tests.api_helpers import bearer, make_token
from tests.conftest import make_app

pytestmark = pytest.mark.postgres
CONTEXT = multiprocessing.get_context("fork")
CAPACITY = 8
PEOPLE = 30  # each signed up twice: once through the API, once through the form


def _client_run(database_url, channel, seminar, token, emails, barrier, results) -> None:
    app = make_app(database_url)
    answers = []
    try:
        with app.app_context():
            client = app.test_client()
            barrier.wait(timeout=60)
            for email in emails:
                if channel == "api":
                    response = client.post(
                        f"/api/v1/seminars/{seminar['id']}/registrations",
                        json={"name": "Anna", "email": email},
                        headers=bearer(token),
                    )
                    body = response.get_data()
                elif channel == "form":
                    response = client.post(
                        f"/seminars/{seminar['slug']}/register",
                        data={"name": "Anna", "email": email, "organization": ""},
                    )
                    # The page names the address (its domain in lower case): nothing else.
                    address = re.compile(re.escape(email.encode()), re.IGNORECASE)
                    body = address.sub(b"ADDRESS", response.get_data())
                else:  # cancel
                    response = client.post(
                        f"/api/v1/seminars/{seminar['id']}/registrations/{email}/cancel",
                        headers=bearer(token),
                    )
                    body = response.get_data()
                answers.append(
                    (channel, email, response.status_code, hashlib.sha256(body).hexdigest())
                )
        results.put(("ok", answers))
    except Exception as error:  # reported to the parent, which fails the test
        results.put(("error", repr(error)))


def run_at_once(jobs, database_url) -> list:
    barrier = CONTEXT.Barrier(len(jobs))
    results = CONTEXT.Queue()
    processes = [
        CONTEXT.Process(target=_client_run, args=(database_url, *job, barrier, results))
        for job in jobs
    ]
    for process in processes:
        process.start()
    collected = [results.get(timeout=180) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert [detail for kind, detail in collected if kind == "error"] == []
    return [row for _kind, rows in collected for row in rows]


def test_api_and_form_signups_racing_keep_the_guarantees(postgres_url):
    app = make_app(postgres_url)
    with app.app_context():
        db.create_all()
        starts_at = datetime.now(UTC) + timedelta(days=7)
        organization = Organization(slug="ofr", name="OFR")
        organizer = Organizer(email="o@example.org", name="O", password_hash="x")
        seminar = Seminar(
            slug="rusning",
            title="Rusning",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            capacity=CAPACITY,
            status=SeminarStatus.PUBLISHED,
            organization=organization,
        )
        db.session.add_all([seminar, organizer])
        db.session.commit()
        # Write only: the API may not tell who was registered either.
        token = make_token(organization, organizer, ["registrations:write"])
        full_token = make_token(organization, organizer)
        target = {"id": seminar.id, "slug": seminar.slug}
        db.session.remove()
        db.engine.dispose()  # no pooled connection may cross the fork

        people = [f"person{n}@example.org" for n in range(PEOPLE)]
        jobs = []
        for part in range(3):
            mine = people[part::3]
            jobs.append(("api", target, token, mine))
            # The same people through the form, in another order and case.
            jobs.append(("form", target, token, [e.upper() for e in reversed(mine)]))
        answers = run_at_once(jobs, postgres_url)

        rows = db.session.execute(
            select(Registration.id, Registration.status, Registration.email_key)
            .where(Registration.seminar_id == target["id"])
            .order_by(Registration.id)
        ).all()
        confirmed = [r.id for r in rows if r.status == Status.CONFIRMED]
        waiting = [r.id for r in rows if r.status == Status.WAITING]
        assert len(rows) == PEOPLE  # one per person, whichever way they came first
        assert len({r.email_key for r in rows}) == PEOPLE
        assert len(confirmed) == CAPACITY == db.session.get(Seminar, target["id"]).seats_taken
        assert max(confirmed) < min(waiting)  # seats first, then the line in arrival order
        # Guarantee 5: each channel answered every accepted signup alike.
        api = {(code, digest) for channel, _e, code, digest in answers if channel == "api"}
        form = {(code, digest) for channel, _e, code, digest in answers if channel == "form"}
        assert len(api) == 1 and next(iter(api))[0] == 202
        assert len(form) == 1 and next(iter(form))[0] == 200

        # API cancellations of seated people racing new form signups: the line moves.
        cancelling = [str(i) for i in confirmed[:4]]
        newcomers = [f"late{n}@example.org" for n in range(6)]
        db.session.remove()
        db.engine.dispose()
        answers = run_at_once(
            [
                ("cancel", target, full_token, cancelling[:2]),
                ("cancel", target, full_token, cancelling[2:]),
                ("form", target, token, newcomers[:3]),
                ("form", target, token, newcomers[3:]),
            ],
            postgres_url,
        )
        assert {code for channel, _e, code, _d in answers if channel == "cancel"} == {200}
        after = db.session.execute(
            select(Registration.id, Registration.status)
            .where(Registration.seminar_id == target["id"])
            .order_by(Registration.id)
        ).all()
        now_confirmed = [r.id for r in after if r.status == Status.CONFIRMED]
        still_waiting = [r.id for r in after if r.status == Status.WAITING]
        promoted = sorted(set(now_confirmed) - set(confirmed))
        assert len(now_confirmed) == CAPACITY == db.session.get(Seminar, target["id"]).seats_taken
        assert promoted == waiting[:4]  # the first four in line, nobody jumped it
        assert max(promoted) < min(still_waiting)
        mails = db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "promoted")
        )
        assert mails == 4
        print(
            f"\n[postgresql] {2 * PEOPLE} racing signups (API and form) for {PEOPLE} people: "
            f"{len(rows)} registrations, {CAPACITY} seated; 4 API cancels racing 6 form "
            f"signups: promoted {promoted}"
        )
        db.session.remove()
        db.engine.dispose()
