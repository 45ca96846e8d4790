"""The organiser's attendee list, one person's page, adding and importing people, the audit
log, and that nobody sees another organisation's attendees."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, insert, select

from seminars import signup
from seminars.extensions import db
from seminars.models import AuditEvent, OutboxMessage, Registration, Status
from tests.conftest import DIET_QUESTION, attendee, log_in
from tests.conftest import register as add


@pytest.fixture
def organizer(organizer_factory, organization_factory):
    return organizer_factory(organization_factory("OFR"))


@pytest.fixture
def seminar(client, organizer, seminar_factory):
    seminar = seminar_factory(
        capacity=2,
        organization=organizer.organizations[0],
        questions=[{"text": "Mötesplats", "kind": "short_text"}, DIET_QUESTION],
    )
    log_in(client, organizer)
    return seminar


def register(seminar, email, **fields):
    registration = add(seminar, attendee(email, **fields))
    db.session.commit()
    return registration


def url(seminar, page=""):
    return f"/organizer/seminars/{seminar.id}/{page}"


def page_text(response) -> str:
    return response.get_data(as_text=True)


def audit_actions(seminar):
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.seminar_id == seminar.id)
            .order_by(AuditEvent.id)
        )
    )


# ---------------------------------------------------------------------------- the list


def test_list_shows_status_waiting_place_and_counts(client, seminar):
    register(seminar, "anna@example.org", name="Anna Andersson")
    register(seminar, "bo@example.org", name="Bo Berg")
    register(seminar, "cecilia@example.org", name="Cecilia Carlsson")
    cancelled = register(seminar, "dan@example.org", name="Dan Dahl")
    signup.cancel(cancelled)
    db.session.commit()

    response = client.get(url(seminar, "attendees"))
    text = page_text(response)
    assert response.status_code == 200
    assert "Anna Andersson" in text and "Dan Dahl" in text
    assert "Väntelista, plats 1" in text or "Waiting list, place 1" in text
    assert "<strong>2</strong>" in text  # two of two seats taken


def test_search_filter_and_sort(client, seminar):
    register(seminar, "zoe@example.org", name="Zoe Zetterlund", organization="Vision")
    register(seminar, "asa@example.org", name="Åsa Öberg", organization="Region Skåne")
    register(seminar, "anders@example.org", name="anders Ek", organization="Vision")

    def names(**params):
        text = page_text(client.get(url(seminar, "attendees"), query_string=params))
        found = [n for n in ("Zoe Zetterlund", "Åsa Öberg", "anders Ek") if n in text]
        return sorted(found, key=text.index)

    # Case-blind, also for å/Å; every word must match; organisation and email searched too.
    assert names(q="åsa") == ["Åsa Öberg"]
    assert names(q="ÖBERG skåne") == ["Åsa Öberg"]
    assert names(q="vision") == ["Zoe Zetterlund", "anders Ek"]
    assert names(q="zoe@") == ["Zoe Zetterlund"]
    # Swedish order: a < z < å; lower case sorts with upper case.
    assert names(sort="name") == ["anders Ek", "Zoe Zetterlund", "Åsa Öberg"]
    assert names(sort="name", order="desc") == ["Åsa Öberg", "Zoe Zetterlund", "anders Ek"]
    assert names(sort="registered") == ["Zoe Zetterlund", "Åsa Öberg", "anders Ek"]
    # Capacity 2: the third is waiting.
    assert names(status="waiting") == ["anders Ek"]
    assert names(status="confirmed", sort="name") == ["Zoe Zetterlund", "Åsa Öberg"]


def test_filter_stays_in_links_from_the_list(client, seminar):
    person = register(seminar, "anna@example.org")
    text = page_text(
        client.get(url(seminar, "attendees"), query_string={"q": "anna", "status": "confirmed"})
    )
    assert 'value="anna"' in text
    assert f"/attendees/{person.id}?back=status%3Dconfirmed%26q%3Danna" in text


def test_sensitive_answers_only_on_the_persons_page(client, seminar):
    meeting, diet = seminar.questions
    person = register(
        seminar,
        "anna@example.org",
        answers={str(meeting.id): "Entrén", str(diet.id): "Glutenfri"},
    )
    listing = page_text(client.get(url(seminar, "attendees")))
    assert "Entrén" in listing
    assert "Glutenfri" not in listing
    detail = page_text(client.get(url(seminar, f"attendees/{person.id}")))
    assert "Glutenfri" in detail and "Entrén" in detail


def _bulk_registrations(seminar, count):
    now = datetime.now(UTC)
    db.session.execute(
        insert(Registration),
        [
            {
                "seminar_id": seminar.id,
                "name": f"Deltagare {n}",
                "email": f"p{n}@example.org",
                "email_key": f"p{n}@example.org",
                "organization": "Kommun",
                "answers": {str(seminar.questions[0].id): "Entrén"},
                "status": Status.CONFIRMED if n < seminar.capacity else Status.WAITING,
                "token_salt": f"salt{n}",
                "token_hash": f"hash-{seminar.id}-{n}",
                "created_at": now + timedelta(seconds=n),
                "updated_at": now,
                "checked_in_at": now if n % 3 == 0 else None,
            }
            for n in range(count)
        ],
    )
    db.session.commit()


def _statements_for(app, client, path):
    """SQL statements one request runs, in an app context (session, `g`) of its own."""
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    db.session.rollback()  # the test's own transaction would hold SQLite's write lock
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with app.app_context():
            response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements)


def test_list_uses_the_same_number_of_queries_for_ten_or_a_thousand(
    app, client, organizer, seminar_factory
):
    organization = organizer.organizations[0]
    small = seminar_factory(capacity=5, organization=organization, questions=[{"text": "Plats"}])
    large = seminar_factory(capacity=500, organization=organization, questions=[{"text": "Plats"}])
    _bulk_registrations(small, 10)
    _bulk_registrations(large, 1000)
    log_in(client, organizer)
    small_url, large_url = url(small, ""), url(large, "")
    for page in ("attendees", "attendees?sort=name&q=deltagare", "checkin"):
        assert _statements_for(app, client, small_url + page) == _statements_for(
            app, client, large_url + page
        )
    assert "Deltagare 999" in page_text(client.get(large_url + "attendees"))


# -------------------------------------------------------------------------- one person


def test_edit_details_saves_and_audits(client, seminar):
    person = register(seminar, "anna@example.org", name="Anna")
    response = client.post(
        url(seminar, f"attendees/{person.id}"),
        data={"name": "Anna Andersson", "organization": "Nyköpings kommun"},
    )
    assert response.status_code == 303
    db.session.refresh(person)
    assert (person.name, person.organization) == ("Anna Andersson", "Nyköpings kommun")
    assert "edited_registration" in audit_actions(seminar)


def test_edit_with_bad_input_keeps_what_was_typed(client, seminar):
    person = register(seminar, "anna@example.org", name="Anna")
    response = client.post(
        url(seminar, f"attendees/{person.id}"), data={"name": "", "organization": "Vision X"}
    )
    assert response.status_code == 422
    assert 'value="Vision X"' in page_text(response)
    db.session.refresh(person)
    assert person.name == "Anna"


def test_cancel_with_or_without_telling_the_person(client, seminar):
    first = register(seminar, "a@example.org")
    second = register(seminar, "b@example.org")
    waiting = register(seminar, "c@example.org")
    client.post(url(seminar, f"attendees/{first.id}/cancel"), data={"notify": "y"})
    # A browser sends the form without the unticked box (and with its CSRF token).
    client.post(url(seminar, f"attendees/{second.id}/cancel"), data={"csrf_token": "-"})
    db.session.expire_all()
    assert (first.status, second.status, waiting.status) == (
        Status.CANCELLED,
        Status.CANCELLED,
        Status.CONFIRMED,
    )
    kinds: dict[int, list[str]] = {}
    # Grouped here, not with SQLite's group_concat: the suite also runs on PostgreSQL.
    for registration_id, kind in db.session.execute(
        select(OutboxMessage.registration_id, OutboxMessage.kind)
    ):
        kinds.setdefault(registration_id, []).append(kind)
    assert "cancelled" in kinds[first.id]
    assert "cancelled" not in kinds[second.id]
    assert "promoted" in kinds[waiting.id]
    assert audit_actions(seminar).count("cancelled_registration") == 2


def test_move_up_takes_a_free_seat(client, seminar):
    first = register(seminar, "a@example.org")
    register(seminar, "b@example.org")
    first_waiting = register(seminar, "c@example.org")
    second_waiting = register(seminar, "d@example.org")
    seminar.capacity = 3
    db.session.commit()
    # Out of turn: the organiser picks the second in line.
    response = client.post(url(seminar, f"attendees/{second_waiting.id}/confirm"))
    assert response.status_code == 303
    db.session.expire_all()
    assert (second_waiting.status, first_waiting.status) == (Status.CONFIRMED, Status.WAITING)
    assert seminar.seats_taken == 3
    assert first.status == Status.CONFIRMED
    assert "moved_up" in audit_actions(seminar)


def test_move_up_when_full_needs_the_visible_override(client, seminar):
    register(seminar, "a@example.org")
    register(seminar, "b@example.org")
    waiting = register(seminar, "c@example.org")
    page = page_text(client.get(url(seminar, f"attendees/{waiting.id}")))
    assert 'name="exceed_capacity"' in page

    refused = client.post(url(seminar, f"attendees/{waiting.id}/confirm"))
    assert refused.status_code == 409
    assert 'name="exceed_capacity"' in page_text(refused)
    db.session.expire_all()
    assert waiting.status == Status.WAITING and seminar.seats_taken == 2

    client.post(url(seminar, f"attendees/{waiting.id}/confirm"), data={"exceed_capacity": "y"})
    db.session.expire_all()
    assert waiting.status == Status.CONFIRMED
    assert seminar.seats_taken == 3 > seminar.capacity


def test_persons_page_lists_the_mails_they_were_sent(client, seminar):
    person = register(seminar, "anna@example.org")
    text = page_text(client.get(url(seminar, f"attendees/{person.id}")))
    assert "Bekräftelse" in text or "Confirmation" in text


def test_registration_of_another_seminar_is_not_found_under_this_one(
    client, seminar, seminar_factory
):
    other = seminar_factory(organization=seminar.organization)
    person = register(other, "anna@example.org")
    assert client.get(url(seminar, f"attendees/{person.id}")).status_code == 404
    assert client.post(url(seminar, f"checkin/{person.id}")).status_code == 404


# ------------------------------------------------------------------------ adding people


def test_add_person_gets_a_seat_and_a_confirmation(client, seminar):
    response = client.post(
        url(seminar, "attendees/new"),
        data={"name": "Lars Fresker", "email": "lars@ofr.se", "organization": "OFR"},
    )
    assert response.status_code == 303
    person = db.session.scalar(select(Registration).where(Registration.email == "lars@ofr.se"))
    assert person.status == Status.CONFIRMED and person.added_by_organizer
    assert (
        db.session.scalar(
            select(OutboxMessage.kind).where(OutboxMessage.registration_id == person.id)
        )
        == "confirmed"
    )
    assert "added" in audit_actions(seminar)


def test_add_person_when_full_waits_unless_capacity_override_is_ticked(client, seminar):
    register(seminar, "a@example.org")
    register(seminar, "b@example.org")
    form = page_text(client.get(url(seminar, "attendees/new")))
    assert 'name="exceed_capacity"' in form

    client.post(url(seminar, "attendees/new"), data={"name": "Waits", "email": "w@example.org"})
    client.post(
        url(seminar, "attendees/new"),
        data={"name": "Gets in", "email": "g@example.org", "exceed_capacity": "y"},
    )
    statuses = dict(db.session.execute(select(Registration.email, Registration.status)).all())
    assert statuses["w@example.org"] == Status.WAITING
    assert statuses["g@example.org"] == Status.CONFIRMED
    db.session.refresh(seminar)
    assert seminar.seats_taken == 3


def test_add_already_registered_email_says_so_and_sends_nothing(client, seminar):
    person = register(seminar, "anna@example.org")
    mails_before = db.session.scalar(select(func.count(OutboxMessage.id)))
    response = client.post(
        url(seminar, "attendees/new"), data={"name": "Anna", "email": "ANNA@example.org"}
    )
    assert response.status_code == 422
    text = page_text(response)
    assert f"/attendees/{person.id}" in text
    assert 'aria-invalid="true"' in text
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == mails_before


def test_add_person_with_invalid_email_is_refused(client, seminar):
    response = client.post(url(seminar, "attendees/new"), data={"name": "X", "email": "nope"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Registration.id))) == 0


PASTE = """\
Anna Andersson <anna@kommun.se>, Nyköpings kommun
"Berg, Sofia" <sofia.berg@vision.se>
per.oberg@region.se
Johan Larson; johan@vardforbundet.se; Vårdförbundet
Vänliga hälsningar
already@example.org
anna@kommun.se
"""


def test_import_preview_shows_groups_and_writes_nothing(client, seminar):
    register(seminar, "already@example.org")
    response = client.post(url(seminar, "attendees/import"), data={"text": PASTE, "preview": "1"})
    text = page_text(response)
    assert response.status_code == 200
    assert "Sofia Berg" in text and "Johan Larson" in text
    assert "Vänliga hälsningar" in text  # cannot be read
    assert 'name="confirm"' in text
    # One seat was left: Anna gets it, the other three wait.
    assert text.count("Väntelista") + text.count("Waiting list") >= 3
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    assert "imported" not in audit_actions(seminar)


def test_import_confirm_adds_in_order_and_mails_them(client, seminar):
    register(seminar, "already@example.org")
    response = client.post(url(seminar, "attendees/import"), data={"text": PASTE, "confirm": "1"})
    assert response.status_code == 303
    added = db.session.execute(
        select(Registration.email, Registration.status, Registration.name)
        .where(Registration.added_by_organizer)
        .order_by(Registration.id)
    ).all()
    assert [(email, status) for email, status, _ in added] == [
        ("anna@kommun.se", Status.CONFIRMED),
        ("sofia.berg@vision.se", Status.WAITING),
        ("per.oberg@region.se", Status.WAITING),
        ("johan@vardforbundet.se", Status.WAITING),
    ]
    mails = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.to_email.in_([a[0] for a in added]))
    ).all()
    assert sorted(mails) == ["confirmed", "waiting", "waiting", "waiting"]
    # Already registered: no new registration and no mail.
    assert (
        db.session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.to_email == "already@example.org"
            )
        )
        == 1
    )
    detail = db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "imported"))
    assert '"added": 4' in detail and '"duplicates": 2' in detail and '"unreadable": 1' in detail


def test_import_csv_upload_preview_carries_the_text_to_confirm(client, seminar):
    import io

    data = "\ufeffNamn;E-post;Organisation\nÅsa Öberg;asa@region.se;Region\n".encode()
    preview = client.post(
        url(seminar, "attendees/import"),
        data={"csv_file": (io.BytesIO(data), "lista.csv"), "preview": "1"},
        content_type="multipart/form-data",
    )
    text = page_text(preview)
    assert "Åsa Öberg" in text and 'name="source" value="csv"' in text
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    client.post(
        url(seminar, "attendees/import"),
        data={
            "text": "Namn;E-post;Organisation\nÅsa Öberg;asa@region.se;Region\n",
            "source": "csv",
            "confirm": "1",
        },
    )
    person = db.session.scalar(select(Registration))
    assert (person.name, person.organization) == ("Åsa Öberg", "Region")


def test_import_of_nothing_asks_for_lines(client, seminar):
    response = client.post(url(seminar, "attendees/import"), data={"text": "  ", "preview": "1"})
    assert response.status_code == 422


# ---------------------------------------------------------------------------- audit log


def test_audit_log_per_seminar_and_per_organisation(client, seminar, organizer):
    client.post(url(seminar, "attendees/new"), data={"name": "Lars", "email": "lars@ofr.se"})
    text = page_text(client.get(url(seminar, "audit")))
    assert organizer.name in text
    assert "Lade till en person" in text or "Added a person" in text
    assert "Lars (#" in text
    org_page = client.get(f"/organizer/organizations/{seminar.organization_id}/audit")
    assert org_page.status_code == 200
    assert seminar.title in page_text(org_page)


def test_organisation_audit_is_only_for_its_members(
    client, seminar, organizer_factory, organization_factory
):
    other = organization_factory("Malmö universitet")
    assert client.get(f"/organizer/organizations/{other.id}/audit").status_code == 404
    assert client.get("/organizer/organizations/99999/audit").status_code == 404


# ------------------------------------------------------------------------ authorisation

SEMINAR_PAGES = [
    ("GET", "attendees"),
    ("GET", "attendees/{rid}"),
    ("POST", "attendees/{rid}"),
    ("POST", "attendees/{rid}/cancel"),
    ("POST", "attendees/{rid}/email"),
    ("POST", "attendees/{rid}/confirm"),
    ("GET", "attendees/new"),
    ("POST", "attendees/new"),
    ("GET", "attendees/import"),
    ("POST", "attendees/import"),
    ("GET", "checkin"),
    ("GET", "checkin/{rid}"),
    ("POST", "checkin/{rid}"),
    ("GET", "messages"),
    ("POST", "messages"),
    ("GET", "emails"),
    ("POST", "emails/{mid}/resend"),
    ("GET", "audit"),
]


def test_every_attendee_page_is_covered_by_this_test(app):
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("attendees.") and "seminar_id" in rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {
        (
            method,
            "/organizer/seminars/<int:seminar_id>/"
            + page.replace("{rid}", "<int:registration_id>").replace("{mid}", "<int:message_id>"),
        )
        for method, page in SEMINAR_PAGES
    }
    assert rules == covered


def test_another_organisations_organiser_gets_404_everywhere(
    client, seminar, organizer_factory, organization_factory
):
    person = register(seminar, "anna@example.org", name="Anna Andersson")
    mail_id = db.session.scalar(select(OutboxMessage.id))
    stranger = organizer_factory(organization_factory("Tillitsdelegationen"))
    log_in(client, stranger)
    for method, page in SEMINAR_PAGES:
        path = url(seminar, page.format(rid=person.id, mid=mail_id))
        response = client.open(path, method=method, data={"name": "X", "email": "x@example.org"})
        assert response.status_code == 404, (method, path)
        assert "Anna Andersson" not in page_text(response)
    db.session.expire_all()
    assert person.status == Status.CONFIRMED and person.name == "Anna Andersson"


def test_cohosting_organisations_organiser_may_manage(
    client, seminar, organizer_factory, organization_factory
):
    cohost = organization_factory("Malmö universitet")
    seminar.cohosts = [cohost]
    db.session.commit()
    log_in(client, organizer_factory(cohost))
    assert client.get(url(seminar, "attendees")).status_code == 200


def test_anonymous_visitor_is_sent_to_log_in(app, seminar):
    response = app.test_client().get(url(seminar, "attendees"))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
