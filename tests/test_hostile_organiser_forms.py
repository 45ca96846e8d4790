"""Hostile input in the organiser's forms (seminar editor, attendee import) never gives a 500
and comes back escaped; a hostile attendee, viewed by an organiser, stays plain text."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seminars.extensions import db
from tests.conftest import DIET_QUESTION, attendee, log_in, register
from tests.test_editor import form_data
from tests.test_hostile_input import HOSTILE_SETTINGS, hostile_text

# Tags the organiser templates never write themselves (check-in loads a script by src only).
# (The seminar page's JSON-LD block is a script element that is never run: its JSON is
# written with <, > and & escaped, so no input can end it early.)
MARKUP_FROM_INPUT = re.compile(
    r"<(img|svg|iframe|object)\b|<script(?![^>]*\b(src=|type=\"application/ld\+json\"))", re.I
)
EDITOR_TEXT_FIELDS = [
    "title",
    "subtitle",
    "slug",
    "description",
    "venue_name",
    "venue_address",
    "online_info",
    "capacity",
    "starts_at",
    "contact_name",
    "contact_email",
    "program-0-time",
    "program-0-title",
    "program-2-who",
    "speakers-0-name",
    "speakers-1-role",
    "speakers-1-affiliation",
    "questions-0-text",
    "questions-0-choices",
    "reminder_offsets",
    "attendance_check_days",
]


@pytest.fixture
def organizer(organizer_factory):
    """One organiser for all of a test's examples: the app context, and with it Flask-Login's
    cached user, lasts the whole test."""
    return organizer_factory()


@pytest.fixture
def seminar(organizer, seminar_factory):
    return seminar_factory(organization=organizer.organizations[0])


def assert_escaped(response, statuses=frozenset({200, 303, 422})) -> None:
    assert response.status_code in statuses, response.status_code
    body = response.get_data(as_text=True)
    assert not MARKUP_FROM_INPUT.search(body), MARKUP_FROM_INPUT.search(body).group(0)
    assert "Traceback" not in body


@given(field=st.sampled_from(EDITOR_TEXT_FIELDS), value=hostile_text)
@HOSTILE_SETTINGS
def test_seminar_editor_survives_any_text(client, organizer, field, value):
    log_in(client, organizer)
    response = client.post("/organizer/seminars/new", data=form_data(organizer, **{field: value}))
    assert_escaped(response)
    if response.status_code == 303:
        # Saved: the organiser's preview shows it as the public will, escaped and sanitised.
        preview = response.headers["Location"].replace("/edit", "/preview")
        assert_escaped(client.get(preview), statuses={200})


@given(text=hostile_text)
@HOSTILE_SETTINGS
def test_import_preview_survives_any_pasted_text(client, organizer, seminar, text):
    log_in(client, organizer)
    response = client.post(
        f"/organizer/seminars/{seminar.id}/attendees/import",
        data={"text": text, "source": "paste"},
    )
    assert_escaped(response, statuses={200, 422})


@given(content=st.one_of(st.binary(max_size=2000), hostile_text.map(str.encode)))
@HOSTILE_SETTINGS
def test_import_preview_survives_any_csv_file(client, organizer, seminar, content):
    log_in(client, organizer)
    response = client.post(
        f"/organizer/seminars/{seminar.id}/attendees/import",
        data={"csv_file": (io.BytesIO(content), "deltagare.csv"), "source": "csv", "text": ""},
        content_type="multipart/form-data",
    )
    assert_escaped(response, statuses={200, 422})


HOSTILE_NAME = '<img src=x onerror=alert("name")>'
HOSTILE_ORGANISATION = "<script>alert('org')</script>"
HOSTILE_DIET = '"><svg onload=alert("diet")>'


def test_hostile_attendee_is_plain_text_on_every_organiser_page(
    client, organizer_factory, seminar_factory
):
    organizer = organizer_factory()
    seminar = seminar_factory(organization=organizer.organizations[0], questions=[DIET_QUESTION])
    diet = seminar.questions[0]
    diet.kind = "short_text"
    registration = register(
        seminar,
        attendee(
            name=HOSTILE_NAME,
            organization=HOSTILE_ORGANISATION,
            answers={str(diet.id): HOSTILE_DIET},
        ),
    )
    db.session.commit()
    log_in(client, organizer)
    base = f"/organizer/seminars/{seminar.id}"
    pages = [
        f"{base}/attendees",
        f"{base}/attendees/{registration.id}",
        f"{base}/checkin",
        f"{base}/checkin/{registration.id}",
        f"{base}/exports/list",
        f"{base}/exports/badges",
        f"{base}/exports/catering",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert not MARKUP_FROM_INPUT.search(body), path
    roster = client.get(f"{base}/attendees").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(" in roster
    assert "&lt;script&gt;alert(" in roster


def test_hostile_description_is_sanitised_in_the_organisers_preview(
    client, organizer_factory, seminar_factory
):
    organizer = organizer_factory()
    seminar = seminar_factory(
        organization=organizer.organizations[0],
        description="<script>alert(1)</script>\n\n[x](javascript:alert(2))\n\n**fika**",
    )
    log_in(client, organizer)
    body = client.get(f"/organizer/seminars/{seminar.id}/preview").get_data(as_text=True)
    assert "<strong>fika</strong>" in body
    assert not MARKUP_FROM_INPUT.search(body)
    assert not re.search(r"href=[\"']?javascript:", body, re.I)


def _import_csv(client, seminar, content: bytes):
    return client.post(
        f"/organizer/seminars/{seminar.id}/attendees/import",
        data={"csv_file": (io.BytesIO(content), "deltagare.csv"), "source": "csv", "text": ""},
        content_type="multipart/form-data",
    )


def test_csv_with_lone_carriage_returns_is_read(client, organizer, seminar):
    # Excel for Mac ends CSV lines with CR only; this used to be a 500 (csv.Error).
    log_in(client, organizer)
    content = b"Namn;E-post\rKarin Lind;karin@example.org\rJonas Ek;jonas@example.org\r"
    response = _import_csv(client, seminar, content)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "karin@example.org" in page and "jonas@example.org" in page


def test_csv_with_a_giant_field_is_unreadable_not_a_crash(client, organizer, seminar):
    log_in(client, organizer)
    content = b"Karin Lind;karin@example.org\n" + b"x" * 200_000 + b"\n"
    response = _import_csv(client, seminar, content)
    assert response.status_code == 200
    assert "karin@example.org" in response.get_data(as_text=True)
