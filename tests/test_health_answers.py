"""Health questions on the attendee form (issue 13, item 6): a choice can be left
unanswered or cleared without JavaScript, and consent is asked only when the answer says
something about health; "Ingen särskild kost" needs none."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import Registration
from seminars.text import says_something_about_health
from tests.test_public import manage_path, post_signup

DIET = {
    "text": "Kost",
    "kind": "choice",
    "choices": "Ingen särskild kost\nVegetarisk\nLaktosfri",
    "sensitive": True,
}
CONSENT_ERROR = "Kryssa i rutan för samtycke"


@pytest.mark.parametrize(
    ("answer", "tells"),
    [
        ("", False),
        ("Ingen särskild kost", False),
        ("ingen  särskild", False),
        ("Inga särskilda behov.", False),
        ("Nej", False),
        ("no", False),  # a yes/no question's "no"
        ("No special diet", False),
        ("-", False),
        ("Vegetarisk", True),
        ("Ingen laktos", True),
        ("Ingen särskild kost men nötallergi", True),
        ("Rullstol", True),
        ("yes", True),
    ],
)
def test_which_answers_say_something_about_health(answer, tells):
    assert says_something_about_health(answer) is tells


@pytest.fixture
def seminar(seminar_factory):
    return seminar_factory(questions=[DIET])


def diet_field(seminar) -> str:
    return f"q{seminar.questions[0].id}"


def stored_answers() -> dict:
    return db.session.scalar(select(Registration.answers).order_by(Registration.id.desc()))


def radios(page: str, name: str) -> list[tuple[str, bool]]:
    """(value, checked) of each radio button of the question."""
    found = []
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page):
        found.append((re.search(r'value="([^"]*)"', tag).group(1), " checked" in tag))
    return found


def test_the_form_offers_no_answer_and_has_it_chosen_at_first(client, seminar):
    page = client.get(f"/seminars/{seminar.slug}").get_data(as_text=True)

    assert radios(page, diet_field(seminar)) == [
        ("Ingen särskild kost", False),
        ("Vegetarisk", False),
        ("Laktosfri", False),
        ("", True),
    ]
    assert "Inget svar" in page


def test_a_none_answer_needs_no_consent_and_is_kept(client, seminar):
    response = post_signup(client, seminar, **{diet_field(seminar): "Ingen särskild kost"})

    manage_path(response)
    assert stored_answers() == {str(seminar.questions[0].id): "Ingen särskild kost"}


def test_an_answer_about_health_still_needs_consent_and_keeps_the_input(client, seminar):
    response = post_signup(client, seminar, **{diet_field(seminar): "Laktosfri"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert CONSENT_ERROR in page
    assert ("Laktosfri", True) in radios(page, diet_field(seminar))


def test_no_answer_needs_no_consent(client, seminar):
    manage_path(post_signup(client, seminar, **{diet_field(seminar): ""}))

    assert stored_answers() == {}


def test_an_attendee_clears_their_health_answer_from_their_link(client, seminar):
    field = diet_field(seminar)
    path = manage_path(post_signup(client, seminar, **{field: "Vegetarisk", "health_consent": "y"}))
    assert stored_answers() == {str(seminar.questions[0].id): "Vegetarisk"}
    page = client.get(path).get_data(as_text=True)
    assert ("Vegetarisk", True) in radios(page, field)

    response = client.post(path, data={"name": "Åsa Plesner", "organization": "", field: ""})

    assert response.status_code == 303
    assert stored_answers() == {}
    page = client.get(path).get_data(as_text=True)
    assert ("", True) in radios(page, field)
    # Nothing about health is held any more, so the consent box is no longer ticked.
    assert re.search(r'<input[^>]*id="health_consent"[^>]*checked', page) is None
