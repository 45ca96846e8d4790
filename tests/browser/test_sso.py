"""Single sign-on against a real OpenID Connect provider (npm's oidc-provider, started
here), through its pages in Chromium: a new person of a mapped domain lands in the right
organisation; an unmapped domain is refused with a clear message; a tampered state, a
wrong nonce and an expired code all fail closed; logout ends the provider's session too;
a password account is linked to an identity and then signs in with it."""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from sqlalchemy import select

from seminars.accounts import organizers, sso
from seminars.extensions import db
from seminars.models import LoginSession, Organizer, Role
from seminars.organising import access
from tests.browser.servers import local_app, oidc_provider

ACCOUNTS = {
    "anna": {"email": "anna@mau.example.org", "email_verified": True, "name": "Anna Andersson"},
    "eve": {"email": "eve@elsewhere.example.org", "email_verified": True, "name": "Eve"},
    "ewa-sso": {"email": "ewa.s@mau.example.org", "email_verified": True, "name": "Ewa S"},
}
EWA_PASSWORD = "ewa has a long password"


@dataclass
class World:
    url: str
    app: object
    issuer: str


@pytest.fixture
def world(tmp_path):
    with ExitStack() as stack:
        server = stack.enter_context(local_app(tmp_path))
        callbacks = [
            f"{server.url}/login/sso/{slug}/callback" for slug in ("larosatet", "kortlivad")
        ]
        issuer = stack.enter_context(oidc_provider(callbacks, [f"{server.url}/login"], ACCOUNTS))
        with server.app.app_context():
            mau = organizers.save_organization(
                organizers.OrganizationDetails(name="Malmö universitet")
            )
            organizers.save_organization(organizers.OrganizationDetails(name="OFR"))
            provider = sso.save_provider(
                sso.ProviderDetails("Lärosätet", issuer, "seminars", "seminars-secret")
            )
            sso.add_domain(provider, "mau.example.org", mau, approval_required=False)
            expiring = sso.save_provider(
                sso.ProviderDetails(
                    "Kortlivad", issuer, "seminars-expiring", "seminars-expiring-secret"
                )
            )
            sso.add_domain(expiring, "mau.example.org", mau, approval_required=False)
            organizers.create_organizer(
                email="ewa@mau.example.org",
                name="Ewa Password",
                password=EWA_PASSWORD,
                organizations=[mau],
            )
            db.session.commit()
        yield World(server.url, server.app, issuer)


def sign_in_at_provider(page, login: str, *, on_consent=None) -> None:
    """Log in on the provider's own pages; `on_consent(route, request)` may take over the
    consent form's POST (which the provider answers with redirects to our callback)."""
    page.wait_for_url(lambda url: url.startswith("http://127.0.0.1"))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.locator("button[type=submit]").first.click()
    page.locator("input[name=login]").wait_for(state="detached")
    page.wait_for_load_state()
    if page.url.startswith("http://127.0.0.1"):
        if on_consent is not None:
            page.route("**/interaction/**", on_consent)
        page.get_by_role("button", name="Continue").click()  # the consent page


def callback_url(page, world: World, login: str = "anna", provider: str = "Lärosätet") -> str:
    """Sign in at the provider, and stop where it sends the browser back to us: the
    callback URL with its code and state, not yet opened. (A redirect cannot be changed
    on its way in the browser, so the test follows the provider's redirects itself.)"""
    captured = {}

    def consent(route, request):
        if request.method != "POST":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        location = urljoin(request.url, response.headers["location"])
        while not location.startswith(world.url):
            step = page.context.request.get(location, max_redirects=0)
            location = urljoin(location, step.headers["location"])
        captured["url"] = location
        route.fulfill(status=200, content_type="text/html", body="<title>stopped</title>")

    page.goto(world.url + "/login")
    page.get_by_role("link", name=f"Logga in med {provider}").click()
    sign_in_at_provider(page, login, on_consent=consent)
    page.wait_for_function("document.title === 'stopped'")
    return captured["url"]


def signed_in_people(world: World) -> set[str]:
    with world.app.app_context():
        rows = db.session.scalars(
            select(Organizer.email)
            .join(LoginSession, LoginSession.organizer_id == Organizer.id)
            .where(LoginSession.ended_at.is_(None))
        )
        return set(rows)


def test_a_new_person_of_a_mapped_domain_lands_in_their_organisation(
    world, desktop_page, screenshot
):
    page = desktop_page
    page.goto(world.url + "/login")
    button = page.get_by_role("link", name="Logga in med Lärosätet")
    screenshot(page, "sso-login-desktop-sv")
    button.click()
    sign_in_at_provider(page, "anna")
    page.wait_for_url(world.url + "/organizer/")
    assert page.get_by_role("heading", level=1).count() == 1
    screenshot(page, "sso-dashboard-desktop-sv")
    with world.app.app_context():
        anna = organizers.organizer_by_email("anna@mau.example.org")
        assert anna.name == "Anna Andersson" and not anna.password_hash
        [organization] = anna.organizations
        assert organization.name == "Malmö universitet"
        assert access.roles(anna) == {organization.id: Role.ORGANISER}
    assert signed_in_people(world) == {"anna@mau.example.org"}


