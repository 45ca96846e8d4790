"""The embedded signup and list: framed only by the sites the hosting organisations allow,
working without any cookie (a CSRF token bound to the form), the same signup and the same
"check your inbox" answer as the public form, emails that link to the full site, and the
organiser's page where the allowed sites are kept. The real-browser test, from a second
origin with third-party cookies blocked, is tests/browser/test_embed.py."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.mail import delivery
from seminars.models import AuditEvent, Registration, SeminarStatus, Status
from seminars.organising.embedding import InvalidOrigin, parse_origins
from seminars.web.embed import tokens
from seminars.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import clear_database, log_in, mail_settings, make_app
from tests.mail_helpers import links_in, mail_to

BASE_URL = "http://seminars.test"


@pytest.fixture
def app(database_url, smtp_server):
    """CSRF on, as in production: the embedded form must pass without the session's token."""
    app = make_app(database_url, WTF_CSRF_ENABLED=True, **mail_settings(smtp_server))
    with app.app_context():
        db.create_all()
        yield app
        clear_database()


@pytest.fixture
def cookieless(app):
    """A browser in another site's frame with third-party cookies blocked: no cookie at all."""
    return app.test_client(use_cookies=False)


@pytest.fixture
def ofr(organization_factory):
    organization = organization_factory("OFR", embed_origins=["https://www.ofr.se"])
    db.session.commit()
    return organization


def _directives(policy: str) -> dict[str, str]:
    return dict(part.split(" ", 1) for part in policy.split("; "))


def _form_token(page: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', page)[1]


def _sign_up(client, seminar, email="asa@example.org", **extra):
    page = client.get(f"/embed/seminars/{seminar.slug}").text
    data = {"form_token": _form_token(page), "name": "Åsa Plesner", "email": email, **extra}
    return client.post(f"/embed/seminars/{seminar.slug}/register", data=data)


def _registrations(seminar) -> list[Registration]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Registration).where(Registration.seminar_id == seminar.id))
    )


# --- Which sites may frame what ---------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("https://www.OFR.se/", "https://www.ofr.se"),
        ("https://intranat.mau.se:443", "https://intranat.mau.se"),
        ("https://cms.example.org:8443", "https://cms.example.org:8443"),
        ("https://åre.se", "https://xn--re-xia.se"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://127.0.0.1:5500", "http://127.0.0.1:5500"),
    ],
)
def test_origins_are_kept_as_browsers_send_them(typed, origin):
    assert parse_origins(f"\n  {typed}  \n\n{typed}\n") == [origin]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("http://www.ofr.se", "http"),
        ("www.ofr.se", "format"),
        ("https://www.ofr.se/seminarier", "format"),
        ("https://*.ofr.se", "format"),
        ("https://user@www.ofr.se", "format"),
        ("https://www.ofr.se; script-src *", "format"),
        ("https://www.ofr.se 'unsafe-inline'", "format"),
        ("https://www.ofr.se?x=1", "format"),
        ("javascript:alert(1)", "format"),
        ("https://www.ofr.se:99999", "format"),
        ("*", "format"),
    ],
)
def test_anything_but_an_origin_is_refused(typed, reason):
    with pytest.raises(InvalidOrigin) as refused:
        parse_origins(f"https://ok.example.org\n{typed}")
    assert refused.value.reason == reason
    assert refused.value.line == typed


def test_embedded_pages_may_be_framed_by_the_hosts_sites_only(
    client, seminar_factory, organization_factory, ofr
):
    mau = organization_factory("Malmö universitet", embed_origins=["https://www.mau.se"])
    nobody = organization_factory("Utan webbplats")
    together = seminar_factory(organization=ofr, cohosts=[mau])
    alone = seminar_factory(organization=nobody)

    expected = {
        f"/embed/seminars/{together.slug}": "'self' https://www.ofr.se https://www.mau.se",
        f"/embed/o/{ofr.slug}": "'self' https://www.ofr.se",
        f"/embed/o/{mau.slug}": "'self' https://www.mau.se",
        f"/embed/seminars/{alone.slug}": "'self'",
    }
    for path, ancestors in expected.items():
        response = client.get(path)
        assert response.status_code == 200, path
        directives = _directives(response.headers["Content-Security-Policy"])
        assert directives["frame-ancestors"] == ancestors, path
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert "X-Frame-Options" not in response.headers, path


