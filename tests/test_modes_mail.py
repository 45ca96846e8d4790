"""What an online and an on-site participant of a hybrid seminar are sent: the joining
link only online (in the confirmation or the reminder, as the organiser chose), the venue
and the door's QR code only on site, and a calendar entry at the place they go to."""

from sqlalchemy import select

from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.mail.render import render
from seminars.models import DetailsIn, OutboxMessage, SeminarMode
from tests.conftest import attendee, register

LINK = "https://zoom.example.org/j/8123"


def hybrid(seminar_factory, **fields):
    values = {
        "mode": SeminarMode.HYBRID,
        "capacity": 80,
        "online_capacity": 300,
        "online_link": LINK,
        "online_info": "Mötes-id 812 3; kod tillit",
    }
    return seminar_factory(**{**values, **fields})


def mail(registration, kind):
    row = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.registration_id == registration.id, OutboxMessage.kind == kind
        )
    ).one()
    return render(row)


def test_online_confirmation_has_the_link_and_no_venue_nor_qr(seminar_factory):
    seminar = hybrid(seminar_factory)
    online = register(seminar, attendee("o@example.org"), mode="online")
    db.session.commit()
    email = mail(online, "confirmed")
    assert LINK in email.text and LINK in email.html
    assert "Mötes-id 812 3" in email.text
    assert "Aulan" not in email.text and "Drottninggatan" not in email.text
    assert email.inline_images == []
    ics = email.calendar_files[0].body
    assert f"LOCATION:{LINK}" in ics.replace("\r\n ", "")
    assert "Drottninggatan" not in ics


def test_on_site_confirmation_has_venue_and_qr_and_no_link(seminar_factory):
    seminar = hybrid(seminar_factory)
    on_site = register(seminar, attendee("s@example.org"), mode="onsite")
    db.session.commit()
    email = mail(on_site, "confirmed")
    assert "Aulan" in email.text and "Drottninggatan 71B" in email.text
    assert LINK not in email.text and LINK not in email.html
    assert "Mötes-id" not in email.text
    assert len(email.inline_images) == 1
    ics = email.calendar_files[0].body.replace("\r\n ", "")
    assert "LOCATION:Aulan" in ics and LINK not in ics


def test_link_only_in_the_reminder_when_the_organiser_says_so(seminar_factory):
    seminar = hybrid(seminar_factory, online_details_in=DetailsIn.REMINDER)
    online = register(seminar, attendee("o@example.org"), mode="online")
    on_site = register(seminar, attendee("s@example.org"), mode="onsite")
    for registration in (online, on_site):
        outbox.queue_for_registration("reminder", registration, dedupe_suffix="1440")
    db.session.commit()
    confirmation = mail(online, "confirmed")
    assert LINK not in confirmation.text and LINK not in confirmation.calendar_files[0].body
    assert "comes in the reminder" in render_in_english(online, "confirmed").text
    reminder = mail(online, "reminder")
    assert LINK in reminder.text and LINK in reminder.calendar_files[0].body
    assert LINK not in mail(on_site, "reminder").text


def render_in_english(registration, kind):
    registration.language = "en"
    row = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.registration_id == registration.id, OutboxMessage.kind == kind
        )
    ).one()
    row.language = "en"
    return render(row)
