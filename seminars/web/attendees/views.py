"""The organiser's attendee pages: the list, one person, adding and importing people,
check-in at the door, messages, the email log and the audit log.

Every view loads its seminar through `access.managed_seminar` (DESIGN
guarantee 6), calls one function in `roster.py`, and commits once.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from seminars import dates, signup
from seminars.extensions import db
from seminars.models import OutboxMessage, Registration, Seminar, Status
from seminars.organising import importing, roster, sessions
from seminars.organising.access import managed_seminar
from seminars.signup.modes import MODES
from seminars.web.attendees.forms import (
    CancelForm,
    ImportForm,
    MoveUpForm,
    NewPersonForm,
    PersonForm,
)
from seminars.web.attendees.labels import (
    AUDIENCE_LABELS,
    KIND_LABELS,
    OUTBOX_STATUS_LABELS,
    STATUS_LABELS,
)
from seminars.web.i18n import current_language
from seminars.web.public.forms import EmailForm

bp = Blueprint("attendees", __name__, url_prefix="/organizer")

SEMINAR = "/seminars/<int:seminar_id>"
MAX_SEARCH_LENGTH = 200
EMAILS_PER_PAGE = 100

PROBLEMS = {
    importing.Problem.NO_EMAIL: _l("No email address"),
    importing.Problem.INVALID_EMAIL: _l("The email address is not valid"),
    importing.Problem.SEVERAL_EMAILS: _l(
        "Several email addresses and other text on one line: put each person on a line of their own"
    ),
    importing.Problem.TOO_LONG: _l("Too long"),
    importing.Problem.CONTROL_CHARACTERS: _l("Contains characters that cannot be used"),
    importing.Problem.INVISIBLE_CHARACTERS: _l(
        "The name or organisation contains invisible characters that change how text is shown"
    ),
}


@bp.before_request
@login_required
def require_login() -> None:
    """Every page here is for logged-in organisers; each view checks the seminar as well."""


@bp.context_processor
def formatting() -> dict:
    # Lists show a thousand of these: strftime, not Babel, keeps that fast.
    pattern = "%Y-%m-%d %H.%M" if current_language() == "sv" else "%Y-%m-%d %H:%M"
    return {
        "fmt_stamp": lambda moment: dates.local(moment).strftime(pattern) if moment else "",
        "status_labels": STATUS_LABELS,
        "kind_labels": KIND_LABELS,
        "audience_labels": {**AUDIENCE_LABELS, **g.get("session_audience_labels", {})},
    }


def search_text() -> str:
    return (request.values.get("q") or "").strip()[:MAX_SEARCH_LENGTH]


def mode_filter(seminar: Seminar) -> str:
    """The `?mode=` of a hybrid seminar's lists: "onsite", "online" or "" (everyone)."""
    mode = request.args.get("mode", "")
    return mode if seminar.is_hybrid and mode in MODES else ""


def registration_or_404(seminar: Seminar, registration_id: int) -> Registration:
    registration = roster.registration_in(seminar, registration_id)
    if registration is None or registration.anonymised_at is not None:
        abort(404)
    return registration


# ---------------------------------------------------------------------------- the list


