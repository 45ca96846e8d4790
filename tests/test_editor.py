"""The seminar editor: every field saved, clear messages for bad input (DST nights, end
before start, capacity below the confirmed count), and what editing does to attendees.
(Rows, buttons and the validation rules of issue 13: test_editor_rows.py and
test_editor_validation.py.)"""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import (
    AuditEvent,
    OutboxMessage,
    QuestionKind,
    Registration,
    Seminar,
    SeminarStatus,
    Status,
)
from seminars.organising import editor
from tests.conftest import attendee, log_in, register


@pytest.fixture
def organizer(organizer_factory, organization_factory):
    return organizer_factory(organization_factory("Malmö universitet"))


@pytest.fixture
def english_client(client, organizer):
    client.set_cookie("lang", "en")
    log_in(client, organizer)
    return client


# Next year, so that nothing here is "in the past"; 18 March is before the spring DST night.
YEAR = date.today().year + 1


def _last_sunday(month: int) -> date:
    day = date(YEAR, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


SPRING_NIGHT, AUTUMN_NIGHT = _last_sunday(3), _last_sunday(10)


def form_data(organizer, **changes):
    data = {
        "title": "Styrning och ledarskap i offentlig sektor",
        "subtitle": "Ett uppdrag om tillit",
        "slug": "",
        "organization_id": str(organizer.organizations[0].id),
        "description": "Det bjuds på **fika** i pausen.",
        "starts_at": f"{YEAR}-03-18T13:00",
        "ends_at": f"{YEAR}-03-18T16:30",
        "venue_name": "Niagara, sal C0E11",
        "venue_address": "Nordenskiöldsgatan 1, Malmö",
        "online_info": "Zoom-länk skickas dagen före.",
        "capacity": "80",
        "waitlist_enabled": "y",
        "registration_opens_at": "",
        "registration_closes_at": f"{YEAR}-03-16T23:59",
        "contact_name": "Ewa-Marie Siwerson",
        "contact_email": "ewa-marie@mau.example.org",
        "program-0-time": "13:00",
        "program-0-title": "Välkommen",
        "program-0-who": "Malmö universitet",
        "program-1-time": "",
        "program-1-title": "Fika",
        "program-1-who": "",
        "program-2-time": "15.00",
        "program-2-title": "Diskussion",
        "program-2-who": "Alla",
        "program-3-time": "",
        "program-3-title": "",
        "program-3-who": "",
        "speakers-0-name": "Anna Lexelius",
        "speakers-0-role": "huvudsekreterare",
        "speakers-0-affiliation": "Tillitsdelegationen",
        "speakers-1-name": "Pia Sehm",
        "speakers-1-role": "moderator",
        "speakers-1-affiliation": "",
        "questions-0-question_id": "",
        "questions-0-text": "Deltar du på plats eller via länk?",
        "questions-0-kind": "choice",
        "questions-0-choices": "På plats\nVia länk",
        "questions-0-required": "y",
        "questions-1-question_id": "",
        "questions-1-text": "Kost till fikat",
        "questions-1-kind": "choice",
        "questions-1-choices": "Ingen särskild\nVegetarisk\nGlutenfri",
        "questions-1-sensitive": "y",
        "questions-2-question_id": "",
        "questions-2-text": "",
        "questions-2-kind": "short_text",
        "reminder_offsets": "1 dag, 2 timmar",
        "attendance_check_days": "3",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def edit_data(seminar, **changes):
    """What the edit page posts back for `seminar` unchanged, plus changes."""
    from flask import current_app
    from flask_babel import refresh

    from seminars.web.organizer.forms import SeminarForm

    with current_app.test_request_context(headers={"Cookie": "lang=en"}):
        values = SeminarForm.data_from(seminar)
        # The test's app context outlives this request: forget its language again.
        refresh()
    data = {}
    for key, value in values.items():
        if key in ("program", "speakers", "questions"):
            for index, row in enumerate(value):
                for name, field_value in row.items():
                    if isinstance(field_value, bool):
                        if field_value:
                            data[f"{key}-{index}-{name}"] = "y"
                    else:
                        data[f"{key}-{index}-{name}"] = str(field_value)
        elif key == "cohost_ids":
            data[key] = [str(i) for i in value]
        elif isinstance(value, bool):
            if value:
                data[key] = "y"
        elif isinstance(value, datetime):
            data[key] = value.strftime("%Y-%m-%dT%H:%M")
        elif value is not None:
            data[key] = str(value)
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def only_seminar():
    return db.session.scalars(select(Seminar)).one()


def test_new_seminar_saves_every_field_as_a_draft(english_client, organizer, organization_factory):
    partner = organization_factory("Tillitsdelegationen")
    response = english_client.post(
        "/organizer/seminars/new", data=form_data(organizer, cohost_ids=[str(partner.id)])
    )
    assert response.status_code == 303, response.text
    seminar = only_seminar()
    assert response.headers["Location"] == f"/organizer/seminars/{seminar.id}/edit"
    assert seminar.status == SeminarStatus.DRAFT
    assert seminar.slug == "styrning-och-ledarskap-i-offentlig-sektor"
    # 13:00 in Stockholm in March (CET) is 12:00 UTC.
    assert seminar.starts_at == datetime(YEAR, 3, 18, 12, 0, tzinfo=UTC)
    assert seminar.ends_at == datetime(YEAR, 3, 18, 15, 30, tzinfo=UTC)
    assert seminar.registration_opens_at is None
    assert seminar.registration_closes_at == datetime(YEAR, 3, 16, 22, 59, tzinfo=UTC)
    assert [o.name for o in seminar.organizations] == ["Malmö universitet", "Tillitsdelegationen"]
    assert [(p.starts_at, p.title, p.who) for p in seminar.program_items] == [
        (time(13, 0), "Välkommen", "Malmö universitet"),
        (None, "Fika", ""),
        (time(15, 0), "Diskussion", "Alla"),
    ]
    assert [(s.name, s.role, s.affiliation) for s in seminar.speakers] == [
        ("Anna Lexelius", "huvudsekreterare", "Tillitsdelegationen"),
        ("Pia Sehm", "moderator", ""),
    ]
    # In the order of the rows, the blank third row ignored.
    assert [(q.text, q.kind, q.required, q.sensitive) for q in seminar.questions] == [
        ("Deltar du på plats eller via länk?", QuestionKind.CHOICE, True, False),
        ("Kost till fikat", QuestionKind.CHOICE, False, True),
    ]
    assert seminar.reminder_offsets == [1440, 120]
    assert seminar.attendance_check_days == 3
    assert seminar.capacity == 80 and seminar.waitlist_enabled
    assert (seminar.contact_name, seminar.contact_email) == (
        "Ewa-Marie Siwerson",
        "ewa-marie@mau.example.org",
    )
    assert db.session.scalars(select(AuditEvent.action)).all() == ["created"]

    page = english_client.get(f"/organizer/seminars/{seminar.id}/edit").text
    # Each item and speaker in fields of its own, as typed.
    for name, value in [
        ("program-0-time", "13:00"),
        ("program-0-title", "Välkommen"),
        ("program-0-who", "Malmö universitet"),
        ("program-1-title", "Fika"),
        ("program-2-time", "15:00"),
        ("speakers-0-affiliation", "Tillitsdelegationen"),
        ("speakers-1-role", "moderator"),
        ("starts_at", f"{YEAR}-03-18T13:00"),
        ("reminder_offsets", "1 day, 2 hours"),
    ]:
        assert re.search(f'name="{name}"[^>]* value="{value}"', page), name
    assert "|" not in page[page.index('id="program-rows"') : page.index('id="speakers-rows"')]


def test_slug_is_unique_and_editable(english_client, organizer, seminar_factory):
    seminar_factory(slug="styrning-och-ledarskap-i-offentlig-sektor")
    english_client.post("/organizer/seminars/new", data=form_data(organizer))
    created = db.session.scalars(select(Seminar).order_by(Seminar.id.desc())).first()
    assert created.slug == "styrning-och-ledarskap-i-offentlig-sektor-2"
    taken = english_client.post(
        f"/organizer/seminars/{created.id}/edit",
        data=edit_data(created, slug="styrning-och-ledarskap-i-offentlig-sektor"),
    )
    assert taken.status_code == 422
    assert "Another seminar already uses this address." in taken.text


def _error_for(page: str, field_id: str) -> str:
    """The error text shown next to a field, found through its aria-describedby."""
    marker = f'id="{field_id}-error">'
    assert marker in page, f"no error shown for {field_id}"
    start = page.index(marker) + len(marker)
    assert re.search(f'aria-describedby="[^"]*{field_id}-error"', page)
    return page[start : page.index("<", start)]


def test_time_skipped_on_the_spring_dst_night_is_refused(english_client, organizer):
    response = english_client.post(
        "/organizer/seminars/new",
        data=form_data(
            organizer, starts_at=f"{SPRING_NIGHT}T02:30", ends_at=f"{SPRING_NIGHT}T04:00"
        ),
    )
    assert response.status_code == 422
    assert "does not exist in Swedish time" in _error_for(response.text, "starts_at")
    # What was typed is kept.
    assert f'value="{SPRING_NIGHT}T02:30"' in response.text
    assert "Kost till fikat" in response.text
    assert db.session.scalars(select(Seminar)).all() == []


def test_time_repeated_on_the_autumn_dst_night_is_refused(english_client, organizer):
    response = english_client.post(
        "/organizer/seminars/new",
        data=form_data(
            organizer, starts_at=f"{AUTUMN_NIGHT}T01:00", ends_at=f"{AUTUMN_NIGHT}T02:30"
        ),
    )
    assert response.status_code == 422
    assert "happens twice in Swedish time" in _error_for(response.text, "ends_at")


def test_times_either_side_of_a_dst_change_are_fine(english_client, organizer):
    response = english_client.post(
        "/organizer/seminars/new",
        data=form_data(
            organizer,
            starts_at=f"{AUTUMN_NIGHT - timedelta(days=1)}T22:00",
            ends_at=f"{AUTUMN_NIGHT}T03:00",
        ),
    )
    assert response.status_code == 303
    seminar = only_seminar()
    # 22:00 CEST (UTC+2) to 03:00 CET (UTC+1): six hours.
    assert seminar.ends_at - seminar.starts_at == timedelta(hours=6)


def test_end_before_start_is_refused(english_client, organizer):
    response = english_client.post(
        "/organizer/seminars/new",
        data=form_data(organizer, starts_at=f"{YEAR}-03-18T13:00", ends_at=f"{YEAR}-03-18T12:00"),
    )
    assert response.status_code == 422
    assert _error_for(response.text, "ends_at") == "The end must be after the start."
    assert f'value="{YEAR}-03-18T12:00"' in response.text


def test_host_must_be_one_of_my_organisations(english_client, organizer, organization_factory):
    other = organization_factory("Någon annan")
    response = english_client.post(
        "/organizer/seminars/new", data=form_data(organizer, organization_id=str(other.id))
    )
    assert response.status_code == 422
    assert db.session.scalars(select(Seminar)).all() == []


def test_capacity_below_confirmed_count_is_refused(english_client, organizer, seminar_factory):
    seminar = seminar_factory(organization=organizer.organizations[0], capacity=5)
    for n in range(3):
        register(seminar, attendee(f"p{n}@example.org"))
    db.session.commit()
    response = english_client.post(
        f"/organizer/seminars/{seminar.id}/edit", data=edit_data(seminar, capacity="2")
    )
    assert response.status_code == 422
    assert "3 people already have a confirmed seat" in _error_for(response.text, "capacity")
    assert 'value="2"' in response.text
    db.session.expire_all()
    assert seminar.capacity == 5


def test_raising_capacity_promotes_from_waiting_list_in_order(
    english_client, organizer, seminar_factory
):
    seminar = seminar_factory(organization=organizer.organizations[0], capacity=1)
    people = [register(seminar, attendee(f"p{n}@example.org")) for n in range(4)]
    db.session.commit()
    response = english_client.post(
        f"/organizer/seminars/{seminar.id}/edit", data=edit_data(seminar, capacity="3")
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert [p.status for p in people] == [Status.CONFIRMED] * 3 + [Status.WAITING]
    assert seminar.seats_taken == 3
    promoted_mail = db.session.scalars(
        select(OutboxMessage.registration_id).where(OutboxMessage.kind == "promoted")
    ).all()
    assert sorted(promoted_mail) == [people[1].id, people[2].id]
    follow = english_client.get(response.headers["Location"])
    assert "2 people got a seat from the waiting list" in follow.text


def _published_with_attendees(seminar_factory, organizer):
    # Whole minutes, as the editor's time fields have them.
    starts_at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=14)
    seminar = seminar_factory(
        organization=organizer.organizations[0], capacity=1, starts_at=starts_at
    )
    register(seminar, attendee("a@example.org"))
    register(seminar, attendee("b@example.org"))
    db.session.commit()
    return seminar


def _changed_mail():
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "seminar_changed")
    ).all()