def test_every_other_page_still_refuses_every_frame(client, seminar_factory, ofr):
    seminar = seminar_factory(organization=ofr)
    for path in (
        "/",
        f"/seminars/{seminar.slug}",
        f"/o/{ofr.slug}",
        f"/o/{ofr.slug}/feed.atom",
        "/login",
        "/embed/seminars/no-such-seminar",
        "/embed/o/no-such-organisation",
    ):
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert headers["X-Frame-Options"] == "DENY", path


def test_a_draft_is_not_embedded(client, seminar_factory, ofr):
    draft = seminar_factory(organization=ofr, status=SeminarStatus.DRAFT)
    assert client.get(f"/embed/seminars/{draft.slug}").status_code == 404


# --- Signing up in the frame --------------------------------------------------------------


def test_signup_in_the_frame_works_without_any_cookie(cookieless, seminar_factory, ofr):
    seminar = seminar_factory(organization=ofr, title="Tillit i praktiken")
    page = cookieless.get(f"/embed/seminars/{seminar.slug}")
    assert "Set-Cookie" not in page.headers
    assert 'action="/embed/seminars/' in page.text

    response = _sign_up(cookieless, seminar, organization="Vision")

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Titta i din e-post" in response.text
    assert "asa@example.org" in response.text
    assert "Location" not in response.headers  # the outcome is shown inside the frame
    [registration] = _registrations(seminar)
    assert (registration.name, registration.organization) == ("Åsa Plesner", "Vision")
    assert registration.status == Status.CONFIRMED


def test_the_email_links_to_the_full_site(cookieless, seminar_factory, ofr, smtp_server):
    seminar = seminar_factory(organization=ofr)
    _sign_up(cookieless, seminar)
    delivery.deliver_pending()
    [mail] = mail_to(smtp_server.messages(), "asa@example.org")
    paths = links_in(mail)
    assert any(re.fullmatch(r"/r/[A-Za-z0-9_-]+", path) for path in paths)
    assert not [path for path in paths if path.startswith("/embed")]


def test_the_answer_does_not_tell_whether_someone_was_registered(cookieless, seminar_factory, ofr):
    seminar = seminar_factory(organization=ofr, capacity=1)
    first = _sign_up(cookieless, seminar, email="forsta@example.org")
    again = _sign_up(cookieless, seminar, email="FORSTA@example.org")
    waiting = _sign_up(cookieless, seminar, email="andra@example.org")

    assert first.status_code == again.status_code == waiting.status_code == 200
    assert again.text == first.text.replace("forsta@example.org", "FORSTA@example.org")
    assert waiting.text == first.text.replace("forsta@example.org", "andra@example.org")
    statuses = sorted((r.email, r.status) for r in _registrations(seminar))
    assert statuses == [
        ("andra@example.org", Status.WAITING),
        ("forsta@example.org", Status.CONFIRMED),
    ]


def test_the_public_form_still_needs_its_session_token(cookieless, seminar_factory, ofr):
    """Only the embedded form's route is left out of CSRFProtect's check."""
    seminar = seminar_factory(organization=ofr)
    data = {"name": "Åsa", "email": "asa@example.org"}
    assert cookieless.post(f"/seminars/{seminar.slug}/register", data=data).status_code == 400
    assert _registrations(seminar) == []


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "not-a-token",
        "forged",  # a well-formed token signed with another key
        "other seminar",
        "expired",
        "from the future",
    ],
)
def test_a_post_without_a_valid_form_token_is_refused_and_nothing_is_lost(
    app, cookieless, seminar_factory, ofr, token
):
    seminar = seminar_factory(organization=ofr)
    other = seminar_factory(organization=ofr)
    now = time.time()
    made = {
        "forged": lambda: tokens.issue(seminar.id).rsplit(".", 1)[0] + "." + "0" * 64,
        "other seminar": lambda: tokens.issue(other.id),
        "expired": lambda: tokens.issue(seminar.id, now=now - tokens.FORM_TOKEN_MAX_AGE - 5),
        "from the future": lambda: tokens.issue(seminar.id, now=now + 3600),
    }
    value = made[token]() if token in made else token
    data = {"name": "Åsa Plesner", "email": "asa@example.org", "organization": "Vision"}
    if value is not None:
        data["form_token"] = value

    response = cookieless.post(f"/embed/seminars/{seminar.slug}/register", data=data)

    assert response.status_code == 400
    assert "Formuläret hann gå ut" in response.text
    assert 'value="Åsa Plesner"' in response.text and 'value="Vision"' in response.text
    assert _form_token(response.text) != value  # a fresh token to send it again with
    assert _registrations(seminar) == []


