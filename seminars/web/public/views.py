"""Public pages: the seminar list, a seminar with its signup form, calendars, the
attendee's own page behind the manage link, and the health check."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from seminars import database, signup
from seminars.exports import calendar
from seminars.extensions import db
from seminars.models import (
    Question,
    Registration,
    Seminar,
    SeminarMode,
    SeminarStatus,
    Status,
    registration_phase,
    seats_left,
    utcnow,
)
from seminars.organising import audit
from seminars.signup import modes
from seminars.web import pagecache
from seminars.web.fields import ConfirmForm
from seminars.web.i18n import LANGUAGE_COOKIE, LANGUAGES, current_language
from seminars.web.public.forms import AskedQuestion, AttendeeDetailsForm, EmailForm, SignupForm
from seminars.web.redirects import local_path
from seminars.web.security import signup_rate_limit

bp = Blueprint("public", __name__)


@bp.before_request
def read_without_the_write_lock() -> None:
    # Page views must not queue behind signups for SQLite's write lock. (The seminar page
    # reads on a connection of its own; see `seminar`.)
    if request.method in ("GET", "HEAD") and request.endpoint != "public.seminar":
        database.begin_for_reading()


VISIBLE = pagecache.VISIBLE


def visible_seminar_or_404(slug: str) -> Seminar:
    seminar = db.session.execute(
        select(Seminar).where(Seminar.slug == slug, Seminar.status.in_(VISIBLE))
    ).scalar_one_or_none()
    if seminar is None:
        abort(404)
    return seminar


def seminar_url(seminar: Seminar) -> str:
    return current_app.config["BASE_URL"] + url_for("public.seminar", slug=seminar.slug)


@bp.get("/")
def index():
    now = utcnow()
    upcoming = db.session.scalars(
        select(Seminar)
        .where(Seminar.status.in_(VISIBLE), Seminar.ends_at >= now)
        .order_by(Seminar.starts_at)
        # Every card names its co-hosts: one query for all of them, not one per card.
        .options(selectinload(Seminar.cohosts))
    ).all()
    past = db.session.scalars(
        select(Seminar)
        .where(Seminar.status == SeminarStatus.PUBLISHED, Seminar.ends_at < now)
        .order_by(Seminar.starts_at.desc())
        .limit(30)
    ).all()
    return render_template("public/index.html", upcoming=upcoming, past=past, now=now)


def _seminar_page(seminar_id: int, form: SignupForm | None = None, *, problem: str = "") -> str:
    """The seminar's page with everything it shows, read in one round of queries as a
    reader: also after a signup's write has ended, so a re-shown form never holds the lock."""
    with database.reading():
        seminar = db.session.execute(
            select(Seminar)
            .where(Seminar.id == seminar_id)
            .options(
                selectinload(Seminar.cohosts),
                selectinload(Seminar.program_items),
                selectinload(Seminar.speakers),
                selectinload(Seminar.questions),
            )
        ).scalar_one()
        now = utcnow()
        registration_open = seminar.registration_open_at(now)
        if form is None and registration_open:
            form = _signup_form(
                seminar.id, seminar.content_version, lambda: seminar.questions, seminar.is_hybrid
            )
        return render_template(
            "public/seminar.html",
            seminar=seminar,
            form=form,
            now=now,
            problem=problem,
            registration_open=registration_open,
        )


def _signup_form(
    seminar_id: int, content_version: int, questions: Callable[[], list], hybrid: bool = False
) -> SignupForm:
    return SignupForm.for_version(seminar_id, content_version, questions, hybrid=hybrid)()


def _asked_questions(seminar_id: int) -> list[AskedQuestion]:
    with database.reading():
        return [
            AskedQuestion.of(question)
            for question in db.session.scalars(
                select(Question)
                .where(Question.seminar_id == seminar_id)
                .order_by(Question.position)
            )
        ]


def _page_state_or_404(slug: str, *, fresh: bool = False):
    state = pagecache.page_state(slug, fresh=fresh)
    if state is None:
        abort(404)
    return state


@bp.get("/seminars/<slug>")
def seminar(slug: str):
    """Served from pagecache: one small query per view, a full render once per version."""
    state = _page_state_or_404(slug)
    phase = registration_phase(state, utcnow())
    seats = seats_left(state)
    full = pagecache.full_modes(state)
    key = (state.id, state.content_version, state.status, phase, full, current_language())
    label = pagecache.seats_label(state)
    # The offer is sold out only when every mode is (web/sharing.py).
    seats = seats if all(full[1:]) else max(seats, 1)
    return pagecache.seminar_pages().page(key, lambda: _seminar_page(state.id), seats, label)


# A form checked against a page state this process reused, and refused, is checked again:
# a question may have been removed since.
_CHANGED = signup.SignupOutcome(signup.Outcome.CHANGED)
# What a bot that filled in the honeypot is told: what an accepted signup is told.
_PRETENDED = signup.SignupOutcome(signup.Outcome.ALREADY_REGISTERED)

