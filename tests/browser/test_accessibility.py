"""axe-core in Chromium on every page of the app: WCAG 2.1 A and AA, zero violations.

Every GET page in the URL map is visited, public and organiser (logged in as a site
administrator, who may see everything), together with the states a page can be in: form
errors, the waiting list, closed and cancelled seminars, the attendee's own page, check-in,
the editor, the import preview and the print pages. A new page that this test does not
reach fails it, so the audit grows with the app. Also: the signup page at 200% zoom.

axe runs through Playwright's evaluate (the DevTools protocol), so the page keeps its real
Content-Security-Policy while being checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from urllib.parse import urlsplit

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed, NotFound

from seminars import signup
from seminars.accounts import organizers
from seminars.extensions import db
from seminars.models import Organization, Registration, Seminar, SeminarStatus, Status, utcnow
from tests.browser.conftest import DESKTOP, FULL_SEMINAR, OPEN_SEMINAR, PHONE, SENSITIVE_SEMINAR
from tests.conftest import register

AXE_SOURCE = (resources.files("axe_playwright_python") / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async tags => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
  }));
}"""
# Files, redirects and machine endpoints: nothing for a person to read in the browser.
NOT_PAGES = {
    "static",
    "public.calendar_ics",
    "public.seminar_ics",
    "public.healthz",
    "public.choose_language",
    "organisations.calendar_feed",
    "organisations.atom_feed",
    "organisations.logo",  # an image
    "organisations.brand_css",  # a style sheet
    "exports.csv_file",
    "exports.xlsx_file",
    "auth.sso_login",  # a redirect to the provider
}
ADMIN_EMAIL = "tillganglighet@example.org"
ADMIN_PASSWORD = "axe-core-checks-everything"
TWO_FACTOR_EMAIL = "tvafaktor@example.org"
DOOR_HELPER_EMAIL = "dorrvard@example.org"
TEMPORARY_EMAIL = "tillfalligt@example.org"


@dataclass
class Fixtures:
    """Ids and secrets of the rows the states need, made in the live server's database."""

    org_slug: str
    organization_id: int
    admin_id: int
    open_seminar_id: int
    full_seminar_id: int
    draft_seminar_id: int
    closed_slug: str
    cancelled_slug: str
    confirmed_token: str
    waiting_token: str
    cancelled_token: str
    deletable_token: str
    confirmed_id: int
    reset_token: str
    invite_token: str
    provider_id: int
    provider_slug: str


def _seminar_like(template: Seminar, slug: str, **changes) -> Seminar:
    seminar = Seminar(
        slug=slug,
        organization=template.organization,
        title=f"{template.title} ({slug})",
        description=template.description,
        starts_at=template.starts_at,
        ends_at=template.ends_at,
        venue_name=template.venue_name,
        venue_address=template.venue_address,
        capacity=template.capacity,
        status=SeminarStatus.PUBLISHED,
    )
    for name, value in changes.items():
        setattr(seminar, name, value)
    db.session.add(seminar)
    return seminar


def _make_fixtures(app: Flask) -> Fixtures:
    with app.app_context():
        by_slug = {s.slug: s for s in db.session.scalars(select(Seminar))}
        open_seminar, full = by_slug[SENSITIVE_SEMINAR], by_slug[FULL_SEMINAR]
        now = utcnow()
        _seminar_like(
            open_seminar, "stangd-anmalan", registration_closes_at=now - timedelta(days=1)
        )
        _seminar_like(
            open_seminar,
            "installt-seminarium",
            status=SeminarStatus.CANCELLED,
            cancellation_message="Talaren är sjuk. Vi återkommer med ett nytt datum.",
        )
        draft = _seminar_like(open_seminar, "utkast", status=SeminarStatus.DRAFT)

        # A health answer, so the organiser's views show the consented, sensitive kind too.
        diet = next(q for q in open_seminar.questions if q.sensitive)
        answers = {str(diet.id): (diet.choice_list or ["Vegetarisk"])[0]}
        confirmed = register(
            open_seminar,
            signup.Attendee("Åsa Plesner", "asa@example.org", "Balans", answers=answers),
        )
        deletable = register(open_seminar, signup.Attendee("Lo Ek", "lo@example.org", "Vision"))
        cancelled = register(
            open_seminar, signup.Attendee("Kim Berg", "kim@example.org", "Unionen")
        )
        signup.cancel(cancelled)
        waiting = db.session.scalars(
            select(Registration)
            .where(Registration.seminar_id == full.id, Registration.status == Status.WAITING)
            .limit(1)
        ).one()
        organizations = list(db.session.scalars(select(Organization).order_by(Organization.id)))
        admin = organizers.create_organizer(
            email=ADMIN_EMAIL,
            name="Tillgänglighetsgranskare",
            password=ADMIN_PASSWORD,
            organizations=organizations,
            is_admin=True,
        )
        db.session.commit()
        sign_in = _sign_in_fixtures(app, open_seminar, organizations[0], admin)
        return Fixtures(
            **sign_in,
            org_slug=organizations[0].slug,
            organization_id=organizations[0].id,
            admin_id=admin.id,
            open_seminar_id=open_seminar.id,
            full_seminar_id=full.id,
            draft_seminar_id=draft.id,
            closed_slug="stangd-anmalan",
            cancelled_slug="installt-seminarium",
            confirmed_token=signup.manage_token(confirmed),
            waiting_token=signup.manage_token(waiting),
            cancelled_token=signup.manage_token(cancelled),
            deletable_token=signup.manage_token(deletable),
            confirmed_id=confirmed.id,
            reset_token=organizers.reset_token(admin),
        )


