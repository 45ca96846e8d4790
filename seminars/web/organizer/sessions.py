"""The organiser's parallel sessions of a seminar: each group with its sessions and how
many are seated and waiting in each, and the form of one group. Routes on the organiser
blueprint (views.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from seminars.extensions import db
from seminars.models import SessionGroup
from seminars.organising import sessions
from seminars.organising.access import managed_seminar
from seminars.web.fields import ConfirmForm
from seminars.web.organizer.rows import ROW_ACTION, add_blank_rows
from seminars.web.organizer.session_forms import (
    ADD_SESSION,
    SessionGroupForm,
    blank_session_row,
)
from seminars.web.organizer.views import bp, me


@bp.get("/seminars/<int:seminar_id>/sessions")
def seminar_sessions(seminar_id: int):
    seminar = managed_seminar(me(), seminar_id)
    return render_template(
        "organizer/sessions.html",
        seminar=seminar,
        groups=sessions.counts(seminar.id),
        confirm_form=ConfirmForm(),
    )


def _group_or_404(seminar_id: int, group_id: int) -> SessionGroup:
    group = db.session.get(SessionGroup, group_id)
    if group is None or group.seminar_id != seminar_id:
        abort(404)
    return group


def _render(seminar, group, form, status: int = 200):
    return (
        render_template(
            "organizer/session_group.html",
            seminar=seminar,
            group=group,
            form=form,
            blank_row=blank_session_row(),
        ),
        status,
    )


@bp.route("/seminars/<int:seminar_id>/sessions/new", methods=["GET", "POST"])
def new_session_group(seminar_id: int):
    return _edit(managed_seminar(me(), seminar_id), None)


@bp.route("/seminars/<int:seminar_id>/sessions/<int:group_id>", methods=["GET", "POST"])
def edit_session_group(seminar_id: int, group_id: int):
    seminar = managed_seminar(me(), seminar_id)
    return _edit(seminar, _group_or_404(seminar.id, group_id))


def _edit(seminar, group: SessionGroup | None):
    form = SessionGroupForm.for_group(group)
    if request.method == "POST" and request.form.get(ROW_ACTION) == ADD_SESSION:
        add_blank_rows(form.sessions, 1)
        return _render(seminar, group, form)
    if not form.validate_on_submit():
        return _render(seminar, group, form, 422 if request.method == "POST" else 200)
    try:
        result = sessions.save_group(me(), seminar, group, form.draft())
    except sessions.CapacityBelowSeated as error:
        db.session.rollback()
        form.kept_rows()[error.index].capacity.errors.append(
            ngettext(
                "%(num)d person already has a seat in this session. Move or cancel them "
                "first to go below that.",
                "%(num)d people already have a seat in this session. Move or cancel them "
                "first to go below that.",
                error.seated,
            )
        )
        return _render(seminar, group, form, 422)
    db.session.commit()
    _flash_saved(result.moved, result.told)
    return redirect(url_for("organizer.seminar_sessions", seminar_id=seminar.id), 303)


def _flash_saved(moved: list, told: int) -> None:
    flash(_("The sessions are saved."), "success")
    if moved:
        flash(
            ngettext(
                "%(num)d person got a seat in a session from its waiting list and was emailed.",
                "%(num)d people got a seat in a session from its waiting list and were emailed.",
                len(moved),
            ),
            "success",
        )
    if told:
        flash(
            ngettext(
                "%(num)d person who had chosen a removed session was emailed.",
                "%(num)d people who had chosen a removed session were emailed.",
                told,
            ),
            "success",
        )


@bp.post("/seminars/<int:seminar_id>/sessions/<int:group_id>/delete")
def delete_session_group(seminar_id: int, group_id: int):
    seminar = managed_seminar(me(), seminar_id)
    group = _group_or_404(seminar.id, group_id)
    if ConfirmForm().validate_on_submit():
        told = sessions.delete_group(me(), seminar, group)
        db.session.commit()
        _flash_saved([], told)
    return redirect(url_for("organizer.seminar_sessions", seminar_id=seminar.id), 303)