def test_form_tokens_expire_and_belong_to_one_seminar(app):
    now = time.time()
    token = tokens.issue(7, now=now)
    assert tokens.is_valid(token, 7, now=now + tokens.FORM_TOKEN_MAX_AGE - 1)
    assert not tokens.is_valid(token, 7, now=now + tokens.FORM_TOKEN_MAX_AGE + 1)
    assert not tokens.is_valid(token, 8, now=now)
    assert tokens.issue(7, now=now) != token  # a random nonce in each


def test_a_post_from_another_sites_page_is_refused(cookieless, seminar_factory, ofr):
    seminar = seminar_factory(organization=ofr)
    token = _form_token(cookieless.get(f"/embed/seminars/{seminar.slug}").text)
    for site in ("cross-site", "same-site"):
        response = cookieless.post(
            f"/embed/seminars/{seminar.slug}/register",
            data={"form_token": token, "name": "Åsa", "email": "asa@example.org"},
            headers={"Sec-Fetch-Site": site},
        )
        assert response.status_code == 400
    assert _registrations(seminar) == []


def test_bad_input_is_shown_back_in_the_frame(cookieless, seminar_factory, ofr):
    seminar = seminar_factory(organization=ofr)
    response = _sign_up(cookieless, seminar, email="inte-en-adress", organization="Vision")
    assert response.status_code == 422
    assert "Ange en e-postadress" in response.text or "e-postadress" in response.text
    assert 'value="inte-en-adress"' in response.text and 'value="Vision"' in response.text
    assert 'id="error-summary"' in response.text
    assert _registrations(seminar) == []


def test_honeypot_gets_the_same_answer_and_stores_nothing(cookieless, seminar_factory, ofr):
    seminar = seminar_factory(organization=ofr)
    response = _sign_up(cookieless, seminar, website="http://spam.example")
    assert response.status_code == 200
    assert "Titta i din e-post" in response.text
    assert _registrations(seminar) == []


def test_full_seminar_without_waiting_list_says_so_in_the_frame(
    cookieless, seminar_factory, registration_factory, ofr
):
    seminar = seminar_factory(organization=ofr, capacity=1, waitlist_enabled=False)
    page = cookieless.get(f"/embed/seminars/{seminar.slug}").text
    registration_factory(seminar)
    seminar.seats_taken = 1
    db.session.commit()
    response = cookieless.post(
        f"/embed/seminars/{seminar.slug}/register",
        data={"form_token": _form_token(page), "name": "Åsa", "email": "asa@example.org"},
    )
    assert response.status_code == 409
    assert "Seminariet är fullbokat." in response.text
    assert len(_registrations(seminar)) == 1


def test_language_comes_from_the_frames_address(cookieless, seminar_factory, ofr):
    seminar = seminar_factory(organization=ofr)
    page = cookieless.get(f"/embed/seminars/{seminar.slug}?lang=en").text
    assert '<html lang="en">' in page and "How we handle your details" in page
    assert f'action="/embed/seminars/{seminar.slug}/register?lang=en"' in page
    response = cookieless.post(
        f"/embed/seminars/{seminar.slug}/register?lang=en",
        data={"form_token": _form_token(page), "name": "Ann", "email": "ann@example.org"},
    )
    assert "Check your email" in response.text
    [registration] = _registrations(seminar)
    assert registration.language == "en"


def test_embedded_list_opens_seminars_in_the_frame_or_a_new_tab(
    cookieless, seminar_factory, organization_factory, ofr
):
    mau = organization_factory("Malmö universitet")
    own = seminar_factory(organization=ofr, title="Eget")
    cohosted = seminar_factory(organization=mau, title="Tillsammans", cohosts=[ofr])
    seminar_factory(organization=mau, title="Inte vårt")
    page = cookieless.get(f"/embed/o/{ofr.slug}?lang=sv").text
    assert "Inte vårt" not in page
    for seminar in (own, cohosted):
        in_frame = f'href="/embed/seminars/{seminar.slug}?list={ofr.slug}&amp;lang=sv"'
        assert in_frame in page
        assert f'href="/seminars/{seminar.slug}" target="_blank" rel="noopener"' in page
    # From the list, the seminar's frame links back to it.
    framed = cookieless.get(f"/embed/seminars/{cohosted.slug}?list={ofr.slug}&lang=sv")
    assert f'href="/embed/o/{ofr.slug}?lang=sv"' in framed.text
    # …but not to the list of an organisation that does not host it.
    other = cookieless.get(f"/embed/seminars/{own.slug}?list={mau.slug}")
    assert f"/embed/o/{mau.slug}" not in other.text


