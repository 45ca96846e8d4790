"""Every rule of the seminar editor (issue 13, item 1) names the field and the problem next to
it, and keeps what was typed: a choice question needs two choices, an end comes after its
start, a program time lies within the seminar, a seminar in the past and a registration
window that closes after the start are flagged. Nothing is saved while a rule is broken."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from seminars import dates
from seminars.extensions import db
from seminars.models import Seminar
from tests.test_editor import YEAR, edit_data, form_data


@pytest.fixture
def organizer(organizer_factory, organization_factory):
    return organizer_factory(organization_factory("Malmö universitet"))


@pytest.fixture
def signed_in(client, organizer):
    from tests.conftest import log_in

    log_in(client, organizer)
    return client


def error_next_to(page: str, field_id: str) -> str:
    """The error shown with a field: its text, checked to be the one the field points to
    (aria-describedby), and listed in the summary at the top with a link to the field."""
    marker = f'id="{field_id}-error">'
    assert marker in page, f"no error shown for {field_id}"
    start = page.index(marker) + len(marker)
    message = page[start : page.index("<", start)]
    field = re.escape(field_id)
    assert re.search(
        f'aria-describedby="[^"]*{field}-error" aria-invalid="true" id="{field}"', page
    )
    summary_start = page.index('class="error-summary"')
    summary = page[summary_start : page.index("</ul>", summary_start)]
    assert f'href="#{field_id}"' in summary
    return message


def value_of(page: str, name: str) -> str:
    match = re.search(f'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    if match is None:
        match = re.search(f'<textarea[^>]*name="{name}"[^>]*>\\r?\\n?([^<]*)</textarea>', page)
    assert match, f"no field {name}"
    return match[1]


def refused(client, organizer, **changes) -> str:
    response = client.post("/organizer/seminars/new", data=form_data(organizer, **changes))
    assert response.status_code == 422, response.status_code
    assert db.session.scalars(select(Seminar)).all() == []
    return response.text


def test_a_choice_question_needs_at_least_two_choices(signed_in, organizer):
    page = refused(signed_in, organizer, **{"questions-1-choices": "Vegetarisk"})
    assert error_next_to(page, "questions-1-choices") == (
        "En fråga med flera svarsalternativ behöver minst två: skriv ett per rad."
    )
    # The summary names which question, and what was typed stays.
    assert "Fråga 2 – Alternativ, ett per rad:" in page
    assert value_of(page, "questions-1-choices") == "Vegetarisk"
    assert value_of(page, "questions-1-text") == "Kost till fikat"


def test_the_same_choice_twice_is_not_two_choices(signed_in, organizer):
    page = refused(signed_in, organizer, **{"questions-0-choices": "Ja\nJa "})
    assert "minst två" in error_next_to(page, "questions-0-choices")


def test_choices_of_a_question_that_is_not_a_choice_are_not_checked(signed_in, organizer):
    response = signed_in.post(
        "/organizer/seminars/new",
        data=form_data(organizer, **{"questions-0-kind": "short_text", "questions-0-choices": ""}),
    )
    assert response.status_code == 303


def test_an_end_before_its_start(signed_in, organizer):
    page = refused(signed_in, organizer, ends_at=f"{YEAR}-03-18T12:30")
    assert error_next_to(page, "ends_at") == "Slutet måste vara efter starten."
    assert value_of(page, "ends_at") == f"{YEAR}-03-18T12:30"


@pytest.mark.parametrize(
    ("time", "shown"),
    [("12:30", "12.30"), ("16.45", "16.45")],
)
def test_a_program_time_outside_the_seminar(signed_in, organizer, time, shown):
    page = refused(signed_in, organizer, **{"program-2-time": time})
    assert error_next_to(page, "program-2-time") == (
        f"{shown} ligger utanför seminariet, som pågår 13.00–16.30."
    )
    assert "Programpunkt 3 – Tid:" in page
    assert value_of(page, "program-2-time") == time
    assert value_of(page, "program-2-title") == "Diskussion"


def test_program_times_at_the_start_and_end_are_within(signed_in, organizer):
    response = signed_in.post(
        "/organizer/seminars/new",
        data=form_data(organizer, **{"program-0-time": "13:00", "program-2-time": "16:30"}),
    )
    assert response.status_code == 303


def test_a_program_time_that_is_no_time(signed_in, organizer):
    page = refused(signed_in, organizer, **{"program-0-time": "kl 13"})
    assert error_next_to(page, "program-0-time") == "Skriv tiden som 13.00."
    assert value_of(page, "program-0-time") == "kl 13"


def test_a_program_row_needs_what_happens(signed_in, organizer):
    page = refused(signed_in, organizer, **{"program-3-time": "14:00", "program-3-who": "Anna"})
    assert error_next_to(page, "program-3-title") == (
        "Skriv vad som händer, till exempel Välkommen."
    )
    assert value_of(page, "program-3-who") == "Anna"


def test_a_speaker_row_needs_a_name(signed_in, organizer):
    page = refused(signed_in, organizer, **{"speakers-1-name": ""})
    assert error_next_to(page, "speakers-1-name") == "Skriv namnet på den som medverkar."
    assert value_of(page, "speakers-1-role") == "moderator"


def test_a_new_seminar_in_the_past_is_flagged(signed_in, organizer):
    last_year = YEAR - 2
    page = refused(
        signed_in,
        organizer,
        starts_at=f"{last_year}-03-18T13:00",
        ends_at=f"{last_year}-03-18T16:30",
        registration_closes_at="",
    )
    start = datetime(last_year, 3, 18, 12, 0, tzinfo=UTC)  # 13.00 in Stockholm
    assert error_next_to(page, "starts_at") == (
        f"{dates.when(start, 'sv')} har redan varit. Kontrollera datum och år."
    )
    assert value_of(page, "starts_at") == f"{last_year}-03-18T13:00"


def test_a_past_seminar_can_still_be_corrected(signed_in, organizer, seminar_factory):
    """Its saved start is in the past, and stays: fixing a typo afterwards is fine."""
    seminar = seminar_factory(
        organization=organizer.organizations[0],
        starts_at=datetime(YEAR - 2, 3, 18, 12, 0, tzinfo=UTC),
    )
    response = signed_in.post(
        f"/organizer/seminars/{seminar.id}/edit", data=edit_data(seminar, subtitle="Rättat")
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert seminar.subtitle == "Rättat"
    # Moving it to another past day is flagged like a new one.
    moved = signed_in.post(
        f"/organizer/seminars/{seminar.id}/edit",
        data=edit_data(seminar, starts_at=f"{YEAR - 2}-03-19T13:00"),
    )
    assert moved.status_code == 422
    assert "har redan varit" in error_next_to(moved.text, "starts_at")


def test_registration_closing_after_the_start_is_flagged(signed_in, organizer):
    page = refused(signed_in, organizer, registration_closes_at=f"{YEAR}-03-18T14:00")
    message = error_next_to(page, "registration_closes_at")
    assert message.startswith("Anmälan stänger efter att seminariet har börjat (")
    assert "13.00" in message and "lämna fältet tomt" in message
    assert value_of(page, "registration_closes_at") == f"{YEAR}-03-18T14:00"


def test_registration_opening_after_the_start_is_flagged(signed_in, organizer):
    page = refused(signed_in, organizer, registration_opens_at=f"{YEAR}-03-19T09:00")
    assert error_next_to(page, "registration_opens_at").startswith(
        "Anmälan skulle öppna först efter att seminariet har börjat ("
    )


def test_registration_may_close_at_the_start(signed_in, organizer):
    response = signed_in.post(
        "/organizer/seminars/new",
        data=form_data(organizer, registration_closes_at=f"{YEAR}-03-18T13:00"),
    )
    assert response.status_code == 303


def test_every_broken_rule_at_once_keeps_every_row(signed_in, organizer):
    """Several errors at once: each is shown at its field, nothing typed is lost, the
    blank rows stay for filling in."""
    page = refused(
        signed_in,
        organizer,
        ends_at=f"{YEAR}-03-18T12:00",
        **{"questions-0-choices": "Bara ett", "speakers-0-name": ""},
    )
    for field_id in ("ends_at", "questions-0-choices", "speakers-0-name"):
        error_next_to(page, field_id)
    assert value_of(page, "program-1-title") == "Fika"
    assert value_of(page, "speakers-0-affiliation") == "Tillitsdelegationen"
    assert 'name="program-3-title"' in page
    assert 'name="questions-2-text"' in page


def test_english_messages_too(client, organizer):
    from tests.conftest import log_in

    client.set_cookie("lang", "en")
    log_in(client, organizer)
    page = refused(client, organizer, **{"program-0-time": "09:00"})
    assert error_next_to(page, "program-0-time") == (
        "09:00 is outside the seminar, which runs 13:00–16:30."
    )
    assert "Program item 1 – Time:" in page


def test_a_cancelled_seminar_is_not_published_by_the_editor(signed_in, organizer, seminar_factory):
    seminar = seminar_factory(organization=organizer.organizations[0], status="cancelled")
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
    seminar.starts_at, seminar.ends_at = start, start + timedelta(hours=2)
    db.session.commit()
    response = signed_in.post(
        f"/organizer/seminars/{seminar.id}/edit", data=edit_data(seminar, publish="1")
    )
    assert response.status_code == 422
    assert "Ett inställt seminarium kan inte publiceras igen" in response.text
