"""The audit log of a seminar and of an organisation, in words.

Each event says what was done ("Exported name badges (confirmed, 8 per A4)") and, where it
helps, the details ("Start: onsdag 18 mars 2026 kl. 13.00 → torsdag 19 mars 2026 kl.
13.00"), in the reader's language. Details are stored as JSON (`audit.record`); events
written before that, as text like `starts_at, ends_at` or `badges status=confirmed
per_page=8`, are read the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from flask import abort, render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import AuditEvent, Organization, Registration
from seminars.organising import audit
from seminars.organising.access import managed_seminar, organization_ids
from seminars.web.attendees.labels import (
    EXPORT_LABELS,
    SEPARATOR_WORDS,
    SORT_WORDS,
    WHO_WORDS,
    action_label,
    field_label,
    kind_label,
    value_text,
)
from seminars.web.attendees.views import SEMINAR, bp
from seminars.web.i18n import current_language

_OLD_FIELD_LIST = re.compile(r"[a-z_]+(, [a-z_]+)*")
_OLD_EXPORT = re.compile(r"(csv|xlsx|attendee list|badges|catering)((?: [a-z_]+=[a-z0-9]+)*)")


@dataclass(frozen=True)
class Entry:
    event: AuditEvent
    seminar_title: str
    what: str
    details: str


def _read(event: AuditEvent) -> dict | str:
    """The event's detail as a dict, also from the text older events have."""
    text = event.detail or ""
    if text.startswith("{"):
        try:
            detail = json.loads(text)
        except ValueError:
            return text
        return detail if isinstance(detail, dict) else text
    if event.action == "edited" and _OLD_FIELD_LIST.fullmatch(text):
        return {"changed": text.split(", ")}
    old_export = _OLD_EXPORT.fullmatch(text) if event.action == "exported" else None
    if old_export:
        values = dict(pair.split("=") for pair in old_export[2].split())
        export = "list" if old_export[1] == "attendee list" else old_export[1]
        return {"export": export, **values, "names": values.get("names") == "1"}
    if event.action == "cancelled" and text:
        return {"message": text}
    return text


def _export_what(detail: dict) -> str:
    """ "Exported name badges (confirmed, 8 per A4)"."""
    label = EXPORT_LABELS.get(detail.get("export"))
    if label is None:
        return _("Exported a list")
    how = [str(WHO_WORDS[detail["status"]])] if detail.get("status") in WHO_WORDS else []
    if detail.get("sep") in SEPARATOR_WORDS:
        how.append(str(SEPARATOR_WORDS[detail["sep"]]))
    if detail.get("sort") in SORT_WORDS:
        how.append(str(SORT_WORDS[detail["sort"]]))
    if detail.get("per_page"):
        how.append(_("%(num)s per A4", num=detail["per_page"]))
    if detail.get("names"):
        how.append(_("with names"))
    return f"{label} ({', '.join(how)})" if how else str(label)


def _changes_text(detail: dict) -> str:
    """ "Start: … → … · Venue: Aulan → Stora salen · Title, Program"."""
    language = current_language()
    old, new = detail.get("old", {}), detail.get("new", {})
    parts, others = [], []
    for name in detail.get("changed", []):
        if name in old or name in new:
            before, after = (value_text(name, v.get(name), language) for v in (old, new))
            parts.append(f"{field_label(name)}: {before} → {after}")
        else:
            others.append(field_label(name))
    if others:
        parts.append(", ".join(dict.fromkeys(others)))
    return " · ".join(parts)


def _people_text(detail: dict, names: dict[int, str]) -> list[str]:
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
    if detail.get("token"):
        parts.append(_("API token “%(name)s”", name=detail["token"]))
    if detail.get("webhook"):
        parts.append(str(detail["webhook"]))
    if detail.get("over_capacity"):
        parts.append(_("beyond the capacity"))
    if detail.get("kind"):
        parts.append(_("email: %(kind)s", kind=kind_label(detail["kind"])))
    return parts


def _details_text(action: str, detail: dict, names: dict[int, str]) -> str:
    if action == "edited":
        return _changes_text(detail)
    parts = _people_text(detail, names)
    if detail.get("from_title"):
        parts.append(_("A copy of “%(title)s”", title=detail["from_title"]))
    if detail.get("message"):
        parts.append(_("Message: “%(text)s”", text=detail["message"]))
    return " · ".join(parts)


def _names(details: list[dict | str]) -> dict[int, str]:
    """Names of the people events mention, looked up now, so an anonymised registration
    shows only its number."""
    wanted = {d["registration"] for d in details if isinstance(d, dict) and d.get("registration")}
    if not wanted:
        return {}
    return dict(
        db.session.execute(
            select(Registration.id, Registration.name).where(Registration.id.in_(wanted))
        ).all()
    )


def describe(rows: list[tuple[AuditEvent, str]]) -> list[Entry]:
    """Each (event, seminar title) in words."""
    details = [_read(event) for event, _title in rows]
    names = _names(details)
    entries = []
    for (event, title), detail in zip(rows, details, strict=True):
        if isinstance(detail, str):
            entries.append(Entry(event, title, action_label(event.action), detail))
            continue
        what = action_label(event.action)
        if event.action == "exported":
            what = _export_what(detail)
        entries.append(Entry(event, title, what, _details_text(event.action, detail, names)))
    return entries


@bp.get(SEMINAR + "/audit")
def audit_log(seminar_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    events = audit.for_seminar(seminar)
    return render_template(
        "attendees/audit.html", seminar=seminar, entries=describe([(e, "") for e in events])
    )


@bp.get("/organizations/<int:organization_id>/audit")
def organization_audit(organization_id: int):
    organization = db.session.get(Organization, organization_id)
    if organization is None or not (
        current_user.is_admin or organization.id in organization_ids(current_user)
    ):
        abort(404)
    return render_template(
        "attendees/audit.html",
        organization=organization,
        entries=describe(audit.for_organization(organization.id)),
    )
