"""The audit log of a seminar and of an organisation, in words."""

from __future__ import annotations

import json

from flask import abort, render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import (
    AuditEvent,
    Organization,
    Registration,
)
from seminars.organising import audit
from seminars.organising.access import managed_seminar, organization_ids
from seminars.web.attendees.views import (
    ACTION_LABELS,
    KIND_LABELS,
    SEMINAR,
    bp,
)


def _describe(events: list[AuditEvent]) -> dict[int, str]:
    """A readable line for each event's detail; names of people are looked up now, so an
    anonymised registration shows only its number."""
    details = {}
    for event in events:
        try:
            detail = json.loads(event.detail) if event.detail.startswith("{") else None
        except ValueError:
            detail = None
        details[event.id] = detail if isinstance(detail, dict) else event.detail
    wanted = {
        d["registration"] for d in details.values() if isinstance(d, dict) and d.get("registration")
    }
    names = (
        dict(
            db.session.execute(
                select(Registration.id, Registration.name).where(Registration.id.in_(wanted))
            ).all()
        )
        if wanted
        else {}
    )
    return {event_id: _detail_text(detail, names) for event_id, detail in details.items()}


def _detail_text(detail: dict | str, names: dict[int, str]) -> str:
    if isinstance(detail, str):
        return detail
    parts = []
    if detail.get("registration"):
        number = detail["registration"]
        parts.append(f"{names.get(number) or ''} (#{number})".strip())
    if "subject" in detail:
        parts.append(
            ngettext(
                "“%(subject)s” to %(num)d person",
                "“%(subject)s” to %(num)d people",
                detail.get("count", 0),
                subject=detail["subject"],
            )
        )
    if "added" in detail:
        parts.append(
            _(
                "%(added)d added (%(confirmed)d with a seat, %(waiting)d waiting), "
                "%(duplicates)d already registered or repeated, %(unreadable)d unreadable",
                **{
                    key: detail.get(key, 0)
                    for key in ("added", "confirmed", "waiting", "duplicates", "unreadable")
                },
            )
        )
    if detail.get("over_capacity"):
        parts.append(_("beyond the capacity"))
    if detail.get("kind"):
        parts.append(_("email: %(kind)s", kind=KIND_LABELS.get(detail["kind"], detail["kind"])))
    return " · ".join(parts)


@bp.get(SEMINAR + "/audit")
def audit_log(seminar_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    events = audit.for_seminar(seminar)
    return render_template(
        "attendees/audit.html",
        seminar=seminar,
        rows=[(event, "") for event in events],
        details=_describe(events),
        action_labels=ACTION_LABELS,
    )


@bp.get("/organizations/<int:organization_id>/audit")
def organization_audit(organization_id: int):
    organization = db.session.get(Organization, organization_id)
    if organization is None or not (
        current_user.is_admin or organization.id in organization_ids(current_user)
    ):
        abort(404)
    rows = audit.for_organization(organization.id)
    return render_template(
        "attendees/audit.html",
        organization=organization,
        rows=rows,
        details=_describe([event for event, _title in rows]),
        action_labels=ACTION_LABELS,
    )
