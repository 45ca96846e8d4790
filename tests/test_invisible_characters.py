"""Names and organisations with invisible format characters (issue 14, item 9).

A right-to-left override (U+202E) or another invisible format character in a name shows as
nothing, yet reorders or hides what an attendee list, a badge or an export shows. They are
refused, with a message next to the field, wherever a name or an organisation comes in:
the public signup, the attendee's own edit, an organiser's addition and the import. Real
letters of every script stay as typed. One rule: `seminars.text.has_invisible_characters`.
"""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import func, select

from seminars import signup
from seminars.extensions import db
from seminars.models import Registration
from seminars.organising.importing import Problem, parse_pasted
from seminars.text import has_invisible_characters
from tests.conftest import attendee, log_in, register

RLO, LRE, PDF, RLI, PDI = "\u202e", "\u202a", "\u202c", "\u2067", "\u2069"
ZWSP, ZWNJ, ZWJ, BOM, LRM, RLM, ALM = (
    "\u200b",
    "\u200c",
    "\u200d",
    "\ufeff",
    "\u200e",
    "\u200f",
    "\u061c",
)

# Names people have, as they write them.
REAL_NAMES = [
    "Åsa Öberg",
    "Zoë Ångström-Lindqvist",
    "Rene\u0301e O\u0308berg",  # accents as combining marks (decomposed)
    f"محمد حسین{ZWNJ}زاده",  # Persian, with the zero-width non-joiner the surname needs
    "فاطمة الزهراء",  # Arabic
    "דוד בן־גוריון",  # Hebrew
    "王小明",  # Chinese
    "佐藤 花子",  # Japanese
    "김민준",  # Korean
    "Ψάπφω Παπαδοπούλου",  # Greek
    "Ольга Иванова",  # Cyrillic
    f"अक्{ZWJ}षय कुमार",  # Devanagari: a zero-width joiner after the virama
    "Jürgen Weiß (Vårdförbundet)",
]
DISGUISED = {
    "right-to-left override": f"Anna {RLO}dniL",
    "left-to-right embedding": f"{LRE}Anna Lind{PDF}",
    "right-to-left isolate": f"Anna {RLI}Lind{PDI}",
    "zero-width space": f"Anna{ZWSP}Lind",
    "byte order mark": f"{BOM}Anna Lind",
    "left-to-right mark": f"Anna Lind{LRM}",
    "right-to-left mark": f"{RLM}Anna Lind",
    "Arabic letter mark": f"Anna{ALM} Lind",
    "joiner in Latin": f"An{ZWNJ}na Lind",
    "zero-width joiner in Latin": f"Anna{ZWJ}Lind",
    "non-joiner at the start": f"{ZWNJ}حسین",
    "soft hyphen": "Anna Lind\u00ad",
}


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_names_of_every_script_have_no_invisible_characters(name):
    assert not has_invisible_characters(name)


@pytest.mark.parametrize("name", list(DISGUISED.values()), ids=list(DISGUISED))
def test_format_characters_that_disguise_a_name_are_found(name):
    assert has_invisible_characters(name)


MESSAGE = "Här finns osynliga tecken som ändrar hur texten visas"


def _signup(client, seminar, **fields):
    data = {"name": "Anna Lind", "email": "anna@example.org", "organization": "Vision"}
    return client.post(f"/seminars/{seminar.slug}/register", data={**data, **fields})


@pytest.mark.parametrize("field", ["name", "organization"])
def test_signup_refuses_them_next_to_the_field_and_keeps_what_was_typed(
    client, seminar_factory, field
):
    seminar = seminar_factory()
    response = _signup(client, seminar, **{field: DISGUISED["right-to-left override"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="error" id="{field}-error">{MESSAGE}' in page
    assert 'value="anna@example.org"' in page  # nothing typed is lost
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_signup_keeps_names_of_every_script_as_typed(client, seminar_factory):
    seminar = seminar_factory(capacity=len(REAL_NAMES))
    for number, name in enumerate(REAL_NAMES):
        organization = REAL_NAMES[-1 - number]
        response = _signup(
            client, seminar, name=name, organization=organization, email=f"p{number}@example.org"
        )
        assert response.status_code == 200, name
    stored = db.session.execute(
        select(Registration.name, Registration.organization).order_by(Registration.id)
    ).all()
    # As typed, after the NFC normalisation every text field gets (é, ö composed).
    expected = [unicodedata.normalize("NFC", name) for name in REAL_NAMES]
    assert [row.name for row in stored] == expected
    assert [row.organization for row in stored] == expected[::-1]


def test_attendee_edit_refuses_them(client, seminar_factory):
    seminar = seminar_factory()
    registration = register(seminar, attendee("anna@example.org", name="Anna Lind"))
    db.session.commit()
    path = f"/r/{signup.manage_token(registration)}"
    response = client.post(path, data={"name": f"Anna {RLI}Lind{PDI}", "organization": ""})
    assert response.status_code == 422
    assert MESSAGE in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).name == "Anna Lind"


def test_organiser_adding_a_person_is_refused_them(
    client, seminar_factory, organizer_factory, organization_factory
):
    organization = organization_factory()
    seminar = seminar_factory(organization=organization)
    log_in(client, organizer_factory(organization))
    response = client.post(
        f"/organizer/seminars/{seminar.id}/attendees/new",
        data={"name": "Per Ek", "email": "per@example.org", "organization": f"OFR{ZWSP}"},
    )
    assert response.status_code == 422
    assert MESSAGE in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_import_sets_such_lines_aside_with_the_reason():
    parsed = parse_pasted(
        f"Anna {RLO}dniL <anna@kommun.se>, Nyköpings kommun\n"
        f"Per Ek <per@region.se>, Region{BOM} Sörmland\n"
        f"محمد حسین{ZWNJ}زاده <mohammad@kommun.se>, Malmö stad\n"
    )
    assert [(u.line_number, u.problem) for u in parsed.unreadable] == [
        (1, Problem.INVISIBLE_CHARACTERS),
        (2, Problem.INVISIBLE_CHARACTERS),
    ]
    assert [(p.name, p.organization) for p in parsed.people] == [
        (f"محمد حسین{ZWNJ}زاده", "Malmö stad")
    ]


def test_import_preview_says_why_a_line_is_set_aside(
    client, seminar_factory, organizer_factory, organization_factory
):
    organization = organization_factory()
    seminar = seminar_factory(organization=organization)
    log_in(client, organizer_factory(organization))
    response = client.post(
        f"/organizer/seminars/{seminar.id}/attendees/import",
        data={"text": f"Anna {RLO}dniL <anna@kommun.se>\n", "preview": "1"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Namnet eller organisationen innehåller osynliga tecken" in page
