"""Correcting an attendee's email address (issue 13, item 2): by an organiser on the person
page and by the attendee from their link. The seat or place in line stays, the new address
gets the confirmation with the link, the old one a short notice, and no two active
registrations of a seminar share an address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.mail import delivery
from seminars.models import AuditEvent, Registration, Seminar, Status
from tests.conftest import attendee, log_in, register
from tests.mail_helpers import html_of, mail_to, manage_path, text_of


@pytest.fixture
def app(mail_app):
    return mail_app


@pytest.fixture
def organizer(organizer_factory, organization_factory):
    return organizer_factory(organization_factory("OFR"))


@pytest.fixture
def seminar(organizer, seminar_factory):
    # One seat: the seat kept is the only one, with someone waiting for it.
    return seminar_factory(capacity=1, organization=organizer.organizations[0])


def signed_up(seminar: Seminar, email: str, name: str) -> Registration:
    registration = register(seminar, attendee(email, name=name))
    db.session.commit()
    return registration


def words(text: str) -> str:
    return " ".join(text.split())


def deliver_new(smtp_server) -> list:
    """Mail delivered by this pass only."""
    before = len(smtp_server.messages())
    delivery.deliver_pending()
    return smtp_server.messages()[before:]


def person_url(seminar, registration, page=""):
    return f"/organizer/seminars/{seminar.id}/attendees/{registration.id}{page}"


def test_an_organiser_corrects_an_address_and_the_person_keeps_their_seat(
    client, organizer, seminar, smtp_server
):
    anna = signed_up(seminar, "anna@exmaple.org", "Anna Andersson")
    bo = signed_up(seminar, "bo@example.org", "Bo Berg")  # waiting for Anna's seat
    old_path = manage_path(deliver_new(smtp_server)[0])
    anna.undeliverable_email = "anna@exmaple.org"  # the mail came back
    db.session.commit()
    log_in(client, organizer)
    page = client.get(person_url(seminar, anna)).get_data(as_text=True)
    # The warning leads to the correction.
    assert "Adressen fungerar inte" in page and 'href="#change-email"' in page

    response = client.post(
        person_url(seminar, anna, "/email"),
        data={"email": "anna@example.org"},
    )

    assert response.status_code == 303
    db.session.expire_all()
    anna, bo = db.session.get(Registration, anna.id), db.session.get(Registration, bo.id)
    assert (anna.email, anna.status, bo.status) == (
        "anna@example.org",
        Status.CONFIRMED,
        Status.WAITING,
    )
    assert db.session.get(Seminar, seminar.id).seats_taken == 1
    page = client.get(person_url(seminar, anna)).get_data(as_text=True)
    assert "anna@example.org" in page and "Adressen fungerar inte" not in page
    audit = db.session.scalars(select(AuditEvent.action).where(AuditEvent.seminar_id == seminar.id))
    assert "changed_email" in list(audit)

    sent = deliver_new(smtp_server)
    [confirmation] = mail_to(sent, "anna@example.org")
    [notice] = mail_to(sent, "anna@exmaple.org")
    text = words(text_of(confirmation))
    assert "använder nu den här e-postadressen, anna@example.org" in text
    assert "Du har kvar din plats." in text
    assert "Arrangören ändrade adressen." in text
    assert "använder nu den här e-postadressen" in words(html_of(confirmation))
    new_path = manage_path(confirmation)
    notice_text = words(text_of(notice))
    assert "har ändrats till en annan adress" in notice_text
    assert "/r/" not in notice_text and "/r/" not in html_of(notice)
    # An organiser's correction: the old mailbox may be someone else's, so its link ends.
    assert new_path != old_path
    assert client.get(old_path).status_code == 404
    assert "Du är anmäld" in client.get(new_path).get_data(as_text=True)


def test_a_waiting_person_keeps_their_place_in_line(client, organizer, seminar, smtp_server):
    signed_up(seminar, "anna@example.org", "Anna Andersson")
    bo = signed_up(seminar, "bo@exmaple.org", "Bo Berg")
    cecilia = signed_up(seminar, "cecilia@example.org", "Cecilia Carlsson")
    deliver_new(smtp_server)
    log_in(client, organizer)

    client.post(person_url(seminar, bo, "/email"), data={"email": "bo@ex.se"})

    db.session.expire_all()
    assert db.session.get(Registration, bo.id).status == Status.WAITING
    assert "Väntelista, plats 1" in client.get(person_url(seminar, bo)).get_data(as_text=True)
    assert db.session.get(Registration, cecilia.id).status == Status.WAITING
    [confirmation] = mail_to(deliver_new(smtp_server), "bo@ex.se")
    assert "Du behåller din plats på väntelistan: plats 1 av 2." in words(text_of(confirmation))


def test_an_organiser_cannot_give_an_address_another_registration_holds(
    client, organizer, seminar, smtp_server
):
    anna = signed_up(seminar, "anna@example.org", "Anna Andersson")
    signed_up(seminar, "bo@example.org", "Bo Berg")
    deliver_new(smtp_server)
    log_in(client, organizer)
    page = client.get(person_url(seminar, anna)).get_data(as_text=True)

    response = client.post(
        person_url(seminar, anna, "/email"),
        data={"email": " BO@Example.org"},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Någon annan som är anmäld till seminariet har redan den här adressen." in page
    assert 'value="BO@example.org"' in page  # the input is kept (the domain in lower case)
    db.session.expire_all()
    assert db.session.get(Registration, anna.id).email == "anna@example.org"
    assert deliver_new(smtp_server) == []


def test_an_invalid_address_is_refused_next_to_the_field(client, organizer, seminar):
    anna = signed_up(seminar, "anna@example.org", "Anna Andersson")
    log_in(client, organizer)

    response = client.post(person_url(seminar, anna, "/email"), data={"email": "anna@"})

    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)


def test_an_attendee_changes_their_own_address_and_keeps_their_seat(client, seminar, smtp_server):
    anna = signed_up(seminar, "anna@old.example.org", "Anna Andersson")
    signed_up(seminar, "bo@example.org", "Bo Berg")
    path = manage_path(deliver_new(smtp_server)[0])
    page = client.get(path).get_data(as_text=True)
    assert "Avboka och anmäl dig igen" not in page

    response = client.post(path + "/email", data={"email": "anna@new.example.org"})

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Din e-postadress är ändrad till anna@new.example.org" in page
    assert "Du är anmäld" in page  # the link the attendee used keeps working
    db.session.expire_all()
    anna = db.session.get(Registration, anna.id)
    assert (anna.email, anna.status) == ("anna@new.example.org", Status.CONFIRMED)
    sent = deliver_new(smtp_server)
    [confirmation] = mail_to(sent, "anna@new.example.org")
    [notice] = mail_to(sent, "anna@old.example.org")
    assert manage_path(confirmation) == path
    assert "Du har kvar din plats." in words(text_of(confirmation))
    assert "Arrangören" not in text_of(confirmation)
    assert "har ändrats till en annan adress" in words(text_of(notice))
    assert "/r/" not in text_of(notice)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.seminar_id == seminar.id)
    )
    assert list(actions) == ["changed_own_email"]


def test_an_attendee_cannot_take_an_address_another_registration_holds(
    client, seminar, smtp_server
):
    signed_up(seminar, "anna@example.org", "Anna Andersson")
    signed_up(seminar, "bo@example.org", "Bo Berg")
    path = manage_path(mail_to(deliver_new(smtp_server), "bo@example.org")[0])
    page = client.get(path).get_data(as_text=True)

    response = client.post(path + "/email", data={"email": "Anna@example.org"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Den här adressen är redan anmäld till seminariet. Använd en annan adress." in page
    assert 'value="Anna@example.org"' in page
    assert deliver_new(smtp_server) == []


def test_a_cancelled_registration_does_not_hold_its_address(client, seminar, smtp_server):
    from seminars import signup

    gone = signed_up(seminar, "anna@example.org", "Anna Andersson")
    signup.cancel(gone)
    db.session.commit()
    bo = signed_up(seminar, "bo@example.org", "Bo Berg")

    signup.change_email(bo, "anna@example.org", new_link=False)
    db.session.commit()

    assert db.session.get(Registration, bo.id).email_key == "anna@example.org"