MODE_FULL = _l(
    "This way of taking part is fully booked. Choose the other one. If you have signed up "
    "already, your registration stands: the link to it is in the email you got then."
)
# Where the address goes in a cached "check your email" page. NUL never occurs in text.
ADDRESS_HOLE = "\x00address\x00"
PROBLEMS = {
    signup.Outcome.FULL: _l(
        "The seminar is fully booked. If you have signed up already, your registration "
        "stands: the link to it is in the email you got then."
    ),
    signup.Outcome.CLOSED: _l("Registration for this seminar is closed."),
    signup.Outcome.SESSION_FULL: _l(
        "A session you chose became full just now and has no waiting list. Choose another."
    ),
    # Changed again while this person's form was checked once more.
    signup.Outcome.CHANGED: _l(
        "The seminar was changed just now. Check your answers and send them again."
    ),
}


@bp.post("/seminars/<slug>/register")
@signup_rate_limit
def register(slug: str):
    """Check the form, sign up, answer. The form is checked against the page state this
    process read last (pagecache.page_state); if the seminar's page has changed since (a
    question added or removed), once more against the page as it is now."""
    state = _page_state_or_404(slug)
    form, outcome = _check_and_sign_up(state, fresh=False)
    if outcome is not None and outcome.kind == signup.Outcome.CHANGED:
        state = _page_state_or_404(slug, fresh=True)
        form, outcome = _check_and_sign_up(state, fresh=True)
    return _answer(state, form, outcome)


def _check_and_sign_up(state, *, fresh: bool) -> tuple[SignupForm, signup.SignupOutcome | None]:
    """Check the form against the page at `state` and sign up; None: the form is refused.
    Only the signup writes, so it holds SQLite's write lock (or the seminar's row lock) for
    the signup alone."""
    hybrid = state.mode == SeminarMode.HYBRID
    form = _signup_form(state.id, state.content_version, lambda: _asked_questions(state.id), hybrid)
    if form.website.data:
        return form, _PRETENDED  # the honeypot was filled in: nothing is stored
    if not form.validate_on_submit():
        return form, None if fresh else _CHANGED
    # The write goes on a connection of its own: nothing read in this request's session may
    # stay open beside it (on SQLite a session that began writing holds the write lock).
    db.session.rollback()
    with db.engine.begin() as connection:  # commits at the end of the block
        outcome = signup.sign_up(
            state.id,
            form.attendee(current_language()),
            connection=connection,
            content_version=state.content_version,
            place_in_line=False,  # the answer shows no place (the email does)
            mode=form.chosen_mode(),
            sessions=form.session_choices(),
        )
    return form, outcome


def _answer(state, form: SignupForm, outcome: signup.SignupOutcome | None):
    """The response says nothing about who is registered (DESIGN guarantee 5): a new seat,
    a place in line and an address registered already all get the same page, and closed
    or full is the same refusal for everyone. What the person has is in the email."""
    if outcome is None:
        return _seminar_page(state.id, form), 422
    if outcome.accepted:
        return check_email_page(state, form.email.data)
    problem = PROBLEMS[outcome.kind]
    if outcome.kind == signup.Outcome.FULL and state.mode == SeminarMode.HYBRID:
        problem = MODE_FULL
    return _seminar_page(state.id, form, problem=str(problem)), 409


def check_email_page(state, email: str) -> str:
    """The "check your email" page: where the email about a signup went, and what to do
    if none comes. The same page for every signup the seminar took, rendered once per
    version of the seminar's page (`state`, see pagecache.py) with a hole for the address."""
    key = ("check email", state.id, state.content_version, current_language())
    page = pagecache.seminar_pages().rendered(key, lambda: _render_check_email(state.id))
    return page.replace(ADDRESS_HOLE, str(escape(email)))


def _render_check_email(seminar_id: int) -> str:
    with database.reading():
        seminar = db.session.get(Seminar, seminar_id)
        return render_template("public/check_email.html", seminar=seminar, email=ADDRESS_HOLE)


@bp.get("/seminars/<slug>.ics")
def seminar_ics(slug: str):
    seminar = visible_seminar_or_404(slug)
    body = calendar.calendar_for([(seminar, seminar_url(seminar))], current_app.config["BASE_URL"])
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{seminar.slug}.ics"'},
    )


@bp.get("/calendar.ics")
def calendar_ics():
    seminars = db.session.scalars(
        select(Seminar)
        .where(Seminar.status.in_(VISIBLE), Seminar.ends_at >= utcnow())
        .order_by(Seminar.starts_at)
    ).all()
    body = calendar.calendar_for(
        [(s, seminar_url(s)) for s in seminars],
        current_app.config["BASE_URL"],
        name=_("Seminars"),
    )
    return Response(body, mimetype="text/calendar")