def test_new_time_of_published_seminar_emails_attendees_when_asked(
    english_client, organizer, seminar_factory
):
    seminar = _published_with_attendees(seminar_factory, organizer)
    edit_page = english_client.get(f"/organizer/seminars/{seminar.id}/edit")
    assert "Email attendees an updated calendar entry" in edit_page.text
    new_start = (seminar.starts_at + timedelta(days=1)).replace(second=0)
    data = edit_data(seminar)
    data["starts_at"] = _local_input(new_start)
    data["ends_at"] = _local_input(new_start + timedelta(hours=2))
    response = english_client.post(f"/organizer/seminars/{seminar.id}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    assert seminar.starts_at == new_start
    assert seminar.sequence == 1
    assert len(_changed_mail()) == 2  # the confirmed and the waiting person
    detail = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "edited"))
    assert "starts_at" in detail.one()


def test_new_place_without_notifying_changes_only_the_calendar_sequence(
    english_client, organizer, seminar_factory
):
    seminar = _published_with_attendees(seminar_factory, organizer)
    data = edit_data(seminar, venue_name="Stora salen")
    del data["notify_attendees"]
    response = english_client.post(f"/organizer/seminars/{seminar.id}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    assert seminar.venue_name == "Stora salen"
    assert seminar.sequence == 1
    assert _changed_mail() == []


def test_editing_only_the_text_sends_nothing(english_client, organizer, seminar_factory):
    seminar = _published_with_attendees(seminar_factory, organizer)
    english_client.post(
        f"/organizer/seminars/{seminar.id}/edit", data=edit_data(seminar, subtitle="Ny rubrik")
    )
    db.session.expire_all()
    assert seminar.sequence == 0
    assert _changed_mail() == []


def _local_input(moment):
    from seminars.dates import to_local_naive

    return to_local_naive(moment).strftime("%Y-%m-%dT%H:%M")


def test_removing_a_question_deletes_its_answers_and_keeps_the_rest(
    english_client, organizer, seminar_factory
):
    seminar = seminar_factory(
        organization=organizer.organizations[0],
        questions=[
            {"text": "Kost", "kind": QuestionKind.SHORT_TEXT, "sensitive": True},
            {"text": "Förbund", "kind": QuestionKind.SHORT_TEXT},
        ],
    )
    diet, union = seminar.questions
    registration = register(
        seminar,
        attendee(answers={str(diet.id): "Vegetarisk", str(union.id): "Vision"}),
    )
    db.session.commit()
    data = edit_data(seminar, **{"questions-0-remove": "y"})
    data["questions-2-text"] = "Vill du ha intyg?"
    data["questions-2-kind"] = "yes_no"
    response = english_client.post(f"/organizer/seminars/{seminar.id}/edit", data=data)
    assert response.status_code == 303, response.text
    db.session.expire_all()
    assert [(q.id == union.id, q.text) for q in seminar.questions] == [
        (True, "Förbund"),
        (False, "Vill du ha intyg?"),
    ]
    assert registration.answers == {str(union.id): "Vision"}
    # The public form still works with the answers left.
    assert english_client.get(f"/seminars/{seminar.slug}").status_code == 200


def test_description_preview_is_sanitised_markdown(english_client, organizer):
    data = form_data(
        organizer,
        description="**Fika** <script>alert(1)</script> [länk](javascript:alert(1))",
        preview_description="1",
    )
    response = english_client.post("/organizer/seminars/new", data=data)
    assert response.status_code == 200
    preview = response.text.split("Description preview", 1)[1]
    assert "<strong>Fika</strong>" in preview
    assert "<script>" not in preview
    assert 'href="javascript' not in preview


def test_reminder_offsets_accept_minutes_and_friendly_units(app):
    from wtforms.validators import ValidationError

    from seminars.web.organizer.forms import parse_reminder_offsets

    app.test_request_context().push()
    assert parse_reminder_offsets("1440, 60") == [1440, 60]
    assert parse_reminder_offsets("1 day, 1 hour") == [1440, 60]
    assert parse_reminder_offsets("2 dagar; 30 min, 1 vecka") == [10080, 2880, 30]
    assert parse_reminder_offsets("") == []
    with pytest.raises(ValidationError):
        parse_reminder_offsets("soon")


def test_publish_preview_unpublish_and_audit(english_client, organizer, seminar_factory):
    seminar = seminar_factory(
        organization=organizer.organizations[0],
        status=SeminarStatus.DRAFT,
        title="Utkastet",
        starts_at=datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=14),
    )
    assert english_client.get(f"/seminars/{seminar.slug}").status_code == 404
    preview = english_client.get(f"/organizer/seminars/{seminar.id}/preview")
    assert preview.status_code == 200
    assert "this draft is not public yet" in preview.text
    assert "Utkastet" in preview.text

    english_client.post(
        f"/organizer/seminars/{seminar.id}/edit", data=edit_data(seminar, publish="1")
    )
    assert english_client.get(f"/seminars/{seminar.slug}").status_code == 200
    english_client.post(f"/organizer/seminars/{seminar.id}/unpublish")
    assert english_client.get(f"/seminars/{seminar.slug}").status_code == 404
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["published", "unpublished"]