@dataclass
class Audit:
    page: object
    base_url: str
    app: Flask
    checked: list[str] = field(default_factory=list)
    violations: dict[str, list] = field(default_factory=dict)
    endpoints: set[str] = field(default_factory=set)

    def visit(self, path: str, label: str | None = None) -> None:
        self.page.goto(self.base_url + path)
        self.check(label or path)

    def check(self, label: str) -> None:
        """Run axe on the page as it is now; remember which endpoint rendered it."""
        self.page.wait_for_load_state()
        path = urlsplit(self.page.url).path
        try:
            endpoint, _ = self.app.url_map.bind("localhost").match(path, method="GET")
            self.endpoints.add(endpoint)
        except (NotFound, MethodNotAllowed):
            pass  # a page shown after a POST, or an error page
        found = self.page.evaluate(RUN_AXE, WCAG_TAGS)
        self.checked.append(label)
        if found:
            self.violations[f"{label} ({path})"] = found

    def submit(self, form_selector: str, label: str) -> None:
        self.page.locator(f"{form_selector} [type=submit]").first.click()
        self.check(label)


def _sign_in_fixtures(app: Flask, seminar: Seminar, organization, admin) -> dict:
    """An invitation, a provider of single sign-on (on a port where nothing listens), a
    person with an authenticator app, a door helper, and an account with a temporary
    password."""
    from seminars.accounts import factors, invites, sso
    from seminars.models import Role

    provider = sso.save_provider(
        sso.ProviderDetails("Lärosätet", "http://127.0.0.1:1", "seminars", "hemlig")
    )
    sso.add_domain(provider, "mau.example.org", organization, approval_required=True)
    tokens = []
    invites.invite(
        email="ny@example.org",
        name="Ny Arrangör",
        organization=organization,
        role=Role.ORGANISER,
        invited_by=admin,
        accept_url_for=tokens.append,
    )
    two_factor = organizers.create_organizer(
        email=TWO_FACTOR_EMAIL, name="Två Faktorer", password=ADMIN_PASSWORD,
        organizations=[organization],
    )  # fmt: skip
    secret = factors.start_totp(two_factor)
    factors.confirm_totp(two_factor, pyotp.TOTP(secret).now(), keep=None)
    helper = organizers.create_organizer(
        email=DOOR_HELPER_EMAIL, name="Dörr Värd", password=ADMIN_PASSWORD, organizations=[],
    )  # fmt: skip
    organizers.set_memberships(helper, {organization.id: Role.DOOR_HELPER})
    organizers.set_door_seminars(helper, {seminar.id}, choosable={seminar.id})
    organizers.create_organizer(
        email=TEMPORARY_EMAIL, name="Till Fällig", password=ADMIN_PASSWORD,
        organizations=[organization], temporary=True,
    )  # fmt: skip
    db.session.commit()
    return {
        "invite_token": tokens[0],
        "provider_id": provider.id,
        "provider_slug": provider.slug,
    }


def _log_in_as(audit: Audit, email: str, label: str | None = None) -> None:
    audit.page.context.clear_cookies()
    audit.page.goto(audit.base_url + "/login")
    audit.page.fill("#email", email)
    audit.page.fill("#password", ADMIN_PASSWORD)
    audit.page.locator("main form [type=submit]").first.click()
    audit.page.wait_for_load_state()
    if label:
        audit.check(label)


