"""The cached seminar page (seminars/pagecache.py): rendered once per version, and never
stale: every change to what the page shows is on the next view, in every language.

In production a process also reuses the page state it read for up to PAGE_STATE_MAX_AGE
seconds (the tests' apps read it on every view); the last tests cover that reuse."""

import re
import time as clock
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from flask import g, template_rendered
from sqlalchemy import func, insert, select, update

from seminars import signup
from seminars.extensions import db
from seminars.models import (
    Organization,
    ProgramItem,
    Question,
    QuestionKind,
    Registration,
    Seminar,
    SeminarStatus,
    Speaker,
)
from tests.conftest import attendee, register

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@contextmanager
def renders(app):
    """The templates rendered inside the block."""
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield rendered
    finally:
        template_rendered.disconnect(record, app)


def page(client, seminar) -> str:
    # The tests share one app context, so g outlives a request here; every real request
    # starts with an empty g (Flask-Babel keeps the locale there, Flask-WTF the CSRF token).
    g.__dict__.clear()
    response = client.get(f"/seminars/{seminar.slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_second_view_is_not_rendered_again_and_seats_stay_live(app, client, seminar_factory):
    seminar = seminar_factory(capacity=3)
    with renders(app) as rendered:
        assert "3 platser kvar" in page(client, seminar)
        assert "3 platser kvar" in page(client, seminar)
        register(seminar, attendee("a@example.org"))
        db.session.commit()
        assert "2 platser kvar" in page(client, seminar)
        register(seminar, attendee("b@example.org"))
        db.session.commit()
        assert "1 plats kvar" in page(client, seminar)
    # One full render; signups change only the number, filled in per view.
    assert rendered.count("public/seminar.html") == 1


def test_the_last_seat_turns_the_form_into_the_waiting_list(client, seminar_factory):
    seminar = seminar_factory(capacity=1)
    assert "Anmäl dig till väntelistan" not in page(client, seminar)
    register(seminar, attendee("a@example.org"))
    db.session.commit()
    full = page(client, seminar)
    assert "Fullbokat – väntelista öppen" in full
    assert "Anmäl dig till väntelistan" in full
    assert "platser kvar" not in full


def test_each_language_has_its_own_page(client, seminar_factory):
    seminar = seminar_factory(capacity=2)
    assert "2 platser kvar" in page(client, seminar)
    client.set_cookie("lang", "en")
    english = page(client, seminar)
    assert "2 seats left" in english and "platser" not in english


def _changes():
    """Edits an organiser can make, each with text that must appear after it."""

    def title(seminar):
        seminar.title = "Tillit i praktiken"
        return "Tillit i praktiken"

    def program(seminar):
        seminar.program_items.append(ProgramItem(position=9, starts_at=time(14, 30), title="Fika"))
        return "Fika"

    def speaker(seminar):
        seminar.speakers.append(Speaker(name="Laura Hartman", role="moderator"))
        db.session.flush()
        seminar.speakers[0].role = "samtalsledare"
        return "samtalsledare"

    def question(seminar):
        seminar.questions.append(Question(text="Vilken region arbetar du i?", position=5))
        return "Vilken region arbetar du i?"

    def cohost(seminar):
        seminar.cohosts.append(Organization(slug="mau", name="Malmö universitet"))
        return "Malmö universitet"

    def host_renamed(seminar):
        seminar.organization.name = "OFR – Offentliganställdas Förhandlingsråd"
        return "OFR – Offentliganställdas Förhandlingsråd"

    def capacity(seminar):
        seminar.capacity = 40
        return "40 platser kvar"

    def cancelled(seminar):
        seminar.status = "cancelled"
        seminar.cancellation_message = "Vi ses i vår i stället."
        return "Vi ses i vår i stället."

    return [title, program, speaker, question, cohost, host_renamed, capacity, cancelled]


@pytest.mark.parametrize("change", _changes(), ids=lambda change: change.__name__)
def test_every_change_shows_on_the_next_view(client, seminar_factory, change):
    seminar = seminar_factory(capacity=10)
    client.set_cookie("lang", "en")
    page(client, seminar)  # both languages cached before the change
    client.set_cookie("lang", "sv")
    before = page(client, seminar)
    expected = change(seminar)
    assert expected not in before
    db.session.commit()
    assert expected in page(client, seminar)


def test_a_renamed_cohost_shows_on_every_seminar_it_cohosts(client, seminar_factory):
    partner = Organization(slug="tillit", name="Tillitsdelegationen")
    first = seminar_factory(cohosts=[partner])
    second = seminar_factory(cohosts=[partner])
    assert "Tillitsdelegationen" in page(client, first) and "Tillitsdelegationen" in page(
        client, second
    )
    partner.name = "Tillitsdelegationen (SOU 2019:43)"
    db.session.commit()
    assert "Tillitsdelegationen (SOU 2019:43)" in page(client, first)
    assert "Tillitsdelegationen (SOU 2019:43)" in page(client, second)


def test_a_signup_does_not_count_as_a_change(seminar_factory):
    seminar = seminar_factory()
    version = seminar.content_version
    register(seminar, attendee())
    db.session.commit()
    db.session.refresh(seminar)
    assert seminar.content_version == version


def test_a_new_required_question_is_asked_and_checked_at_once(client, seminar_factory):
    seminar = seminar_factory()
    page(client, seminar)
    client.post(f"/seminars/{seminar.slug}/register", data={"name": "Bo", "email": "bo@x.org"})
    seminar.questions.append(Question(text="Kommun", required=True))
    db.session.commit()
    assert "Kommun" in page(client, seminar)
    response = client.post(
        f"/seminars/{seminar.slug}/register", data={"name": "Cia", "email": "cia@x.org"}
    )
    assert response.status_code == 422
    assert "Svara på frågan." in response.get_data(as_text=True)


def test_registration_closing_by_time_shows_without_any_change(client, seminar_factory):
    closes = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    seminar = seminar_factory(registration_closes_at=closes)
    assert "/register" in page(client, seminar)
    with time_machine.travel(closes + timedelta(minutes=1)):
        closed = page(client, seminar)
    assert "Anmälan till seminariet är stängd." in closed
    assert "/register" not in closed


def test_every_visitor_gets_their_own_csrf_token(app, seminar_factory):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production; read on every request
    seminar = seminar_factory(capacity=5)
    anna, bo = app.test_client(), app.test_client()
    with renders(app) as rendered:
        anna_token = TOKEN.search(page(anna, seminar)).group(1)
        bo_token = TOKEN.search(page(bo, seminar)).group(1)
    assert rendered.count("public/seminar.html") == 1  # Bo got the cached page
    assert anna_token != bo_token
    g.__dict__.clear()
    path = f"/seminars/{seminar.slug}/register"
    person = {"name": "Bo Berg", "email": "bo@example.org"}
    assert bo.post(path, data={**person, "csrf_token": anna_token}).status_code == 400
    assert bo.post(path, data={**person, "csrf_token": bo_token}).status_code == 200
    anna_signs_up = {"name": "Anna", "email": "anna@example.org", "csrf_token": anna_token}
    assert anna.post(path, data=anna_signs_up).status_code == 200


def test_with_debug_every_view_renders_the_template_again(app, client, seminar_factory):
    # `make run` serves with --debug: an edited template must show on the next view.
    app.debug = True
    seminar = seminar_factory(capacity=3)
    with renders(app) as rendered:
        assert "3 platser kvar" in page(client, seminar)
        assert "3 platser kvar" in page(client, seminar)
    assert rendered.count("public/seminar.html") == 2


def test_the_cache_keeps_the_most_recently_used_pages_only(app):
    from seminars.web.pagecache import PageCache

    pages, renders_of = PageCache(size=2), []

    def render(name):
        def make():
            renders_of.append(name)
            return f"<p>{name}</p>"

        return make

    with app.test_request_context():
        for name in ["a", "b", "a", "c", "a", "b"]:
            assert pages.page((name,), render(name), seats=5) == f"<p>{name}</p>"
    # "b" was the least recently used when "c" came, so it had to be rendered again.
    assert renders_of == ["a", "b", "c", "b"]


# Reuse of page states. "Elsewhere" is another process: it writes to the same database,
# and this process hears nothing of it.


def elsewhere(*statements) -> None:
    db.session.rollback()  # the test's own session must not hold SQLite's write lock
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(statement)


def a_new_version(seminar):
    table = Seminar.__table__
    return (
        update(table)
        .where(table.c.id == seminar.id)
        .values(content_version=table.c.content_version + 1)
    )


def a_required_question(seminar):
    return insert(Question.__table__).values(
        seminar_id=seminar.id,
        position=9,
        text="Kommun",
        help_text="",
        kind=QuestionKind.SHORT_TEXT,
        choices="",
        required=True,
        sensitive=False,
    )


def registrations(seminar) -> list[Registration]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Registration).where(Registration.seminar_id == seminar.id))
    )