def test_cancel_takes_a_message_and_notifies_everyone(english_client, organizer, seminar_factory):
    seminar = _published_with_attendees(seminar_factory, organizer)
    form_page = english_client.get(f"/organizer/seminars/{seminar.id}/cancel")
    assert 'name="message"' in form_page.text
    empty = english_client.post(f"/organizer/seminars/{seminar.id}/cancel", data={"message": ""})
    assert empty.status_code == 422
    response = english_client.post(
        f"/organizer/seminars/{seminar.id}/cancel",
        data={"message": "Talaren är sjuk. Vi återkommer med nytt datum."},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert seminar.status == SeminarStatus.CANCELLED
    assert seminar.cancellation_message.startswith("Talaren är sjuk")
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "seminar_cancelled")
    ).all()
    assert len(mails) == 2
    assert db.session.scalars(select(AuditEvent.action)).all() == ["cancelled"]
    # A cancelled seminar cannot be published again, and is told so.
    again = english_client.post(
        f"/organizer/seminars/{seminar.id}/edit", data=edit_data(seminar, publish="1")
    )
    assert again.status_code == 422
    assert "A cancelled seminar cannot be published again" in again.text
    db.session.expire_all()
    assert seminar.status == SeminarStatus.CANCELLED


def test_duplicate_of_last_years_seminar_lands_on_the_same_weekday_a_year_on(
    app, organizer, seminar_factory
):
    last_year = datetime(2025, 3, 19, 12, 0, tzinfo=UTC)  # Wednesday 13:00 in Stockholm
    seminar = seminar_factory(
        organization=organizer.organizations[0],
        starts_at=last_year,
        questions=[{"text": "Kost", "kind": QuestionKind.SHORT_TEXT, "sensitive": True}],
    )
    register(seminar, attendee(), now=last_year - timedelta(days=5))
    copy = editor.duplicate_seminar(organizer, seminar, today=date(2026, 1, 10))
    db.session.commit()
    assert copy.status == SeminarStatus.DRAFT
    assert copy.slug == f"{seminar.slug}-2"
    assert copy.starts_at == datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
    assert copy.starts_at.weekday() == seminar.starts_at.weekday()
    assert [q.text for q in copy.questions] == ["Kost"]
    assert copy.seats_taken == 0
    assert (
        db.session.scalars(select(Registration).where(Registration.seminar_id == copy.id)).all()
        == []
    )


def test_duplicate_button_opens_the_copy(english_client, organizer, seminar_factory):
    seminar = seminar_factory(organization=organizer.organizations[0])
    response = english_client.post(f"/organizer/seminars/{seminar.id}/duplicate")
    copy = db.session.scalars(select(Seminar).where(Seminar.id != seminar.id)).one()
    assert response.headers["Location"] == f"/organizer/seminars/{copy.id}/edit"
    assert db.session.scalars(select(AuditEvent.action)).all() == ["duplicated"]