@bp.get(SEMINAR + "/attendees")
def list_attendees(seminar_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    status = request.args.get("status", "all")
    status = status if status in roster.STATUS_FILTERS else "all"
    sort = request.args.get("sort", "status")
    sort = sort if sort in roster.SORTS else "status"
    descending = request.args.get("order") == "desc"
    search = search_text()
    mode = mode_filter(seminar)
    entries = roster.roster(
        seminar,
        search=search,
        statuses=roster.STATUS_FILTERS[status],
        sort=sort,
        descending=descending,
        mode=mode,
    )
    chosen = sessions.choices_by_registration(seminar.id)
    in_session = sessions.session_of(seminar.id, request.args.get("session"))
    if in_session is not None:
        held = sessions.in_session(chosen, in_session.id)
        entries = [entry for entry in entries if entry.registration.id in held]
    listing = {
        "status": status,
        "q": search,
        "sort": sort,
        "order": "desc" if descending else "",
        "mode": mode,
        "session": str(in_session.id) if in_session else "",
    }
    return render_template(
        "attendees/list.html",
        seminar=seminar,
        entries=entries,
        session_groups=sessions.session_seats.groups_of(seminar.id),
        chosen=chosen,
        counts=roster.counts(seminar),
        mode_counts={m: roster.counts(seminar, m) for m in MODES} if seminar.is_hybrid else {},
        listing=listing,
        listing_query=urlencode({k: v for k, v in listing.items() if v}),
        questions=[q for q in seminar.questions if not q.sensitive],
    )


# -------------------------------------------------------------------------- one person


def _render_registration(
    seminar: Seminar,
    registration: Registration,
    *,
    form: PersonForm | None = None,
    email_form: EmailForm | None = None,
    move_form: MoveUpForm | None = None,
    move_problem: str = "",
    status: int = 200,
):
    if form is None:
        form = PersonForm.for_registration(registration)
    position = total = 0
    if registration.status == Status.WAITING:
        position, total = signup.waiting_position(registration)
    emails = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.registration_id == registration.id)
        .order_by(OutboxMessage.id.desc())
    ).all()
    return (
        render_template(
            "attendees/registration.html",
            seminar=seminar,
            registration=registration,
            form=form,
            cancel_form=CancelForm(),
            email_form=email_form or EmailForm(formdata=None),
            move_form=move_form or MoveUpForm(),
            move_problem=move_problem,
            position=position,
            waiting_total=total,
            emails=emails,
            outbox_labels=OUTBOX_STATUS_LABELS,
            back_query=request.args.get("back", ""),
        ),
        status,
    )