@pytest.fixture
def reused_states(app):
    app.config["PAGE_STATE_MAX_AGE"] = 60  # read when the first view builds the store


def test_a_state_is_reused_until_it_is_max_age_old(app, client, seminar_factory, reused_states):
    from seminars.web import pagecache

    seminar = seminar_factory(capacity=3)
    assert "3 platser kvar" in page(client, seminar)
    seat = Seminar.__table__.c.seats_taken
    elsewhere(
        update(Seminar.__table__)
        .where(Seminar.__table__.c.id == seminar.id)
        .values(seats_taken=seat + 1)
    )
    assert "3 platser kvar" in page(client, seminar)  # a second later at most
    pagecache._page_states().max_age = 0.05
    clock.sleep(0.1)
    assert "2 platser kvar" in page(client, seminar)


def test_a_reused_state_costs_no_statement(app, client, seminar_factory, reused_states):
    from tests.test_query_counts import counting_statements

    seminar = seminar_factory()
    page(client, seminar)
    db.session.remove()
    with counting_statements() as statements:
        page(client, seminar)
    assert statements == []


def test_this_processs_edit_shows_at_once_while_states_are_reused(
    client, seminar_factory, reused_states
):
    seminar = seminar_factory(capacity=3)
    assert "Seminarium" in page(client, seminar)
    seminar.title = "Tillit i styrningen"
    db.session.commit()
    assert "Tillit i styrningen" in page(client, seminar)


