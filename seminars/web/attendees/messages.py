"""Messages to a seminar's attendees, and the log of every email sent about it."""

from __future__ import annotations

import secrets

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from seminars import signup
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.mail import render
from seminars.models import OutboxMessage, OutboxStatus, Registration, Seminar
from seminars.organising import messaging, sessions
from seminars.organising.access import managed_seminar
from seminars.organising.dashboard import message_progress
from seminars.web.attendees.forms import MessageForm
from seminars.web.attendees.labels import OUTBOX_STATUS_LABELS, kind_label
from seminars.web.attendees.labels import delivery as delivery_words
from seminars.web.attendees.views import EMAILS_PER_PAGE, SEMINAR, bp
from seminars.web.fields import ConfirmForm


@bp.route(SEMINAR + "/messages", methods=["GET", "POST"])
def messages(seminar_id: int):
    """Write → preview (shows who, and the email exactly as it is sent) → send; "Change"
    goes back to the form."""
    seminar = managed_seminar(current_user, seminar_id)
    form = MessageForm()
    recipient_counts = messaging.recipient_counts(seminar)
    _add_session_audiences(seminar, form, recipient_counts)
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 422
        elif "send" in request.form and form.form_id.data:
            return _send_message(seminar, form, recipient_counts)
        elif "edit" not in request.form:
            form.form_id.data = secrets.token_hex(16)
            count = messaging.recipient_count(seminar, form.audience.data, _mode(seminar, form))
            return _render_preview(seminar, form, count)
    history = messaging.message_history(seminar)
    progress = {message.id: message_progress(seminar.id, message.id) for message in history}
    template = "attendees/_message_history.html" if request.args.get("part") else None
    return (
        render_template(
            template or "attendees/messages.html",
            seminar=seminar,
            form=form,
            recipient_counts=recipient_counts,
            history=history,
            progress=progress,
            sending=not all(p.done for p in progress.values()),
        ),
        status,
    )


def _mode(seminar: Seminar, form: MessageForm) -> str:
    """Only one mode's people, when the organiser of a hybrid seminar asks for that."""
    return form.mode.data or "" if seminar.is_hybrid else ""


def _add_session_audiences(seminar: Seminar, form: MessageForm, recipient_counts: dict) -> None:
    """Everyone with a seat in one parallel session, as more choices of the form."""
    labels = {}
    for audience, session, seated in sessions.message_audiences(seminar.id):
        title = f"{session.group.title}: {session.title}"
        labels[audience] = _("Everyone with a seat in %(session)s", session=title)
        recipient_counts[audience] = seated
    form.audience.choices = [*form.audience.choices, *labels.items()]
    g.session_audience_labels = labels


def _sample_email(seminar: Seminar, form: MessageForm) -> tuple[str, str] | None:
    """(recipient's name, text of the email) as the worker would send it to the first
    recipient; their personal link is shown without its secret part."""
    sample = messaging.sample_message(
        seminar,
        audience=form.audience.data,
        subject=form.subject.data,
        body=form.body.data,
        greeting=form.greeting.data,
        mode=_mode(seminar, form),
    )
    if sample is None:
        return None
    email = render.render(sample)
    registration = db.session.get(Registration, sample.registration_id)
    return sample.to_name, email.text.replace(signup.manage_token(registration), "…")


def _render_preview(seminar: Seminar, form: MessageForm, recipients: int, status: int = 200):
    sample = _sample_email(seminar, form)
    return (
        render_template(
            "attendees/message_preview.html",
            seminar=seminar,
            form=form,
            recipients=recipients if sample else 0,
            sample_name=sample[0] if sample else "",
            sample_text=sample[1] if sample else "",
        ),
        status,
    )


def _send_message(seminar: Seminar, form: MessageForm, recipient_counts: dict[str, int]):
    try:
        count = messaging.send_message(
            seminar,
            current_user,
            audience=form.audience.data,
            subject=form.subject.data,
            body=form.body.data,
            form_id=form.form_id.data,
            greeting=form.greeting.data,
            mode=_mode(seminar, form),
        )
    except messaging.AlreadySent:
        db.session.rollback()
        flash(_("This message was already sent."), "success")
        return redirect(url_for(".messages", seminar_id=seminar.id), 303)
    except messaging.NoRecipients:
        db.session.rollback()
        return _render_preview(seminar, form, 0, 409)
    db.session.commit()
    flash(
        ngettext(
            "The message is on its way to %(num)d person.",
            "The message is on its way to %(num)d people.",
            count,
        ),
        "success",
    )
    return redirect(url_for(".messages", seminar_id=seminar.id), 303)


# ---------------------------------------------------------------------------- email log


@bp.get(SEMINAR + "/emails")
def email_log(seminar_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    status = request.args.get("status", "")
    status = status if status in set(OutboxStatus) else ""
    page = request.args.get("page", 1, type=int) or 1
    emails, total = outbox.for_seminar(
        seminar.id,
        status=OutboxStatus(status) if status else None,
        page=page,
        per_page=EMAILS_PER_PAGE,
    )
    return render_template(
        "attendees/email_log.html",
        seminar=seminar,
        emails=emails,
        total=total,
        page=page,
        pages=max((total + EMAILS_PER_PAGE - 1) // EMAILS_PER_PAGE, 1),
        status=status,
        outbox_labels=OUTBOX_STATUS_LABELS,
        kind_label=kind_label,
        delivery=delivery_words,
    )


@bp.post(SEMINAR + "/emails/<int:message_id>/resend")
def resend_email(seminar_id: int, message_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.seminar_id != seminar.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if messaging.resend_email(message, seminar, current_user):
        db.session.commit()
        flash(_("The email to %(email)s will be sent again.", email=message.to_email), "success")
    else:
        flash(_("Only a failed email can be sent again."), "error")
    return redirect(url_for(".email_log", seminar_id=seminar.id, status="failed"), 303)
