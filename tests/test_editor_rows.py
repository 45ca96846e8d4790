"""The seminar editor without JavaScript: program items, speakers and questions are rows of
their own fields, added, moved and removed by buttons of the one editor form that bring it
back with everything typed; "Save", "Save and preview" and "Save and publish" save the same
form, so publishing never loses an edit. (static/editor.js does the same in place:
tests/browser/test_editor_flow.py.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import AuditEvent, ProgramItem, Seminar, SeminarStatus, Speaker
from tests.conftest import clear_database, log_in, make_app
from tests.test_editor import edit_data, form_data
from tests.test_editor_validation import value_of


@pytest.fixture
def organizer(organizer_factory, organization_factory):
    return organizer_factory(organization_factory("OFR"))


@pytest.fixture
def signed_in(client, organizer):
    log_in(client, organizer)
    return client


def new_seminar(client, organizer, **changes):
    return client.post("/organizer/seminars/new", data=form_data(organizer, **changes))


def nothing_saved() -> bool:
    return db.session.scalars(select(Seminar)).all() == []


def test_add_more_program_rows_keeps_everything_typed(signed_in, organizer):
    response = new_seminar(signed_in, organizer, row_action="program-add", title="Halvklart")
    assert response.status_code == 200
    page = response.text
    # Three more empty rows after the four posted, and nothing lost.
    assert 'name="program-6-title"' in page and 'name="program-7-title"' not in page
    assert value_of(page, "program-0-title") == "Välkommen"
    assert value_of(page, "title") == "Halvklart"
    assert value_of(page, "speakers-1-name") == "Pia Sehm"
    assert "error-summary" not in page
    assert nothing_saved()


def test_add_buttons_bring_the_organiser_back_to_their_rows(signed_in):
    page = signed_in.get("/organizer/seminars/new").text
    for rows in ("program", "speakers", "questions"):
        button = re.search(f'<button[^>]*value="{rows}-add"[^>]*>', page)[0]
        assert f'formaction="#{rows}-rows"' in button
        assert f'id="{rows}-rows"' in page


def test_a_new_seminar_starts_with_a_few_empty_rows(signed_in):
    page = signed_in.get("/organizer/seminars/new").text
    assert 'name="program-2-title"' in page and 'name="program-3-title"' not in page
    assert 'name="speakers-1-name"' in page and 'name="speakers-2-name"' not in page
    assert 'name="questions-1-text"' in page


def test_move_a_program_row_up_then_save_in_that_order(signed_in, organizer):
    moved = new_seminar(signed_in, organizer, row_action="program-2-up")
    assert moved.status_code == 200
    page = moved.text
    assert [value_of(page, f"program-{n}-title") for n in range(3)] == [
        "Välkommen",
        "Diskussion",
        "Fika",
    ]
    # The time moved with its row.
    assert value_of(page, "program-1-time") == "15.00"
    assert nothing_saved()

    data = form_data(organizer)
    for field in ("time", "title", "who"):
        data[f"program-1-{field}"] = value_of(page, f"program-1-{field}")
        data[f"program-2-{field}"] = value_of(page, f"program-2-{field}")
    assert new_seminar(signed_in, organizer, **data).status_code == 303
    seminar = db.session.scalars(select(Seminar)).one()
    assert [(p.starts_at, p.title) for p in seminar.program_items] == [
        (time(13, 0), "Välkommen"),
        (time(15, 0), "Diskussion"),
        (None, "Fika"),
    ]


def test_move_down_and_the_ends_stay_put(signed_in, organizer):
    page = new_seminar(signed_in, organizer, row_action="speakers-0-down").text
    assert [value_of(page, f"speakers-{n}-name") for n in range(2)] == ["Pia Sehm", "Anna Lexelius"]
    # Moving the first row up changes nothing (and the button is not shown there).
    page = new_seminar(signed_in, organizer, row_action="speakers-0-up").text
    assert value_of(page, "speakers-0-name") == "Anna Lexelius"


def test_remove_a_row(signed_in, organizer):
    page = new_seminar(signed_in, organizer, row_action="speakers-0-remove").text
    assert value_of(page, "speakers-0-name") == "Pia Sehm"
    assert 'name="speakers-1-name"' not in page
    # Removing the only row leaves an empty one to fill in.
    data = form_data(organizer, row_action="speakers-0-remove")
    for field in ("name", "role", "affiliation"):
        del data[f"speakers-1-{field}"]
    page = signed_in.post("/organizer/seminars/new", data=data).text
    assert value_of(page, "speakers-0-name") == ""


def test_add_another_question_without_saving(signed_in, organizer):
    page = new_seminar(signed_in, organizer, row_action="questions-add").text
    assert 'name="questions-3-text"' in page
    assert value_of(page, "questions-1-text") == "Kost till fikat"
    assert nothing_saved()


@pytest.mark.parametrize("action", ["program-999-up", "nonsense", "program-1-sideways"])
def test_a_strange_row_action_is_no_harm(signed_in, organizer, action):
    response = new_seminar(signed_in, organizer, row_action=action)
    assert response.status_code in (200, 303)


def test_empty_rows_are_left_out(signed_in, organizer):
    assert new_seminar(signed_in, organizer).status_code == 303
    seminar = db.session.scalars(select(Seminar)).one()
    assert len(seminar.program_items) == 3
    assert db.session.scalar(select(ProgramItem).where(ProgramItem.title == "")) is None
    assert [s.name for s in db.session.scalars(select(Speaker))] == ["Anna Lexelius", "Pia Sehm"]


def _whole_minutes_seminar(seminar_factory, organizer, **fields):
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=10)
    return seminar_factory(organization=organizer.organizations[0], starts_at=start, **fields)


def test_save_and_publish_keeps_the_unsaved_edit(signed_in, organizer, seminar_factory):
    seminar = _whole_minutes_seminar(seminar_factory, organizer, status=SeminarStatus.DRAFT)
    data = edit_data(seminar, title="Rubriken som ännu inte sparats", publish="1")
    data["program-0-title"] = "Välkommen"
    response = signed_in.post(f"/organizer/seminars/{seminar.id}/edit", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/organizer/seminars/{seminar.id}/edit"
    db.session.expire_all()
    assert seminar.status == SeminarStatus.PUBLISHED
    assert seminar.title == "Rubriken som ännu inte sparats"
    public = signed_in.get(f"/seminars/{seminar.slug}").text
    assert "Rubriken som ännu inte sparats" in public and "Välkommen" in public
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["edited", "published"]
    assert "Sparat och publicerat" in signed_in.get(response.headers["Location"]).text


def test_a_new_seminar_can_be_published_at_once(signed_in, organizer):
    response = new_seminar(signed_in, organizer, publish="1")
    assert response.status_code == 303
    seminar = db.session.scalars(select(Seminar)).one()
    assert seminar.status == SeminarStatus.PUBLISHED


def test_a_refused_publish_saves_nothing(signed_in, organizer, seminar_factory):
    seminar = _whole_minutes_seminar(seminar_factory, organizer, status=SeminarStatus.DRAFT)
    data = edit_data(seminar, title="", publish="1")
    response = signed_in.post(f"/organizer/seminars/{seminar.id}/edit", data=data)
    assert response.status_code == 422
    db.session.expire_all()
    assert seminar.status == SeminarStatus.DRAFT


def test_save_and_preview_shows_the_public_page_of_the_draft(signed_in, organizer, seminar_factory):
    seminar = _whole_minutes_seminar(seminar_factory, organizer, status=SeminarStatus.DRAFT)
    data = edit_data(seminar, preview="1", subtitle="Förhandsgranskad")
    data.update({"program-0-time": "", "program-0-title": "Mingel", "program-0-who": "Alla"})
    response = signed_in.post(f"/organizer/seminars/{seminar.id}/edit", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/organizer/seminars/{seminar.id}/preview"
    preview = signed_in.get(response.headers["Location"]).text
    # The public page's own template: program, the signup form, and the draft banner.
    assert "Förhandsgranskad" in preview
    assert (
        '<span class="what">Mingel</span>' in preview and '<span class="who">Alla</span>' in preview
    )
    assert 'action="/seminars/' in preview and 'name="email"' in preview
    assert 'class="preview-banner"' in preview
    # The public address stays hidden until it is published.
    assert signed_in.get(f"/seminars/{seminar.slug}").status_code == 404


def test_a_published_seminar_has_no_publish_button(signed_in, organizer, seminar_factory):
    seminar = _whole_minutes_seminar(seminar_factory, organizer)
    page = signed_in.get(f"/organizer/seminars/{seminar.id}/edit").text
    assert 'name="publish"' not in page
    assert 'name="preview"' in page and 'name="save"' in page
    assert f'action="/organizer/seminars/{seminar.id}/publish"' not in page


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.in_template = 0

    def handle_starttag(self, tag, attrs):
        if tag == "template":
            self.in_template += 1
        elif not self.in_template:
            self.ids += [value for name, value in attrs if name == "id"]

    def handle_endtag(self, tag):
        if tag == "template":
            self.in_template -= 1


@pytest.fixture
def csrf_client(database_url, organizer_factory):
    """With CSRF on, as in production: every form on the page carries its token."""
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        client = app.test_client()
        organizer = organizer_factory()
        log_in(client, organizer)
        yield client, organizer
        clear_database()


def test_every_id_on_the_editor_page_is_unique(csrf_client, seminar_factory):
    """Issue 14, item 5: the CSRF field of each small form used to repeat id="csrf_token"."""
    client, organizer = csrf_client
    seminar = _whole_minutes_seminar(seminar_factory, organizer)
    page = client.get(f"/organizer/seminars/{seminar.id}/edit").text
    assert page.count('name="csrf_token"') >= 3
    parser = _Ids()
    parser.feed(page)
    repeated = sorted({i for i in parser.ids if parser.ids.count(i) > 1})
    assert repeated == []
    assert "csrf_token" in parser.ids  # the editor form's own, once
