"""The embedded signup (`/embed/seminars/<slug>`) and list (`/embed/o/<slug>`).

Framed only by the sites the hosting organisations allow (CSP frame-ancestors, see
`security.allow_framing_by`). No cookie is read or set: the language comes from the URL
(`?lang=`), the CSRF token is bound to the form (`tokens`). A signup goes through the same
signup function as the public form, and every outcome that is not a refusal of the form
shows the same "check your inbox" page inside the frame, so the frame never tells whether an
address was already registered (DESIGN guarantee 5). The emails link to the full site.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from seminars import database, signup
from seminars.extensions import csrf, db
from seminars.models import Organization, Seminar, utcnow
from seminars.organising.embedding import frame_ancestors
from seminars.web.embed import tokens
from seminars.web.i18n import current_language
from seminars.web.pagecache import VISIBLE
from seminars.web.public.forms import SignupForm
from seminars.web.public.organisations import organisation_or_404, upcoming_of
from seminars.web.security import allow_framing_by, signup_rate_limit

bp = Blueprint("embed", __name__, url_prefix="/embed")

# A POST from another site's page (not from our own form in the frame) is refused; browsers
# that send no Sec-Fetch-Site leave the form token alone to decide.
FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})


@bp.before_request
def read_without_the_write_lock() -> None:
    if request.method in ("GET", "HEAD"):
        database.begin_for_reading()


@bp.after_request
def not_for_search_engines(response: Response) -> Response:
    # The same seminar is on its own page; the framed copies are not for search results.
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _seminar_or_404(condition) -> Seminar:
    """The visible seminar (`Seminar.slug == slug`, say), allowed to be framed by the sites
    of every organisation that hosts it."""
    database.begin_for_reading()
    seminar = db.session.execute(
        select(Seminar)
        .where(condition, Seminar.status.in_(VISIBLE))
        .options(selectinload(Seminar.cohosts), selectinload(Seminar.questions))
    ).scalar_one_or_none()
    if seminar is None:
        abort(404)
    allow_framing_by(frame_ancestors(seminar.organizations))
    return seminar


def _listed_by(seminar: Seminar) -> Organization | None:
    """The organisation whose embedded list this seminar was opened from (`?list=`), if it
    hosts the seminar: the page then links back to that list."""
    slug = request.args.get("list")
    return next((o for o in seminar.organizations if o.slug == slug), None)


def _urls(seminar: Seminar, listed_by: Organization | None) -> dict:
    """Links inside the frame keep its language and list; the full page opens in a new tab."""
    keep = {"lang": current_language()}
    if listed_by is not None:
        keep["list"] = listed_by.slug
    return {
        "action": url_for(".register", slug=seminar.slug, **keep),
        "form_page": url_for(".seminar", slug=seminar.slug, **keep),
        "list": (
            url_for(".organisation", slug=listed_by.slug, lang=keep["lang"]) if listed_by else ""
        ),
    }


def _render(seminar: Seminar, form: SignupForm | None = None, *, problem: str = "", status=200):
    now = utcnow()
    registration_open = seminar.registration_open_at(now)
    if form is None and registration_open:
        form = _form_class(seminar)()
    return (
        render_template(
            "embed/seminar.html",
            seminar=seminar,
            form=form,
            form_token=tokens.issue(seminar.id),
            problem=problem,
            now=now,
            registration_open=registration_open,
            urls=_urls(seminar, _listed_by(seminar)),
        ),
        status,
    )


def _form_class(seminar: Seminar) -> type[SignupForm]:
    return SignupForm.for_version(
        seminar.id, seminar.content_version, lambda: seminar.questions, hybrid=seminar.is_hybrid
    )


@bp.get("/seminars/<slug>")
def seminar(slug: str):
    return _render(_seminar_or_404(Seminar.slug == slug))


@bp.post("/seminars/<slug>/register")
@csrf.exempt  # no session cookie to check against in a third-party frame: see tokens.py
@signup_rate_limit
def register(slug: str):
    seminar = _seminar_or_404(Seminar.slug == slug)
    if request.headers.get("Sec-Fetch-Site") in FOREIGN_FETCH_SITES:
        abort(400)
    form = _form_class(seminar)()
    if not tokens.is_valid(request.form.get("form_token"), seminar.id):
        problem = _("The form expired. Check your answers and send them again.")
        return _render(seminar, form, problem=problem, status=400)
    if form.website.data:
        # The honeypot was filled in: show a bot what success looks like, store nothing.
        return _inbox(seminar, form.email.data)
    if not form.validate():
        return _render(seminar, form, status=422)
    return _sign_up(seminar, form)


def _sign_up(seminar: Seminar, form: SignupForm):
    """Through the signup domain as the public form does; every signup that is not refused
    answers with the same page."""
    seminar_id, version = seminar.id, seminar.content_version
    attendee = form.attendee(current_language())
    mode = form.chosen_mode()
    chosen = form.session_choices()
    db.session.rollback()  # end the read; the signup locks and re-checks the seminar
    with db.engine.begin() as connection:  # commits at the end of the block
        outcome = signup.sign_up(
            seminar_id,
            attendee,
            connection=connection,
            content_version=version,
            place_in_line=False,  # the answer shows no place (the email does)
            mode=mode,
            sessions=chosen,
        )
    if outcome.kind == signup.Outcome.CHANGED:
        return _refused(seminar_id, _("The seminar was changed just now. Check your answers."))
    if outcome.kind == signup.Outcome.FULL:
        return _refused(seminar_id, _("The seminar is fully booked."))
    if outcome.kind == signup.Outcome.CLOSED:
        return _refused(seminar_id, _("Registration for this seminar is closed."))
    if outcome.kind == signup.Outcome.SESSION_FULL:
        return _refused(seminar_id, _("A session you chose is full. Choose another."))
    # Read again as a reader: on SQLite a plain transaction would queue for the write lock.
    return _inbox(_seminar_or_404(Seminar.id == seminar_id), attendee.email)


def _refused(seminar_id: int, problem: str):
    """The form again, with the person's answers, as the seminar is now."""
    seminar = _seminar_or_404(Seminar.id == seminar_id)
    form = _form_class(seminar)(formdata=request.form)
    return _render(seminar, form, problem=problem, status=409)


def _inbox(seminar: Seminar, email: str):
    return render_template(
        "embed/signed_up.html",
        seminar=seminar,
        email=email,
        urls=_urls(seminar, _listed_by(seminar)),
    )


@bp.get("/o/<slug>")
def organisation(slug: str):
    organization = organisation_or_404(slug)
    allow_framing_by(organization.embed_origins or [])
    return render_template(
        "embed/organisation.html",
        organization=organization,
        upcoming=upcoming_of(organization),
        now=utcnow(),
        lang=current_language(),
    )