def test_an_unmapped_domain_is_refused_with_a_clear_message(world, phone_page, screenshot):
    page = phone_page
    page.goto(world.url + "/login")
    page.get_by_role("link", name="Logga in med Lärosätet").click()
    sign_in_at_provider(page, "eve")
    page.wait_for_url(lambda url: url.startswith(world.url))
    assert "inte kopplad till någon organisation" in page.content()
    screenshot(page, "sso-refused-phone-sv")
    with world.app.app_context():
        assert organizers.organizer_by_email("eve@elsewhere.example.org") is None
    assert signed_in_people(world) == set()


def _failed_closed(page, world: World, provider: str = "Lärosätet") -> None:
    assert f"Inloggningen med {provider} gick inte igenom" in page.content()
    assert signed_in_people(world) == set()
    page.goto(world.url + "/organizer/")
    assert urlsplit(page.url).path == "/login"


def test_the_callback_url_signs_in_when_left_alone(world, desktop_page):
    """The way the following tests stop at the callback does not itself break anything."""
    page = desktop_page
    page.goto(callback_url(page, world))
    assert urlsplit(page.url).path == "/organizer/"
    assert signed_in_people(world) == {"anna@mau.example.org"}


def test_a_tampered_state_fails_closed(world, desktop_page):
    page = desktop_page
    parts = urlsplit(callback_url(page, world))
    query = dict(parse_qsl(parts.query))
    query["state"] = query["state"][:-2] + ("xx" if not query["state"].endswith("xx") else "yy")
    page.goto(parts._replace(query=urlencode(query)).geturl())
    _failed_closed(page, world)


def test_a_wrong_nonce_fails_closed(world, desktop_page):
    page = desktop_page
    url = callback_url(page, world)
    # The session now expects another nonce than the one the ID token carries.
    serializer = world.app.session_interface.get_signing_serializer(world.app)
    [cookie] = [c for c in page.context.cookies(world.url) if c["name"] == "session"]
    data = serializer.loads(cookie["value"])
    [key] = [k for k in data if k.startswith("_state_")]
    data[key]["data"]["nonce"] = "not-the-nonce-sent"
    page.context.add_cookies([{**cookie, "value": serializer.dumps(data)}])
    page.goto(url)
    _failed_closed(page, world)


def test_an_expired_code_fails_closed(world, desktop_page):
    page = desktop_page
    url = callback_url(page, world, provider="Kortlivad")
    time.sleep(2.5)  # this client's codes live one second
    page.goto(url)
    _failed_closed(page, world, provider="Kortlivad")


def test_logout_ends_the_providers_session_too(world, desktop_page):
    page = desktop_page
    page.goto(world.url + "/login")
    page.get_by_role("link", name="Logga in med Lärosätet").click()
    sign_in_at_provider(page, "anna")
    page.wait_for_url(world.url + "/organizer/")
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(lambda url: url.startswith(world.issuer + "/session/end"))
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(world.url + "/login")
    assert signed_in_people(world) == set()
    # The provider forgot us as well: signing in again asks for the login.
    page.get_by_role("link", name="Logga in med Lärosätet").click()
    page.wait_for_url(lambda url: url.startswith(world.issuer))
    assert page.locator("input[name=login]").count() == 1


def test_a_password_account_is_linked_then_signs_in_through_the_provider(world, desktop_page):
    page = desktop_page
    page.goto(world.url + "/login")
    page.fill("#email", "ewa@mau.example.org")
    page.fill("#password", EWA_PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url(world.url + "/organizer/")
    page.goto(world.url + "/organizer/account/")
    page.get_by_role("button", name="Koppla min inloggning hos Lärosätet").click()
    sign_in_at_provider(page, "ewa-sso")
    page.wait_for_url(world.url + "/organizer/account/")
    assert "Kopplad till Lärosätet" in page.content()
    # Another day, on another computer: through the provider, into the same account.
    page.context.clear_cookies()
    page.goto(world.url + "/login")
    page.get_by_role("link", name="Logga in med Lärosätet").click()
    sign_in_at_provider(page, "ewa-sso")
    page.wait_for_url(world.url + "/organizer/")
    assert signed_in_people(world) == {"ewa@mau.example.org"}
    with world.app.app_context():
        assert db.session.scalar(select(db.func.count(Organizer.id))) == 1


@pytest.mark.parametrize(
    ("locale", "button"),
    [("sv-SE", "Logga in med Lärosätet"), ("en-GB", "Log in with Lärosätet")],
    indirect=["locale"],
)
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_login_page_offers_each_provider(world, request, locale, button, device, screenshot):
    page = request.getfixturevalue(f"{device}_page")
    page.goto(world.url + "/login")
    assert page.get_by_role("link", name=button).is_visible()
    assert page.locator(".sso-buttons a").count() == 2  # both providers, a button each
    screenshot(page, f"sso-login-{device}-{locale[:2]}")
