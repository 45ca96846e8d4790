"""The public pages in Swedish and English: list, seminar, signup, attendee page, calendars."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import event, func, select

from seminars import signup
from seminars.database import READ_ONLY
from seminars.extensions import db
from seminars.models import Registration, SeminarStatus, Status
from tests.conftest import DIET_QUESTION, attendee, register

SIGNUP = {"name": "Åsa Plesner", "email": "asa@example.org", "organization": "Balans"}


def english(client):
    client.set_cookie("lang", "en")
    return client


def post_signup(client, seminar, **fields):
    return client.post(f"/seminars/{seminar.slug}/register", data={**SIGNUP, **fields})


def manage_path(response) -> str:
    """A signup is answered with "check your email"; the manage link is in that email (its
    text is tested in test_delivery.py). Returns the link of the newest registration."""
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:500]
    assert "Titta i din e-post" in page or "Check your email" in page
    assert "Location" not in response.headers
    registration = db.session.scalar(select(Registration).order_by(Registration.id.desc()))
    path = f"/r/{signup.manage_token(registration)}"
    assert re.fullmatch(r"/r/[A-Za-z0-9_-]{43}", path)
    return path


def test_list_shows_upcoming_in_swedish_with_availability(client, seminar_factory):
    # A Wednesday in March at 13.00 Stockholm time (UTC+1 before DST).
    starts = datetime(2036, 3, 12, 12, 0, tzinfo=UTC)
    seminar_factory(title="Inflytande och hälsa", starts_at=starts, capacity=12)
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="sv">' in page
    assert "Inflytande och hälsa" in page
    assert "onsdag 12 mars 2036 kl. 13.00–16.00" in page
    assert "12 platser kvar" in page


def test_list_in_english(client, seminar_factory):
    seminar_factory(title="Trust", starts_at=datetime(2036, 3, 12, 12, 0, tzinfo=UTC), capacity=1)
    page = english(client).get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Wednesday 12 March 2036, 13:00–16:00" in page
    assert "1 seat left" in page


def test_list_states_full_closed_and_past(client, seminar_factory):
    full = seminar_factory(title="Full", capacity=1)
    register(full, attendee())
    seminar_factory(title="Closed", registration_closes_at=datetime.now(UTC) - timedelta(days=1))
    past = datetime.now(UTC) - timedelta(days=30)
    seminar_factory(title="Last year", starts_at=past)
    seminar_factory(title="Secret draft", status=SeminarStatus.DRAFT)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Fullbokat – väntelista öppen" in page
    assert "Anmälan stängd" in page
    assert "Tidigare seminarier" in page and "Last year" in page
    assert "Secret draft" not in page


def test_a_registration_opening_later_is_announced_on_the_list_and_the_page(
    client, seminar_factory
):
    opens = datetime(2036, 3, 2, 8, 0, tzinfo=UTC)  # 09.00 in Stockholm
    seminar = seminar_factory(starts_at=opens + timedelta(days=30), registration_opens_at=opens)
    for path in ("/", f"/seminars/{seminar.slug}"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Anmälan öppnar söndag 2 mars 2036 kl. 09.00" in response.get_data(as_text=True)


def test_seminar_page_shows_what_a_person_needs(client, seminar_factory):
    seminar = seminar_factory(
        description="Det bjuds på **fika** i pausen.\n\n<script>alert(1)</script>",
        questions=[DIET_QUESTION],
    )
    page = client.get(f"/seminars/{seminar.slug}").get_data(as_text=True)
    assert "<strong>fika</strong>" in page
    assert "<script>alert" not in page
    for expected in ("Aulan", "Drottninggatan 71B", "Ewa-Marie Siwerson", "10 platser kvar"):
        assert expected in page
    assert 'name="name"' in page and 'autocomplete="email"' in page
    assert "Kost och tillgänglighet (frivilligt)" in page
    assert "Integritetsskyddsmyndigheten" in page


def test_draft_seminar_is_not_public(client, seminar_factory):
    seminar = seminar_factory(status=SeminarStatus.DRAFT)
    assert client.get(f"/seminars/{seminar.slug}").status_code == 404
    assert post_signup(client, seminar).status_code == 404


def test_signup_asks_to_check_email_whose_link_opens_attendee_page(client, seminar_factory):
    seminar = seminar_factory()
    page = client.get(manage_path(post_signup(client, seminar))).get_data(as_text=True)
    assert "Du är anmäld" in page
    assert "Åsa Plesner" in page
    registration = db.session.scalar(select(Registration))
    assert (registration.email_key, registration.status, registration.language) == (
        "asa@example.org",
        Status.CONFIRMED,
        "sv",
    )


def test_signup_in_english_remembers_language(client, seminar_factory):
    seminar = seminar_factory()
    page = english(client).get(manage_path(post_signup(client, seminar))).get_data(as_text=True)
    assert "You are registered" in page
    assert db.session.scalar(select(Registration.language)) == "en"


def test_full_seminar_puts_signup_on_waiting_list_with_position(client, seminar_factory):
    seminar = seminar_factory(capacity=1)
    register(seminar, attendee("first@example.org"))
    db.session.commit()
    page = client.get(manage_path(post_signup(client, seminar))).get_data(as_text=True)
    assert "Du står på väntelistan – plats 1 av 1" in page


def test_full_seminar_without_waiting_list_says_fully_booked(client, seminar_factory):
    seminar = seminar_factory(capacity=1, waitlist_enabled=False)
    register(seminar, attendee("first@example.org"))
    db.session.commit()
    assert "Seminariet är fullbokat." in client.get(f"/seminars/{seminar.slug}").get_data(
        as_text=True
    )
    response = post_signup(client, seminar)
    assert response.status_code == 409
    assert db.session.scalar(select(func.count(Registration.id))) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-address"}, "Skriv en e-postadress"),
        ({"name": ""}, "Skriv ditt namn."),
        ({"name": "Anna\r\nBcc: evil@example.org"}, "på en rad"),
        ({"name": "A" * 201}, "längre än 200 tecken"),
        ({"organization": "x\x00y"}, "på en rad"),
    ],
    ids=["bad-email", "no-name", "newline-in-name", "too-long", "nul"],
)
def test_bad_input_is_shown_back_with_a_message_and_nothing_is_lost(
    client, seminar_factory, fields, message
):
    seminar = seminar_factory()
    response = post_signup(
        client,
        seminar,
        **{**fields, "organization": fields.get("organization", "Nyköpings kommun")},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'class="error-summary"' in page
    assert 'aria-invalid="true"' in page
    if "organization" not in fields:
        assert 'value="Nyköpings kommun"' in page
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_html_in_a_name_is_escaped_on_the_attendee_page(client, seminar_factory):
    seminar = seminar_factory()
    page = client.get(manage_path(post_signup(client, seminar, name="<b>Anna</b>"))).get_data(
        as_text=True
    )
    assert "&lt;b&gt;Anna&lt;/b&gt;" in page and "<b>Anna</b>" not in page


def test_health_answers_need_consent(client, seminar_factory):
    seminar = seminar_factory(questions=[DIET_QUESTION])
    field = f"q{seminar.questions[0].id}"
    refused = post_signup(client, seminar, **{field: "Glutenfri"})
    assert refused.status_code == 422
    assert "Kryssa i rutan för samtycke" in refused.get_data(as_text=True)
    accepted = post_signup(client, seminar, **{field: "Glutenfri", "health_consent": "y"})
    manage_path(accepted)
    assert db.session.scalar(select(Registration.answers)) == {
        str(seminar.questions[0].id): "Glutenfri"
    }


def test_required_question_and_invalid_choice(client, seminar_factory):
    seminar = seminar_factory(
        questions=[{"text": "På plats?", "kind": "choice", "choices": "Ja\nNej", "required": True}]
    )
    field = f"q{seminar.questions[0].id}"
    assert post_signup(client, seminar).status_code == 422
    assert post_signup(client, seminar, **{field: "Kanske"}).status_code == 422
    manage_path(post_signup(client, seminar, **{field: "Ja"}))


def test_same_email_again_sends_link_and_reveals_nothing(client, seminar_factory):
    seminar = seminar_factory()
    manage_path(post_signup(client, seminar, organization="Hemlig organisation"))
    again = post_signup(
        client, seminar, email="ASA@example.org", name="Someone else", organization=""
    )
    page = again.get_data(as_text=True)
    assert again.status_code == 200
    assert "Titta i din e-post" in page
    assert "Hemlig organisation" not in page and "Åsa Plesner" not in page
    assert db.session.scalar(select(func.count(Registration.id))) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"status": SeminarStatus.CANCELLED, "cancellation_message": "Talaren är sjuk."},
        {"registration_closes_at": datetime.now(UTC) - timedelta(hours=1)},
    ],
    ids=["cancelled", "closed"],
)
def test_no_signup_form_when_closed_or_cancelled(client, seminar_factory, fields):
    seminar = seminar_factory(**fields)
    page = client.get(f"/seminars/{seminar.slug}").get_data(as_text=True)
    assert 'name="email"' not in page
    assert ("Seminariet är inställt" in page) or ("Anmälan till seminariet är stängd" in page)
    assert post_signup(client, seminar).status_code == 409
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_attendee_changes_answers(client, seminar_factory):
    seminar = seminar_factory()
    path = manage_path(post_signup(client, seminar))
    response = client.post(path, data={"name": "Åsa P.", "organization": "Tankesmedjan Balans"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dina svar är sparade." in page
    assert 'value="Tankesmedjan Balans"' in page


def test_attendee_cancels_with_confirmation_and_first_waiting_moves_up(client, seminar_factory):
    seminar = seminar_factory(capacity=1)
    path = manage_path(post_signup(client, seminar))
    waiting = register(seminar, attendee("next@example.org"))
    db.session.commit()
    confirm_page = client.get(f"{path}/cancel").get_data(as_text=True)
    assert "Ja, avboka mig" in confirm_page
    assert db.session.get(Registration, waiting.id).status == Status.WAITING
    response = client.post(f"{path}/cancel")
    assert response.status_code == 303
    assert "Din anmälan är avbokad" in client.get(path).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).status == Status.CONFIRMED


def test_attendee_deletes_own_data(client, seminar_factory):
    seminar = seminar_factory()
    path = manage_path(post_signup(client, seminar))
    page = client.post(f"{path}/delete").get_data(as_text=True)
    assert "Dina uppgifter är raderade" in page
    registration = db.session.scalar(select(Registration))
    assert registration.email == "" and registration.name == ""
    assert client.get(path).status_code == 404


def test_unknown_token_is_404_and_pages_never_leak_the_token(client, seminar_factory):
    assert client.get("/r/" + "x" * 43).status_code == 404
    seminar = seminar_factory()
    response = client.get(manage_path(post_signup(client, seminar)))
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_seminar_ics_has_stockholm_time_in_utc(client, seminar_factory):
    starts = datetime(2036, 6, 10, 11, 0, tzinfo=UTC)  # 13.00 in Stockholm (summer time)
    seminar = seminar_factory(title="Tillit", starts_at=starts)
    response = client.get(f"/seminars/{seminar.slug}.ics")
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["METHOD"]) == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == starts
    assert str(event["SUMMARY"]) == "Tillit"
    assert "Drottninggatan 71B" in str(event["LOCATION"])


def test_calendar_feed_lists_upcoming_published(client, seminar_factory):
    seminar_factory(title="En")
    seminar_factory(title="Två")
    seminar_factory(title="Utkast", status=SeminarStatus.DRAFT)
    calendar = Calendar.from_ical(client.get("/calendar.ics").data)
    assert sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT")) == ["En", "Två"]


def test_language_switch_is_remembered_and_only_redirects_locally(client, seminar_factory):
    response = client.get("/language/en?next=/seminars/x")
    assert response.headers["Location"] == "/seminars/x"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    assert client.get("/language/sv?next=//evil.example").headers["Location"] == "/"


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


@pytest.mark.parametrize(("lang", "text"), [("sv", "Sidan finns inte"), ("en", "Page not found")])
def test_not_found_page_in_both_languages(client, lang, text):
    client.set_cookie("lang", lang)
    response = client.get("/seminars/finns-inte")
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


def test_a_signup_holds_the_write_lock_only_for_the_write(client, seminar_factory):
    """SQLite: the form is read and checked as a reader, and a refused signup's page is
    rendered as one, so a burst of refusals never queues behind SQLite's write lock."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks only the seminar's row, and only in the write")
    seminar = seminar_factory(capacity=1, waitlist_enabled=False)
    register(seminar, attendee("first@example.org"))
    db.session.commit()
    path = f"/seminars/{seminar.slug}/register"
    db.session.remove()  # the test's own transaction must not be the one the view uses
    begun = []

    def record(connection):
        begun.append("read" if connection.get_execution_options().get(READ_ONLY) else "write")

    event.listen(db.engine, "begin", record)
    try:
        response = client.post(path, data=SIGNUP)
    finally:
        event.remove(db.engine, "begin", record)
    assert response.status_code == 409
    # Reads to check the form, the signup's one write (refused: full), the page re-shown.
    assert begun.count("write") == 1
    assert begun[0] == "read" and begun[-1] == "read"