def test_a_question_added_elsewhere_is_asked_although_the_state_was_older(
    client, seminar_factory, reused_states
):
    seminar = seminar_factory()
    assert "Kommun" not in page(client, seminar)
    elsewhere(a_required_question(seminar), a_new_version(seminar))
    path = f"/seminars/{seminar.slug}/register"
    response = client.post(path, data={"name": "Cia", "email": "cia@x.org"})
    assert response.status_code == 422
    assert "Svara på frågan." in response.get_data(as_text=True)
    assert registrations(seminar) == []
    question_id = db.session.scalar(select(Question.id).where(Question.seminar_id == seminar.id))
    answered = {"name": "Cia", "email": "cia@x.org", f"q{question_id}": "Malmö"}
    assert client.post(path, data=answered).status_code == 200
    assert [r.answers for r in registrations(seminar)] == [{str(question_id): "Malmö"}]


def test_a_signup_checked_against_an_older_page_is_checked_again(
    client, seminar_factory, reused_states
):
    # The form is valid for the page this process knew; the page changed since, without
    # a question this time: the signup is checked against the current page, then stored.
    seminar = seminar_factory()
    page(client, seminar)
    elsewhere(a_new_version(seminar))
    response = client.post(
        f"/seminars/{seminar.slug}/register", data={"name": "Bo", "email": "bo@x.org"}
    )
    assert response.status_code == 200
    assert [r.email for r in registrations(seminar)] == ["bo@x.org"]


def test_a_question_removed_elsewhere_is_not_held_against_anyone(
    client, seminar_factory, reused_states
):
    seminar = seminar_factory(questions=[Question(text="Kommun", required=True)])
    assert "Kommun" in page(client, seminar)
    elsewhere(
        Question.__table__.delete().where(Question.__table__.c.seminar_id == seminar.id),
        a_new_version(seminar),
    )
    response = client.post(
        f"/seminars/{seminar.slug}/register", data={"name": "Bo", "email": "bo@x.org"}
    )
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_a_seminar_cancelled_elsewhere_takes_no_signup(client, seminar_factory, reused_states):
    seminar = seminar_factory()
    page(client, seminar)
    table = Seminar.__table__
    elsewhere(
        update(table).where(table.c.id == seminar.id).values(status=SeminarStatus.CANCELLED),
        a_new_version(seminar),
    )
    response = client.post(
        f"/seminars/{seminar.slug}/register", data={"name": "Bo", "email": "bo@x.org"}
    )
    assert response.status_code == 409
    assert registrations(seminar) == []


def test_a_page_changed_again_and_again_asks_to_send_again(client, seminar_factory, monkeypatch):
    seminar = seminar_factory()

    def changed(*args, **kwargs):
        return signup.SignupOutcome(signup.Outcome.CHANGED)

    monkeypatch.setattr(signup, "sign_up", changed)
    data = {"name": "Bo Berg", "email": "bo@x.org"}
    response = client.post(f"/seminars/{seminar.slug}/register", data=data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Seminariet ändrades alldeles nyss." in html
    assert 'value="Bo Berg"' in html  # nothing typed is lost
