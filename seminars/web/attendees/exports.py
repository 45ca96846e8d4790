"""Organiser exports of a seminar's registrations: CSV, XLSX, the printable sign-in list,
name badges and the catering summary. Each one is written to the audit log with who
asked and which filter they used."""

from __future__ import annotations

import tempfile
import unicodedata
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
    request,
    send_file,
    stream_with_context,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from seminars.exports import lists as exports
from seminars.exports import printed
from seminars.extensions import db
from seminars.models import Registration, Seminar
from seminars.organising import audit, sessions
from seminars.organising.access import managed_seminar

bp = Blueprint("exports", __name__, url_prefix="/organizer/seminars/<int:seminar_id>/exports")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
@login_required
def require_organizer() -> None:
    """Every export needs a logged-in organiser; the seminar check is in each view."""


@bp.after_request
def keep_out_of_caches(response: Response) -> Response:
    """Attendee lists are personal data: no copies in browser or proxy caches."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _choice(name: str, allowed, default: str) -> str:
    """A query parameter that must be one of `allowed`; anything else is a 400, not a guess."""
    value = request.args.get(name, default)
    if value not in allowed:
        abort(400)
    return value


def _status_filter() -> str:
    return _choice("status", exports.STATUS_FILTERS, exports.DEFAULT_STATUS_FILTER)


# Who is in a file, as its name says it in the organiser's language.
FILE_NAME_WORDS = {
    "confirmed": _l("confirmed"),
    "waiting": _l("waiting-list"),
    "cancelled": _l("cancelled"),
    "all": _l("all"),
}


def _file_name(seminar: Seminar, status_filter: str, extension: str) -> str:
    """'seminariets-adress-bekräftade.xlsx' in Swedish, '…-confirmed.xlsx' in English."""
    return f"{seminar.slug}-{FILE_NAME_WORDS[status_filter]}.{extension}"


def _names(seminar: Seminar, status_filter: str) -> dict[str, str]:
    """A CSV file's name for Content-Disposition, as send_file writes one for XLSX: RFC 6266
    `filename*` for å, ä and ö, and a plain ASCII `filename` for old clients."""
    name = _file_name(seminar, status_filter, "csv")
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    if plain == name:
        return {"filename": name}
    return {"filename": plain, "filename*": "UTF-8''" + quote(name, safe="!#$&+-.^_`|~")}


def _log(seminar: Seminar, export: str, **how) -> None:
    """Record the export in the audit log, which tells it in words (attendees/logs.py)."""
    audit.record(current_user, "exported", seminar=seminar, detail={"export": export, **how})
    db.session.commit()


@bp.get("/")
def index(seminar_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    status_filter = _status_filter()
    counts = dict(
        db.session.execute(
            select(Registration.status, func.count())
            .where(Registration.seminar_id == seminar.id)
            .group_by(Registration.status)
        ).all()
    )
    return render_template(
        "exports/index.html",
        seminar=seminar,
        session_groups=sessions.session_seats.groups_of(seminar.id),
        status_filter=status_filter,
        counts=counts,
        per_page_options=printed.BADGES_PER_PAGE,
    )


@bp.get("/attendees.csv")
def csv_file(seminar_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    status_filter = _status_filter()
    separator = _choice("sep", exports.SEPARATORS, "semicolon")
    table = exports.registrations_table(db.session, seminar, status_filter, _)
    # The commit also ends this request's transaction, which on SQLite holds the write lock
    # and would otherwise last as long as the download; the rows come on their own connection.
    _log(seminar, "csv", status=status_filter, sep=separator)
    response = Response(
        stream_with_context(exports.csv_chunks(table, exports.SEPARATORS[separator])),
        mimetype="text/csv",
    )
    response.headers.set("Content-Disposition", "attachment", **_names(seminar, status_filter))
    return response


@bp.get("/attendees.xlsx")
def xlsx_file(seminar_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    status_filter = _status_filter()
    table = exports.registrations_table(db.session, seminar, status_filter, _)
    _log(seminar, "xlsx", status=status_filter)
    # A temporary file rather than memory; send_file streams it and closes (deletes) it.
    workbook = tempfile.TemporaryFile()  # noqa: SIM115
    exports.write_xlsx(table, workbook, fallback_title=_("Attendees"))
    workbook.seek(0)
    return send_file(
        workbook,
        mimetype=XLSX_TYPE,
        as_attachment=True,
        download_name=_file_name(seminar, status_filter, "xlsx"),
    )


@bp.get("/list")
def attendee_list(seminar_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    status_filter = _status_filter()
    sort = _choice("sort", printed.SORT_ORDERS, printed.DEFAULT_SORT)
    in_session = sessions.session_of(seminar.id, request.args.get("session"))
    session_id = in_session.id if in_session else None
    per_session = {"session": session_id} if session_id else {}
    _log(seminar, "list", status=status_filter, sort=sort, **per_session)
    listed = printed.listed_attendees(
        db.session, seminar, status_filter, sort, in_session=session_id, translate=_
    )
    return render_template(
        "exports/attendee_list.html",
        seminar=seminar,
        attendees=listed,
        in_session=in_session,
        with_sessions=any(attendee.session for attendee in listed),
        status_filter=status_filter,
        sort=sort,
        status_labels={status: _(label) for status, label in exports.STATUS_LABELS.items()},
    )


@bp.get("/badges")
def badges(seminar_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    status_filter = _status_filter()
    per_page = int(_choice("per_page", [str(n) for n in printed.BADGES_PER_PAGE], "8"))
    _log(seminar, "badges", status=status_filter, per_page=per_page)
    listed = printed.listed_attendees(db.session, seminar, status_filter, translate=_)
    return render_template(
        "exports/badges.html",
        seminar=seminar,
        pages=printed.badge_pages(listed, per_page),
        per_page=per_page,
        status_filter=status_filter,
        name_length_class=printed.name_length_class,
        badge_name_words=printed.badge_name_words,
    )


@bp.get("/catering")
def catering(seminar_id: int):
    seminar = managed_seminar(current_user, seminar_id)
    with_names = _choice("names", ("0", "1"), "0") == "1"
    _log(seminar, "catering", names=with_names)
    summary = printed.catering_summary(db.session, seminar, with_names=with_names, translate=_)
    return render_template(
        "exports/catering.html", seminar=seminar, summary=summary, with_names=with_names
    )