# --- The organiser's page -----------------------------------------------------------------


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]


def test_organiser_lists_the_sites_and_gets_the_snippet(
    client, organizer_factory, seminar_factory, ofr
):
    seminar = seminar_factory(organization=ofr, title="Tillit i praktiken")
    organizer = organizer_factory(ofr)
    log_in(client, organizer)
    url = f"/organizer/organizations/{ofr.id}/embed"
    assert url in client.get("/organizer/").text  # in the organiser's menu

    page = client.get(url).text
    assert f'src="{BASE_URL}/embed/o/{ofr.slug}"' in page.replace("&#34;", '"')
    assert f"{BASE_URL}/static/embed.js" in page
    assert f"{BASE_URL}/embed/seminars/{seminar.slug}" in page
    assert f"{BASE_URL}/o/{ofr.slug}/calendar.ics" in page

    typed = "https://www.OFR.se/\nhttps://intranat.ofr.se:8443\n\nhttp://localhost:8000"
    response = client.post(url, data={"csrf_token": _csrf(page), "origins": typed})
    assert response.status_code == 303
    db.session.expire_all()
    assert ofr.embed_origins == [
        "https://www.ofr.se",
        "https://intranat.ofr.se:8443",
        "http://localhost:8000",
    ]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.organization_id == ofr.id)).one()
    assert event.organizer_id == organizer.id
    assert "https://intranat.ofr.se:8443" in event.detail
    assert (
        "Ändrade webbplatserna som får bädda in anmälan"
        in client.get(f"/organizer/organizations/{ofr.id}/audit").text
    )
    framed = client.get(f"/embed/o/{ofr.slug}").headers["Content-Security-Policy"]
    assert "https://intranat.ofr.se:8443" in framed


def test_a_wrong_site_is_explained_and_what_was_typed_stays(client, organizer_factory, ofr):
    log_in(client, organizer_factory(ofr))
    url = f"/organizer/organizations/{ofr.id}/embed"
    typed = "https://www.ofr.se\nhttp://www.ofr.se/seminarier"
    response = client.post(url, data={"csrf_token": _csrf(client.get(url).text), "origins": typed})
    assert response.status_code == 422
    assert "http://www.ofr.se/seminarier" in response.text
    assert "är inte en webbplatsadress" in response.text
    assert 'aria-invalid="true"' in response.text
    db.session.expire_all()
    assert ofr.embed_origins == ["https://www.ofr.se"]


def test_organisers_of_another_organisation_cannot_see_or_change_it(
    client, organizer_factory, organization_factory, ofr
):
    intruder = organizer_factory(organization_factory("Någon annan"))
    log_in(client, intruder)
    url = f"/organizer/organizations/{ofr.id}/embed"
    assert client.get(url).status_code == 404
    token = _csrf(client.get(f"/organizer/organizations/{intruder.organizations[0].id}/embed").text)
    assert (
        client.post(url, data={"csrf_token": token, "origins": "https://evil.example"}).status_code
        == 404
    )
    db.session.expire_all()
    assert ofr.embed_origins == ["https://www.ofr.se"]


def test_signups_in_the_frame_are_rate_limited_like_the_form(database_url, seminar_factory):
    limited = make_app(database_url, RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="2/minute")
    client = limited.test_client(use_cookies=False)
    with limited.app_context():
        seminar = seminar_factory(capacity=50)
        page = client.get(f"/embed/seminars/{seminar.slug}").text
        codes = [
            client.post(
                f"/embed/seminars/{seminar.slug}/register",
                data={"form_token": _form_token(page), "name": "N", "email": f"p{n}@example.org"},
            ).status_code
            for n in range(3)
        ]
        assert codes == [200, 200, 429]
        assert len(_registrations(seminar)) == 2
        db.session.remove()
        db.engine.dispose()


def test_a_question_added_while_filling_in_is_asked_and_nothing_is_lost(
    cookieless, seminar_factory, ofr
):
    from seminars.models import Question

    seminar = seminar_factory(organization=ofr)
    page = cookieless.get(f"/embed/seminars/{seminar.slug}").text
    seminar.questions.append(Question(text="Vilket förbund tillhör du?", required=True))
    db.session.commit()

    response = cookieless.post(
        f"/embed/seminars/{seminar.slug}/register",
        data={"form_token": _form_token(page), "name": "Åsa Plesner", "email": "a@example.org"},
    )

    assert response.status_code == 422
    assert "Vilket förbund tillhör du?" in response.text
    assert 'value="Åsa Plesner"' in response.text
    assert _registrations(seminar) == []
