"""The organiser area: the dashboard and the seminar editor (create, edit, duplicate,
preview, publish, unpublish, cancel). Every view loads its seminar through `access`."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from seminars.content import render_markdown
from seminars.extensions import db
from seminars.models import Organizer, Seminar, SeminarStatus, utcnow
from seminars.organising import editor, sessions
from seminars.organising.access import managed_seminar
from seminars.organising.dashboard import overview, seminar_history
from seminars.slugs import SlugTaken
from seminars.web import charts
from seminars.web.fields import ConfirmForm
from seminars.web.organizer.forms import CancelSeminarForm, SeminarForm
from seminars.web.organizer.rows import ROW_ACTION, apply_row_action, blank_rows
from seminars.web.public.forms import SignupForm

bp = Blueprint("organizer", __name__, url_prefix="/organizer")


@bp.before_request
@login_required
def require_login() -> None:
    """Every page here is for logged-in organisers; the rest of the checks are per seminar."""


def me() -> Organizer:
    return current_user._get_current_object()


@bp.get("/")
def dashboard():
    now = utcnow()
    seminars = overview(me(), now)
    shown = [row.seminar.id for row in (*seminars.upcoming, *seminars.past)]
    return render_template(
        "organizer/dashboard.html",
        overview=seminars,
        session_counts=sessions.by_seminar(shown),
        charts=charts,
        now=now,
    )


def _render_editor(form: SeminarForm, seminar: Seminar | None, status: int = 200, **extra):
    history = None
    if seminar is not None and seminar.id is not None:
        history = seminar_history(seminar, utcnow())
    return (
        render_template(
            "organizer/seminar_form.html",
            form=form,
            seminar=seminar,
            history=history,
            charts=charts,
            blank_rows=blank_rows(),
            **extra,
        ),
        status,
    )


def _editor_helpers(form: SeminarForm, seminar: Seminar | None):
    """The form's own buttons that re-show it without saving: a row added, moved or
    removed, and the description preview. None when the organiser pressed a Save button."""
    if apply_row_action(form, request.form.get(ROW_ACTION, "")):
        return _render_editor(form, seminar)
    if "preview_description" in request.form:
        preview = render_markdown(form.description.data or "")
        return _render_editor(form, seminar, description_preview=preview)
    return None


def _show_editor_error(form: SeminarForm, error: editor.EditorError | SlugTaken) -> str:
    """Put the refusal next to its field; returns a problem for the whole form, if any."""
    db.session.rollback()
    if isinstance(error, editor.CapacityBelowConfirmed) and error.online:
        form.online_capacity.errors.append(
            ngettext(
                "%(num)d person already has an online seat. Cancel registrations or move "
                "people on site first to go below that.",
                "%(num)d people already have an online seat. Cancel registrations or move "
                "people on site first to go below that.",
                error.confirmed,
            )
        )
    elif isinstance(error, editor.ModeHasOnlineAttendees):
        form.mode.errors.append(
            ngettext(
                "%(num)d person is registered to take part online. Keep the seminar hybrid "
                "until they have moved on site or cancelled.",
                "%(num)d people are registered to take part online. Keep the seminar hybrid "
                "until they have moved on site or cancelled.",
                error.count,
            )
        )
    elif isinstance(error, editor.CapacityBelowConfirmed):
        form.capacity.errors.append(
            ngettext(
                "%(num)d person already has a confirmed seat. Cancel registrations first to "
                "go below that.",
                "%(num)d people already have a confirmed seat. Cancel registrations first to "
                "go below that.",
                error.confirmed,
            )
        )
    elif isinstance(error, SlugTaken):
        form.slug.errors.append(_("Another seminar already uses this address."))
    elif isinstance(error, editor.SeminarIsCancelled):
        return _("A cancelled seminar cannot be published again. Duplicate it.")
    else:
        form.organization_id.errors.append(_("Choose one of your own organisations."))
    return ""


def _flash_saved(
    seminar: Seminar, result: editor.EditResult | None, *, published: bool, notified: bool
) -> None:
    if published:
        flash(_("Saved and published: anyone can see the seminar and sign up."), "success")
    elif result is None:
        flash(_("The seminar is saved as a draft. Preview it, then publish it."), "success")
    else:
        flash(_("Your changes are saved."), "success")
    if result is None:
        return
    if result.promoted:
        flash(
            ngettext(
                "%(num)d person got a seat from the waiting list and was emailed.",
                "%(num)d people got a seat from the waiting list and were emailed.",
                len(result.promoted),
            ),
            "success",
        )
    if result.time_or_place_changed and seminar.status == SeminarStatus.PUBLISHED:
        if notified:
            flash(_("Attendees are emailed an updated calendar entry."), "success")
        else:
            flash(_("Attendees were not emailed about the new time or place."), "success")


def _save(form: SeminarForm, existing: Seminar | None):
    """Save the editor form, then do what its button asked: publish, preview, or nothing."""
    publishing = "publish" in request.form
    result = None
    try:
        if existing is None:
            seminar = editor.create_seminar(me(), form.draft())
        else:
            seminar = existing
            notify = form.notify_attendees.data
            result = editor.update_seminar(me(), seminar, form.draft(), notify=notify)
        if publishing:
            editor.publish(me(), seminar)
    except (editor.EditorError, SlugTaken) as error:
        problem = _show_editor_error(form, error)
        return _render_editor(form, existing, 422, problem=problem)
    db.session.commit()
    _flash_saved(seminar, result, published=publishing, notified=form.notify_attendees.data)
    if "preview" in request.form:
        return redirect(url_for("organizer.preview_seminar", seminar_id=seminar.id), 303)
    return redirect(url_for("organizer.edit_seminar", seminar_id=seminar.id), 303)


def _editor(seminar: Seminar | None):
    form = SeminarForm.for_organizer(me(), seminar)
    if request.method == "POST":
        shown = _editor_helpers(form, seminar)
        if shown:
            return shown
    if not form.validate_on_submit():
        return _render_editor(form, seminar, 422 if request.method == "POST" else 200)
    return _save(form, seminar)


@bp.route("/seminars/new", methods=["GET", "POST"])
def new_seminar():
    return _editor(None)


@bp.route("/seminars/<int:seminar_id>/edit", methods=["GET", "POST"])
def edit_seminar(seminar_id: int):
    return _editor(managed_seminar(me(), seminar_id))


@bp.post("/seminars/<int:seminar_id>/duplicate")
def duplicate_seminar(seminar_id: int):
    seminar = managed_seminar(me(), seminar_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("organizer.edit_seminar", seminar_id=seminar.id), 303)
    copy = editor.duplicate_seminar(me(), seminar, today=date.today())
    db.session.commit()
    flash(_("This is a copy, saved as a draft. Check the dates before you publish it."), "success")
    return redirect(url_for("organizer.edit_seminar", seminar_id=copy.id), 303)


@bp.get("/seminars/<int:seminar_id>/preview")
def preview_seminar(seminar_id: int):
    seminar = managed_seminar(me(), seminar_id)
    now = utcnow()
    return render_template(
        "organizer/preview.html",
        seminar=seminar,
        form=SignupForm.for_seminar(seminar),
        now=now,
        problem="",
        # A draft shows its form as it will look once published.
        registration_open=seminar.status == SeminarStatus.DRAFT
        or seminar.registration_open_at(now),
    )


@bp.post("/seminars/<int:seminar_id>/unpublish")
def unpublish_seminar(seminar_id: int):
    seminar = managed_seminar(me(), seminar_id)
    if ConfirmForm().validate_on_submit():
        editor.unpublish(me(), seminar)
        db.session.commit()
        flash(_("The seminar is a draft again: its page is hidden."), "success")
    return redirect(url_for("organizer.edit_seminar", seminar_id=seminar.id), 303)


@bp.route("/seminars/<int:seminar_id>/cancel", methods=["GET", "POST"])
def cancel_seminar(seminar_id: int):
    seminar = managed_seminar(me(), seminar_id)
    form = CancelSeminarForm()
    if seminar.status == SeminarStatus.CANCELLED:
        flash(_("This seminar is already cancelled."), "error")
        return redirect(url_for("organizer.edit_seminar", seminar_id=seminar.id), 303)
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("organizer/cancel.html", seminar=seminar, form=form), status
    editor.cancel_seminar(me(), seminar, form.message.data)
    db.session.commit()
    flash(_("The seminar is cancelled and everyone registered is emailed."), "success")
    return redirect(url_for("organizer.edit_seminar", seminar_id=seminar.id), 303)