def _sign_in_states(audit: Audit, fx: Fixtures) -> None:
    """Signing in, the second step, invitations, the account's security, single sign-on,
    administration of accounts, and the door helper's check-in."""
    invite = f"/invite/{fx.invite_token}"
    audit.visit(invite, "invitation")
    audit.submit("main form", "invitation with errors")
    audit.visit("/invite/not-a-token", "invitation link that does not work")
    audit.visit(f"/login/sso/{fx.provider_slug}/callback", "single sign-on that failed")

    audit.visit("/organizer/account/", "account and security")
    audit.visit("/organizer/account/password", "change password")
    audit.submit("main form", "change password with errors")
    audit.visit("/organizer/account/app", "set up the authenticator app")
    audit.page.fill("#code", "000000")
    audit.submit("main form", "authenticator app with a wrong code")
    secret = audit.page.locator("code.secret").text_content().replace(" ", "")
    audit.page.fill("#code", pyotp.TOTP(secret).now())
    audit.submit("main form", "recovery codes")
    audit.visit("/organizer/account/", "account with the authenticator app on")
    audit.visit("/organizer/admin/invites/new", "invite")
    audit.submit("main form", "invite with errors")
    audit.visit("/organizer/admin/sso/new", "new single sign-on provider")
    audit.submit("main form", "new provider with errors")
    audit.visit(f"/organizer/admin/sso/{fx.provider_id}", "single sign-on provider")

    _log_in_as(audit, TWO_FACTOR_EMAIL, "second step of logging in")
    audit.page.fill("#totp-code", "000000")
    audit.submit("main form:has(#totp-code)", "second step with a wrong code")
    _log_in_as(audit, TEMPORARY_EMAIL, "temporary password: choose your own")
    _log_in_as(audit, DOOR_HELPER_EMAIL, "door helper's seminars")
    audit.visit(f"/organizer/seminars/{fx.open_seminar_id}/checkin", "door helper's check-in")
    audit.visit(
        f"/organizer/seminars/{fx.open_seminar_id}/checkin/{fx.confirmed_id}",
        "door helper's check-in of one person",
    )
    audit.page.context.clear_cookies()
    audit.visit("/login", "login with single sign-on")


def _public_states(audit: Audit, fx: Fixtures) -> None:
    audit.visit("/", "start page")
    for slug, label in [
        (OPEN_SEMINAR, "seminar, open"),
        (SENSITIVE_SEMINAR, "seminar with health questions"),
        (FULL_SEMINAR, "seminar, full: waiting list"),
        (fx.closed_slug, "seminar, registration closed"),
        (fx.cancelled_slug, "seminar, cancelled"),
    ]:
        audit.visit(f"/seminars/{slug}", label)

    audit.visit(f"/seminars/{SENSITIVE_SEMINAR}")
    audit.page.fill("#email", "not-an-address")
    audit.submit("#signup form", "signup form with errors")

    audit.visit(f"/seminars/{OPEN_SEMINAR}")
    audit.page.fill("#name", "Per Öberg")
    audit.page.fill("#email", "per.oberg@example.org")
    audit.submit("#signup form", "check your email, after signing up")
    audit.visit(f"/seminars/{OPEN_SEMINAR}")
    audit.page.fill("#name", "Per Öberg")
    audit.page.fill("#email", "PER.OBERG@example.org")
    audit.submit("#signup form", "check your email, signed up already")

    audit.visit(f"/r/{fx.confirmed_token}", "attendee page, confirmed")
    audit.page.fill("#name", "")
    audit.submit("form:has(#name)", "attendee page with errors")
    audit.visit(f"/r/{fx.waiting_token}", "attendee page, waiting list")
    audit.visit(f"/r/{fx.cancelled_token}", "attendee page, cancelled")
    audit.visit(f"/r/{fx.confirmed_token}/cancel", "cancel confirmation")
    audit.visit(f"/r/{fx.deletable_token}/delete", "delete confirmation")
    audit.visit(f"/r/{fx.confirmed_token}/attendance/yes", "still coming? yes")
    audit.visit(f"/r/{fx.confirmed_token}/attendance/no", "still coming? no")
    audit.submit("main form", "still coming: answered")
    audit.visit(f"/r/{fx.deletable_token}/delete")
    audit.submit("main form", "own data deleted")

    audit.visit(f"/o/{fx.org_slug}", "organisation page")
    audit.visit(f"/embed/o/{fx.org_slug}", "embedded list")
    audit.visit(f"/embed/seminars/{SENSITIVE_SEMINAR}", "embedded signup with health questions")
    audit.page.fill("#email", "not-an-address")
    audit.submit("#signup form", "embedded signup with errors")
    audit.page.fill("#name", "Eva Lund")
    audit.page.fill("#email", "eva.lund@example.org")
    audit.submit("#signup form", "embedded signup: check your email")

    audit.visit("/privacy", "privacy notices")
    audit.visit(f"/privacy/{fx.org_slug}", "privacy notice")
    audit.visit("/accessibility", "accessibility statement")
    audit.visit("/no-such-page", "404 page")

    audit.visit("/password/forgot", "forgotten password")
    audit.submit("main form", "forgotten password with errors")
    audit.page.fill("#email", "nobody@example.org")
    audit.submit("main form", "forgotten password: email sent")
    audit.visit("/password/reset/not-a-valid-token", "reset link invalid")
    audit.visit(f"/password/reset/{fx.reset_token}", "reset password")
    audit.visit("/login", "login")
    audit.page.fill("#email", ADMIN_EMAIL)
    audit.page.fill("#password", "wrong password")
    audit.submit("main form", "login with wrong password")


