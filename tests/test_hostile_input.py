"""Hostile input never breaks the public forms: any text gets a page, never a 500, and comes
back escaped. Also the upload limit, and XSS through a seminar description or an attendee
name viewed on the public pages."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seminars import signup
from seminars.extensions import db
from seminars.models import QuestionKind
from tests.conftest import active_registration, register

from .conftest import DIET_QUESTION, attendee

NASTY = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "Robert'); DROP TABLE registration;--",
    "' OR '1'='1",
    "a\r\nBcc: victim@example.org",
    "\x00",
    "\u202egnp.exe\u202c",
    "\u200f\u200e\u2028\u2029",
    '=HYPERLINK("http://evil.example")',
    "😀👩🏽‍💻🇸🇪",
    "Åsa Öberg-Ärlig",
    "{{ 7*7 }}{% raw %}",
    "%(name)s %s %d",
]

# Any Unicode a browser could send (lone surrogates cannot be encoded as UTF-8 at all).
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=400)
hostile_text = st.one_of(
    any_text,
    st.sampled_from(NASTY),
    st.builds(lambda a, b: a + b, st.sampled_from(NASTY), any_text),
    # Far past every length limit, for a clear "too long" message.
    st.builds(lambda piece, times: piece * times, st.sampled_from(NASTY), st.integers(50, 3000)),
)

FORM_STATUSES = {200, 303, 409, 422}
HOSTILE_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The seminar page's own JSON-LD block (never run; its JSON has <, > and & escaped) aside.
MARKUP_FROM_INPUT = re.compile(
    r"<(script(?! type=\"application/ld\+json\">)|img|svg|iframe)\b", re.IGNORECASE
)


def assert_handled_and_escaped(response) -> None:
    assert response.status_code in FORM_STATUSES, response.status_code
    body = response.get_data(as_text=True)
    # The public templates have no such tags, so any here came from the input, unescaped.
    assert not MARKUP_FROM_INPUT.search(body)
    assert "Traceback" not in body


@given(
    field=st.sampled_from(["name", "email", "organization", "q_text", "q_diet"]), value=hostile_text
)
@HOSTILE_SETTINGS
def test_signup_form_survives_any_text(client, seminar_factory, field, value):
    seminar = _seminar_with_questions(seminar_factory)
    fields = {
        "name": "Anna Andersson",
        "email": "anna@example.org",
        "organization": "Vision",
        "health_consent": "y",
    }
    target = {
        "q_text": seminar.questions[0].field_name,
        "q_diet": seminar.questions[1].field_name,
    }.get(field, field)
    fields[target] = value
    assert_handled_and_escaped(client.post(f"/seminars/{seminar.slug}/register", data=fields))


@given(name=hostile_text, organization=hostile_text, answer=hostile_text)
@HOSTILE_SETTINGS
def test_attendee_edit_survives_any_text(client, seminar_factory, name, organization, answer):
    seminar = _seminar_with_questions(seminar_factory)
    token = _manage_token(seminar)
    response = client.post(
        f"/r/{token}",
        data={
            "name": name,
            "organization": organization,
            seminar.questions[0].field_name: answer,
        },
    )
    assert_handled_and_escaped(response)
    # Whatever was saved (or refused) shows back escaped on the attendee's own page.
    assert_handled_and_escaped(client.get(f"/r/{token}"))


def test_rejected_input_is_shown_back_escaped_and_kept(client, seminar_factory):
    seminar = seminar_factory()
    response = client.post(
        f"/seminars/{seminar.slug}/register",
        data={"name": "<script>alert(1)</script>", "email": "not an email"},
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>" not in body


def test_newline_in_a_name_is_refused_not_stored(client, seminar_factory):
    seminar = seminar_factory()
    response = client.post(
        f"/seminars/{seminar.slug}/register",
        data={"name": "Anna\r\nBcc: victim@example.org", "email": "anna@example.org"},
    )
    assert response.status_code == 422
    assert active_registration(seminar, "anna@example.org") is None


def test_upload_over_the_limit_gets_a_clear_413_page(client, seminar_factory):
    seminar = seminar_factory()
    response = client.post(
        f"/seminars/{seminar.slug}/register",
        data={"name": "x" * (3 * 1024 * 1024), "email": "anna@example.org"},
    )
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "Filen är för stor" in body
    assert "2 MB" in body


def test_hostile_seminar_description_is_sanitised_on_the_public_page(client, seminar_factory):
    seminar = seminar_factory(
        description=(
            "## Program\n\n"
            "<script>alert('description')</script>\n\n"
            "[Klicka här](javascript:alert(1)) och [OFR](https://www.ofr.se)\n\n"
            '<img src=x onerror="alert(2)">\n\n'
            '<a href="https://ok.example" onclick="alert(3)">länk</a>\n\n'
            "[data](data:text/html;base64,PHNjcmlwdD4=)"
        )
    )
    body = client.get(f"/seminars/{seminar.slug}").get_data(as_text=True)
    description = body.split('<div class="description">')[1].split("</div>")[0]
    assert "<h2>Program</h2>" in description
    assert '<a href="https://www.ofr.se" rel="noopener noreferrer nofollow">OFR</a>' in description
    assert "<script" not in description
    assert "<img" not in description
    # Refused links stay as plain text; no tag may carry a script URL or an event handler.
    assert not re.search(r"href=[\"']?\s*(javascript|data|vbscript):", description, re.IGNORECASE)
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", description)


def test_hostile_attendee_name_is_escaped_on_the_attendee_page(client, seminar_factory):
    seminar = seminar_factory()
    registration = register(
        seminar, attendee(name="<img src=x onerror=alert(1)>", organization="<b>Vision</b>")
    )
    db.session.commit()
    body = client.get(f"/r/{signup.manage_token(registration)}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<img" not in body
    assert "<b>Vision</b>" not in body


def _seminar_with_questions(seminar_factory):
    return seminar_factory(
        capacity=1000,
        questions=[
            {"text": "Vad vill du fråga talarna?", "kind": QuestionKind.LONG_TEXT},
            DIET_QUESTION | {"kind": QuestionKind.SHORT_TEXT, "choices": ""},
        ],
    )


def _manage_token(seminar) -> str:
    registration = register(seminar, attendee())
    db.session.commit()
    return signup.manage_token(registration)
