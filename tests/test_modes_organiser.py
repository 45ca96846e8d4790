"""The organiser's side of a hybrid seminar: counts, list, check-in, adding, importing,
messages and exports per mode, and the café counting only those on site."""

import csv
import io
import re

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import OutboxMessage, QuestionKind, Registration, SeminarMode, Status
from tests.conftest import attendee, log_in
from tests.conftest import register as add

FIKA = {"text": "Fika?", "kind": QuestionKind.YES_NO}


@pytest.fixture
def organizer(organizer_factory, organization_factory):
    return organizer_factory(organization_factory("Malmö universitet"))


@pytest.fixture
def seminar(client, organizer, seminar_factory):
    seminar = seminar_factory(
        organization=organizer.organizations[0],
        mode=SeminarMode.HYBRID,
        capacity=2,
        online_capacity=None,
        questions=[FIKA],
    )
    fika = str(seminar.questions[0].id)
    for n in range(3):
        add(seminar, attendee(f"room{n}@example.org", name=f"Rum {n}", answers={fika: "yes"}),
            mode="onsite")  # fmt: skip
    for n in range(2):
        add(seminar, attendee(f"web{n}@example.org", name=f"Webb {n}", answers={fika: "yes"}),
            mode="online")  # fmt: skip
    db.session.commit()
    client.set_cookie("lang", "en")
    log_in(client, organizer)
    return seminar


def url(seminar, page):
    return f"/organizer/seminars/{seminar.id}/{page}"


def names(page: str) -> list[str]:
    return re.findall(r">((?:Rum|Webb) \d)<", page)


def test_attendee_list_counts_and_filters_per_mode(client, seminar):
    page = client.get(url(seminar, "attendees")).text
    assert "of 2 seats taken" in page and "seats taken, no limit" in page
    assert sorted(names(page)) == ["Rum 0", "Rum 1", "Rum 2", "Webb 0", "Webb 1"]
    online = client.get(url(seminar, "attendees?mode=online")).text
    assert sorted(names(online)) == ["Webb 0", "Webb 1"]
    on_site = client.get(url(seminar, "attendees?mode=onsite")).text
    assert sorted(names(on_site)) == ["Rum 0", "Rum 1", "Rum 2"]
    assert "Waiting list, place 1" in on_site


def test_dashboard_counts_per_mode(client, seminar):
    page = client.get("/organizer/").text
    assert "on site 2 · online 2" in page  # confirmed
    assert "on site 1 · online 0" in page  # waiting
    assert "2 + unlimited" in page


def test_door_list_shows_those_on_site_unless_asked(client, seminar):
    page = client.get(url(seminar, "checkin")).text
    assert "Webb" not in page and "Rum 0" in page
    online = client.get(url(seminar, "checkin?mode=online")).text
    assert "Rum" not in online and "Webb 0" in online


def test_organiser_adds_a_person_online(client, seminar):
    response = client.post(
        url(seminar, "attendees/new"),
        data={"name": "Ny Person", "email": "ny@example.org", "mode": "online"},
    )
    assert response.status_code == 303
    added = db.session.scalar(select(Registration).where(Registration.email == "ny@example.org"))
    assert (added.mode, added.status) == ("online", Status.CONFIRMED)


def test_import_asks_for_the_mode_of_everyone_on_the_list(client, seminar):
    page = client.get(url(seminar, "attendees/import")).text
    assert "Everyone on the list takes part" in page
    lines = "Anna <anna@example.org>\nBo <bo@example.org>"
    preview = client.post(
        url(seminar, "attendees/import"), data={"text": lines, "mode": "online", "preview": "1"}
    ).text
    assert 'name="mode" value="online"' in preview
    client.post(
        url(seminar, "attendees/import"),
        data={"text": lines, "source": "paste", "mode": "online", "confirm": "1"},
    )
    imported = db.session.scalars(
        select(Registration).where(Registration.email.in_(["anna@example.org", "bo@example.org"]))
    ).all()
    assert {(r.mode, r.status) for r in imported} == {("online", Status.CONFIRMED)}


def test_message_to_those_online_only(client, seminar):
    data = {"audience": "confirmed", "mode": "online", "subject": "Länken", "body": "Hej"}
    preview = client.post(url(seminar, "messages"), data={**data, "preview": "1"}).text
    assert "It goes to 2 people" in preview
    form_id = re.search(r'name="form_id" type="hidden" value="([0-9a-f]{32})"', preview)[1]
    client.post(url(seminar, "messages"), data={**data, "form_id": form_id, "send": "1"})
    recipients = db.session.scalars(
        select(OutboxMessage.to_email).where(OutboxMessage.kind == "message")
    ).all()
    assert sorted(recipients) == ["web0@example.org", "web1@example.org"]


def test_export_has_a_mode_column_and_the_cafe_counts_only_those_on_site(client, seminar):
    csv_text = client.get(url(seminar, "exports/attendees.csv?status=all")).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text), delimiter=";"))
    column = rows[0].index("Takes part")
    assert sorted(row[column] for row in rows[1:]) == ["On site"] * 3 + ["Online"] * 2
    catering = client.get(url(seminar, "exports/catering")).text
    assert "2 confirmed attendees" in catering  # the two seated on site, not the two online
    assert "Webb" not in client.get(url(seminar, "exports/list")).text