def _log_in(audit: Audit) -> None:
    audit.page.goto(audit.base_url + "/login")
    audit.page.fill("#email", ADMIN_EMAIL)
    audit.page.fill("#password", ADMIN_PASSWORD)
    audit.page.locator("main form [type=submit]").click()
    audit.page.wait_for_url("**/organizer/**")


def _organizer_states(audit: Audit, fx: Fixtures) -> None:
    seminar = f"/organizer/seminars/{fx.open_seminar_id}"
    audit.visit("/organizer/", "dashboard")
    audit.visit("/organizer/seminars/new", "new seminar")
    audit.submit("main form", "new seminar with errors")
    audit.visit(f"{seminar}/edit", "editor, with the signup chart")
    audit.page.fill("#title", "")
    audit.submit("main form.editor", "editor with errors")
    _editor_rows(audit, seminar)
    audit.visit(f"/organizer/seminars/{fx.draft_seminar_id}/preview", "preview of a draft")
    audit.visit(f"{seminar}/cancel", "cancel a seminar")

    audit.visit(f"{seminar}/attendees", "attendee list")
    audit.visit(f"/organizer/seminars/{fx.full_seminar_id}/attendees", "attendee list, full")
    audit.visit(f"{seminar}/attendees/{fx.confirmed_id}", "one attendee")
    audit.visit(f"{seminar}/attendees/new", "add a person")
    audit.submit("main form", "add a person with errors")
    audit.visit(f"{seminar}/attendees/import", "import")
    audit.submit("main form", "import with nothing pasted")
    audit.page.fill(
        "textarea",
        "Karin Lind <karin.lind@example.org>\nfel-adress\nJonas Ek, jonas.ek@example.org, Vision",
    )
    audit.submit("main form", "import preview")
    audit.visit(f"{seminar}/checkin", "check-in")
    audit.visit(f"{seminar}/checkin/{fx.confirmed_id}", "check-in of one person")
    audit.visit(f"{seminar}/messages", "message attendees")
    audit.submit("main form", "message with errors")
    audit.page.fill("#subject", "Ny lokal")
    audit.page.fill("#body", "Vi ses i Aulan i stället.")
    audit.submit("main form", "message preview")
    audit.submit("main form", "messages: a message on its way")
    audit.visit(f"{seminar}/emails", "email log")
    audit.visit(f"{seminar}/audit", "audit log")
    audit.visit(f"/organizer/organizations/{fx.organization_id}/audit", "organisation audit log")

    # The demo's OFR seminar has two parallel workshops; the dashboard links to them.
    audit.visit("/organizer/")
    audit.page.locator("main a[href$='/sessions']").first.click()
    audit.check("parallel sessions")
    audit.page.locator("main .session-group .action-list a").first.click()
    audit.check("a time slot with its sessions")
    audit.visit(f"{seminar}/sessions/new", "new time slot")
    audit.page.locator("button[name=save]:not([hidden])").click()
    audit.check("new time slot with errors")

    audit.visit(f"{seminar}/exports/", "exports")
    for page in ("list", "badges", "catering"):
        audit.visit(f"{seminar}/exports/{page}", f"print page: {page}")

    audit.visit(f"/organizer/organizations/{fx.organization_id}/embed", "your website")
    audit.page.fill("#origins", "http://www.example.org/sida")
    audit.submit("main form", "your website with errors")
    audit.visit(f"/organizer/organizations/{fx.organization_id}/branding", "logo and colour")
    audit.page.fill("#accent_color", "#ffcc00")
    audit.submit("main form", "logo and colour, a colour refused")
    organization = f"/organizer/organizations/{fx.organization_id}"
    audit.visit(f"{organization}/api", "API tokens")
    audit.submit("main form:has(#name)", "API tokens, a token without a name")
    audit.page.fill("#name", "CRM")
    audit.page.locator("input[value='registrations:read']").check()
    audit.submit("main form:has(#name)", "API tokens, a new token shown once")
    audit.visit(f"{organization}/webhooks", "webhooks")
    audit.submit("main form:has(#url)", "webhooks, an address missing")
    audit.page.fill("#url", "http://127.0.0.1:9/seminars")  # nothing listens: never sent
    audit.submit("main form:has(#url)", "a webhook with its secret and deliveries")

    audit.visit("/organizer/admin/", "administration")
    audit.visit("/organizer/admin/organizations/new", "new organisation")
    audit.submit("main form", "new organisation with errors")
    audit.visit(f"/organizer/admin/organizations/{fx.organization_id}", "edit organisation")
    audit.visit("/organizer/admin/organizers/new", "new organiser")
    audit.visit(f"/organizer/admin/organizers/{fx.admin_id}", "edit organiser")