def registration_or_404(token: str) -> Registration:
    """The registration a manage link opens; 404 for an unknown token or erased data."""
    registration = signup.registration_for_token(token)
    if registration is None:
        abort(404)
    return registration


def _render_manage(registration: Registration, token: str, form=None, *, status=200, **extra):
    seminar = registration.seminar
    if form is None:
        form = AttendeeDetailsForm.for_registration(registration)
    position = total = 0
    if registration.status == Status.WAITING:
        position, total = signup.waiting_position(registration)
    return (
        render_template(
            "public/manage.html",
            registration=registration,
            seminar=seminar,
            token=token,
            form=form,
            confirm_form=ConfirmForm(),
            email_form=extra.pop("email_form", None) or EmailForm(formdata=None),
            position=position,
            waiting_total=total,
            can_change=registration.status != Status.CANCELLED and seminar.ends_at > utcnow(),
            online_details=modes.online_details_for(seminar, registration),
            venue_shown=modes.venue_for(seminar, registration),
            session_slots=_session_slots(registration),
            session_result=request.args.get("session", ""),
            **extra,
        ),
        status,
    )


def _session_slots(registration: Registration) -> list:
    from seminars.web.public.my_sessions import slots_of  # its routes import this module

    return slots_of(registration) if registration.status != Status.CANCELLED else []


@bp.get("/r/<token>")
def manage(token: str):
    registration = registration_or_404(token)
    return _render_manage(
        registration,
        token,
        saved=request.args.get("saved") == "1",
        email_saved=request.args.get("email_saved") == "1",
        switched=SWITCHED.get(request.args.get("switched", ""), ""),
    )


@bp.post("/r/<token>")
def change_answers(token: str):
    registration = registration_or_404(token)
    form = AttendeeDetailsForm.for_seminar(registration.seminar)
    if registration.status == Status.CANCELLED:
        abort(409)
    if not form.validate_on_submit():
        return _render_manage(registration, token, form, status=422)
    signup.change_answers(
        registration,
        name=form.name.data,
        organization=form.organization.data or "",
        answers=form.answers(),
    )
    db.session.commit()
    return redirect(url_for("public.manage", token=token, saved=1), 303)


@bp.post("/r/<token>/email")
def change_email(token: str):
    """The attendee's own new address: their link keeps working, and goes to it too."""
    registration = registration_or_404(token)
    if registration.status == Status.CANCELLED:
        abort(409)
    form = EmailForm()
    if form.validate_on_submit():
        before = registration.email
        try:
            signup.change_email(registration, form.email.data, new_link=False)
        except signup.AddressTaken:
            db.session.rollback()
            form.email.errors.append(
                _("This address is already registered for the seminar. Use another address.")
            )
        else:
            if registration.email != before:
                audit.record(
                    None,
                    "changed_own_email",
                    seminar=registration.seminar,
                    detail={"registration": registration.id},
                )
            db.session.commit()
            return redirect(url_for("public.manage", token=token, email_saved=1), 303)
    return _render_manage(registration, token, status=422, email_form=form)


SWITCHED = {
    signup.Switch.SWITCHED: _l("Done: you have changed how you take part. We have emailed you."),
    signup.Switch.WAITING: _l(
        "You are in line for a seat there, and keep your seat until one is free. When it "
        "is, you are moved by yourself and we email you."
    ),
    signup.Switch.STAYED: _l("You are no longer in line to change, and keep your seat."),
    signup.Switch.FULL: _l("There is no free seat there, and no waiting list to join."),
}


@bp.post("/r/<token>/mode")
def switch_mode(token: str):
    """On site or online instead (a hybrid seminar), from the attendee's own page."""
    registration = registration_or_404(token)
    if not ConfirmForm().validate_on_submit():
        return _render_manage(registration, token, status=400)
    outcome = signup.switch_mode(registration, request.form.get("mode", ""))
    db.session.commit()
    return redirect(url_for("public.manage", token=token, switched=outcome.value), 303)


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    registration = registration_or_404(token)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        signup.cancel(registration)
        db.session.commit()
        return redirect(url_for("public.manage", token=token), 303)
    return render_template(
        "public/cancel.html",
        registration=registration,
        seminar=registration.seminar,
        token=token,
        form=form,
    )


@bp.route("/r/<token>/delete", methods=["GET", "POST"])
def delete(token: str):
    registration = registration_or_404(token)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        seminar = registration.seminar
        signup.delete_own_data(registration)
        db.session.commit()
        return render_template("public/deleted.html", seminar=seminar)
    return render_template(
        "public/delete.html",
        registration=registration,
        seminar=registration.seminar,
        token=token,
        form=form,
    )


@bp.get("/language/<code>")
def choose_language(code: str):
    if code not in LANGUAGES:
        abort(404)
    # Only paths on this site, so the switch cannot be used as an open redirect.
    response = redirect(local_path(request.args.get("next")) or "/")
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means "not healthy"
        current_app.logger.warning("health check failed: %s", error)
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