@bp.get(SEMINAR + "/attendees/<int:registration_id>")
def show_registration(seminar_id: int, registration_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    registration = registration_or_404(seminar, registration_id)
    return _render_registration(seminar, registration)


@bp.post(SEMINAR + "/attendees/<int:registration_id>")
def edit_registration(seminar_id: int, registration_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    registration = registration_or_404(seminar, registration_id)
    if registration.status == Status.CANCELLED:
        abort(409)
    form = PersonForm.for_seminar(seminar)
    if not form.validate_on_submit():
        return _render_registration(seminar, registration, form=form, status=422)
    changed = roster.edit_registration(
        registration,
        current_user,
        name=form.name.data,
        organization=form.organization.data or "",
        answers=form.answers(),
    )
    db.session.commit()
    flash(_("The details are saved.") if changed else _("Nothing was changed."), "success")
    return redirect(
        url_for(".show_registration", seminar_id=seminar.id, registration_id=registration.id), 303
    )


@bp.post(SEMINAR + "/attendees/<int:registration_id>/email")
def change_email(seminar_id: int, registration_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    registration = registration_or_404(seminar, registration_id)
    if registration.status == Status.CANCELLED:
        abort(409)
    form = EmailForm()
    if form.validate_on_submit():
        try:
            changed = roster.change_email(registration, current_user, form.email.data)
        except signup.AddressTaken:
            db.session.rollback()
            form.email.errors.append(
                _("Someone else registered for this seminar has this address already.")
            )
        else:
            db.session.commit()
            flash(
                _(
                    "The address is changed to %(email)s. The new address got the "
                    "confirmation with a new link, and the old one a short notice.",
                    email=registration.email,
                )
                if changed
                else _("Nothing was changed."),
                "success",
            )
            return redirect(
                url_for(
                    ".show_registration", seminar_id=seminar.id, registration_id=registration.id
                ),
                303,
            )
    return _render_registration(seminar, registration, email_form=form, status=422)


@bp.post(SEMINAR + "/attendees/<int:registration_id>/cancel")
def cancel_registration(seminar_id: int, registration_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    registration = registration_or_404(seminar, registration_id)
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    promoted = roster.cancel_registration(registration, current_user, notify=form.notify.data)
    db.session.commit()
    flash(_("The registration of %(name)s is cancelled.", name=registration.name), "success")
    for person in promoted:
        flash(_("%(name)s got the free seat from the waiting list.", name=person.name), "success")
    return redirect(
        url_for(".show_registration", seminar_id=seminar.id, registration_id=registration.id), 303
    )


@bp.post(SEMINAR + "/attendees/<int:registration_id>/confirm")
def move_up(seminar_id: int, registration_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    registration = registration_or_404(seminar, registration_id)
    form = MoveUpForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        moved = roster.move_to_confirmed(
            registration, current_user, exceed_capacity=form.exceed_capacity.data
        )
    except signup.SeminarFull:
        db.session.rollback()
        problem = _(
            "All %(capacity)d seats are taken. Tick the box to give %(name)s a seat anyway.",
            capacity=seminar.capacity,
            name=registration.name,
        )
        return _render_registration(
            seminar, registration, move_form=form, move_problem=problem, status=409
        )
    db.session.commit()
    if moved:
        flash(_("%(name)s now has a seat and gets an email.", name=registration.name), "success")
    else:
        flash(_("%(name)s is no longer on the waiting list.", name=registration.name), "error")
    return redirect(
        url_for(".show_registration", seminar_id=seminar.id, registration_id=registration.id), 303
    )


# ------------------------------------------------------------------------ adding people


@bp.route(SEMINAR + "/attendees/new", methods=["GET", "POST"])
def add_person(seminar_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    form = NewPersonForm.for_seminar(seminar)
    existing = None
    problem = ""
    if form.validate_on_submit():
        outcome = roster.add_person(
            seminar,
            form.attendee(),
            current_user,
            override_capacity=form.exceed_capacity.data,
            mode=form.mode.data,
            sessions=form.session_choices(),
        )
        if outcome.kind == signup.Outcome.ALREADY_REGISTERED:
            existing = db.session.get(Registration, outcome.registration_id)
            form.email.errors.append(_("This address is already registered for the seminar."))
        elif outcome.kind == signup.Outcome.CLOSED:
            problem = _("The seminar is cancelled, so nobody can be added.")
        elif outcome.kind == signup.Outcome.CHANGED:
            problem = _("The sessions were changed just now. Check the choice and add again.")
        else:
            db.session.commit()
            registration = db.session.get(Registration, outcome.registration_id)
            flash(_added_message(seminar, registration), "success")
            return redirect(
                url_for(
                    ".show_registration", seminar_id=seminar.id, registration_id=registration.id
                ),
                303,
            )
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "attendees/new.html",
            seminar=seminar,
            form=form,
            existing=existing,
            problem=problem,
        ),
        status,
    )


def _added_message(seminar: Seminar, registration: Registration) -> str:
    if registration.status == Status.WAITING:
        position, _total = signup.waiting_position(registration)
        return _(
            "%(name)s is on the waiting list, place %(position)d: the seminar is full.",
            name=registration.name or registration.email,
            position=position,
        )
    if seminar.seats_taken > seminar.capacity:
        return _(
            "%(name)s has a seat beyond the capacity: %(taken)d of %(capacity)d seats taken.",
            name=registration.name or registration.email,
            taken=seminar.seats_taken,
            capacity=seminar.capacity,
        )
    return _("%(name)s has a seat and gets a confirmation email.", name=registration.name)


@bp.route(SEMINAR + "/attendees/import", methods=["GET", "POST"])
def import_attendees(seminar_id: int):
    """Paste or upload → preview (nothing written) → confirm re-reads the same text and adds."""
    seminar = managed_seminar(current_user, seminar_id)
    form = ImportForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("attendees/import.html", seminar=seminar, form=form), status

    text, source = form.text.data or "", form.source.data
    if form.csv_file.data and form.csv_file.data.filename:
        text, source = importing.decode_csv(form.csv_file.data.read()), "csv"
    source = "csv" if source == "csv" else "paste"
    if "edit" in request.form:
        form.text.data = text
        return render_template("attendees/import.html", seminar=seminar, form=form)
    if not text.strip():
        form.text.errors.append(_("Paste some lines or choose a file."))
        return render_template("attendees/import.html", seminar=seminar, form=form), 422
    parsed = importing.parse_csv(text) if source == "csv" else importing.parse_pasted(text)

    if "confirm" in request.form:
        chosen = sessions.chosen_in_form(seminar.id, request.form)
        result = roster.import_people(
            seminar, parsed, current_user, mode=form.mode.data or "", sessions=chosen
        )
        db.session.commit()
        flash(
            ngettext(
                "%(num)d person added (%(confirmed)d with a seat, %(waiting)d on the waiting "
                "list).",
                "%(num)d people added (%(confirmed)d with a seat, %(waiting)d on the waiting "
                "list).",
                result.added,
                confirmed=result.confirmed,
                waiting=result.waiting,
            ),
            "success",
        )
        return redirect(url_for(".list_attendees", seminar_id=seminar.id), 303)

    return render_template(
        "attendees/import_preview.html",
        seminar=seminar,
        preview=roster.preview_import(seminar, parsed, form.mode.data or ""),
        session_groups=sessions.session_seats.groups_of(seminar.id),
        text=text,
        source=source,
        mode=form.mode.data or "",
        problems=PROBLEMS,
    )