def _editor_rows(audit: Audit, seminar: str) -> None:
    """The editor's rows: errors inside them, a row added in place by the script, and the
    same form back from a round trip (what a browser without JavaScript gets)."""
    page = audit.page
    audit.visit(f"{seminar}/edit")
    page.fill("#program-0-time", "06:00")
    page.fill("#program-1-title", "")
    page.fill("#questions-0-choices", "Bara ett")
    audit.submit("main form.editor", "editor with errors in its rows")
    page.locator("button[data-row-add=program]").click()
    audit.check("editor with a row added in place")
    with page.expect_navigation():
        page.evaluate(
            "() => document.querySelector('form.editor')"
            ".requestSubmit(document.querySelector('button[data-row-add=speakers]'))"
        )
    audit.check("editor back from a round trip (more speaker rows)")


def _audit_context(browser, device: dict):
    context = browser.new_context(locale="sv-SE", **device)
    context.set_default_timeout(15_000)
    # Loaded into every page through the DevTools protocol, which the page's CSP does not block.
    context.add_init_script(script=AXE_SOURCE)
    return context


def _report(violations: dict[str, list]) -> str:
    lines = []
    for where, found in violations.items():
        lines.append(where)
        for violation in found:
            lines.append(f"  {violation['rule']} ({violation['impact']}): {violation['help']}")
            lines.extend(f"    {node}" for node in violation["nodes"])
    return "\n".join(lines)


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_page_and_state_has_no_wcag_violations(live_server, browser, device):
    fx = _make_fixtures(live_server.app)
    context = _audit_context(browser, device)
    audit = Audit(page=context.new_page(), base_url=live_server.url, app=live_server.app)
    try:
        _public_states(audit, fx)
        _log_in(audit)
        _organizer_states(audit, fx)
        _sign_in_states(audit, fx)
    finally:
        context.close()

    pages = {
        rule.endpoint
        for rule in live_server.app.url_map.iter_rules()
        if "GET" in rule.methods
        and rule.endpoint not in NOT_PAGES
        and not rule.endpoint.startswith("api.")  # JSON for other systems, not pages
    }
    assert pages - audit.endpoints == set(), "pages the accessibility test does not reach"
    print(f"\naxe checked {len(audit.checked)} states of {len(audit.endpoints)} pages")
    assert audit.violations == {}, _report(audit.violations)


def test_the_audit_would_notice_a_violation(live_server, browser):
    """The check itself works: a form field stripped of its label is reported."""
    context = _audit_context(browser, DESKTOP)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/seminars/{OPEN_SEMINAR}")
        page.evaluate("document.querySelector('label[for=name]').remove()")
        rules = {violation["rule"] for violation in page.evaluate(RUN_AXE, WCAG_TAGS)}
    finally:
        context.close()
    assert "label" in rules


def test_signup_page_at_200_percent_zoom(live_server, browser):
    """WCAG 1.4.4: a 1280 px window zoomed to 200% is 640 CSS pixels wide at scale 2."""
    context = browser.new_context(
        locale="sv-SE", viewport={"width": 640, "height": 450}, device_scale_factor=2
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/seminars/{SENSITIVE_SEMINAR}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 640, f"the page scrolls sideways: {width} px"
        for selector in ("#name", "#email", "#organization", "#signup form button[type=submit]"):
            box = page.locator(selector).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 640, selector
        # Text-only zoom to 200% as well (a browser setting some people use instead).
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 640, f"text at 200% makes the page scroll sideways: {width} px"
    finally:
        context.close()
