"""Attendee lists that leave the app as files: CSV and XLSX (the printed sign-in list, name
badges and the catering summary are in `printed`).

No Flask here: callers pass a SQLAlchemy session and a `translate` function (the view's
gettext), and get rows, bytes or plain summaries back.

Formula safety (DESIGN guarantee 7) is decided in `neutralise`, for every export:

1. Cleaning first: control characters are removed; tabs and line breaks become a space; the
   value is trimmed. So no cell starts with TAB or CR, and the check below sees the same first
   character a spreadsheet would see after it trims the cell.
2. A value starting with `=` or `@` is always neutralised.
3. A value starting with `+` or `-` is left as it is only when it is number-like (the rest is
   digits, spaces, parentheses and hyphens, with at least one digit: `+46 70 123 45 67`) or
   word-like (the rest is only letters, spaces, hyphens, apostrophes and full stops: `-Anna-`,
   a lone `-`). Neither can call a function or combine values, so a spreadsheet that reads
   them as a formula can do no harm. Anything else (`-1+2`, `+SUM(1)`, `-A1`) is neutralised.

In CSV, neutralised means a leading apostrophe: Excel and LibreOffice then show the text
(apostrophe included) instead of computing it. In XLSX, every text cell is written as a
string (never a formula), and a neutralised one also gets Excel's "quote prefix" flag so that
editing the cell does not turn it into a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from seminars.database import READ_ONLY
from seminars.dates import to_local_naive
from seminars.exports.sessions import session_columns
from seminars.models import STATUS_FILTERS, Question, QuestionKind, Registration, Seminar, Status
from seminars.text import without_control_characters

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Marks text for the translation catalogue; the caller's `translate` translates it."""
    return message


def untranslated(message: str) -> str:
    return message


DEFAULT_STATUS_FILTER = "confirmed"

HEADINGS = (
    N_("Name"),
    N_("Email"),
    N_("Organisation"),
    N_("Status"),
    N_("Registered at"),
    N_("Checked in"),
)
STATUS_LABELS = {
    Status.CONFIRMED: N_("Confirmed"),
    Status.WAITING: N_("Waiting list"),
    Status.CANCELLED: N_("Registration cancelled"),
}
YES_NO_LABELS = {"yes": N_("Yes"), "no": N_("No")}
# A hybrid seminar's exports have a column for how each person takes part, after Checked in.
MODE_HEADING = N_("Takes part")
MODE_LABELS = {"onsite": N_("On site"), "online": N_("Online")}

# Rows fetched from the database at a time, so memory stays flat (see `read_streamed`).
BATCH_SIZE = 1000

# --- cleaning and formula safety -------------------------------------------------------------

_SPACING = re.compile(r"[\t\n\r\v\f\x1c-\x1f\x85\u2028\u2029]+")
_NUMBER_LIKE = re.compile(r"[+-][\d\s()-]*\d[\d\s()-]*")
_WORD_LIKE = re.compile(r"[+-](?:[^\W\d_]|[\s'’.-])*")
_FORMULA_STARTS = ("=", "@", "+", "-")


def clean(value: object) -> str:
    """Text without control characters, on one line, trimmed; None becomes ""."""
    if value is None:
        return ""
    text = str(value)
    if text.isprintable():  # the common case, checked in C: nothing to remove
        return text.strip()
    return without_control_characters(_SPACING.sub(" ", text)).strip()


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read this (already cleaned) text as a formula."""
    if not text.startswith(_FORMULA_STARTS):
        return False
    if text[0] in "+-":
        return not (_NUMBER_LIKE.fullmatch(text) or _WORD_LIKE.fullmatch(text))
    return True


def neutralise(value: object) -> str:
    """The value as CSV cell text: cleaned, with an apostrophe in front if formula-like."""
    text = clean(value)
    return "'" + text if is_formula_like(text) else text


# --- what an export holds --------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerColumn:
    """What an export needs of a custom question, read up front so that streaming rows
    never touches an ORM object (which would reopen the request's transaction)."""

    key: str
    kind: QuestionKind
    heading: str

    @classmethod
    def of(cls, question: Question) -> AnswerColumn:
        return cls(key=str(question.id), kind=question.kind, heading=clean(question.text))

    def text(self, answers: dict[str, Any] | None, translate: Translate) -> str:
        """The attendee's answer as a person reads it ("Ja", not "yes")."""
        answer = clean((answers or {}).get(self.key))
        if self.kind == QuestionKind.YES_NO and answer in YES_NO_LABELS:
            return translate(YES_NO_LABELS[answer])
        return answer


@dataclass(frozen=True)
class Table:
    """One export: headings, then one row per registration in order of arrival.

    A row is (name, email, organisation, status, registered at, checked in, [how they take
    part, at a hybrid seminar,] *answers) with the two times as naive Stockholm datetimes
    (checked in may be None). `rows` is a generator that reads the database in batches, so
    it can be consumed once.
    """

    title: str
    headings: list[str]
    rows: Iterator[tuple]


def read_streamed(session: Session, statement) -> Iterator[Row]:
    """The rows of `statement`, fetched `BATCH_SIZE` at a time on a read-only connection.

    A connection of its own: on SQLite the session's transactions hold the write lock (BEGIN
    IMMEDIATE, see database.py), which would stop signups for as long as a download to a slow
    phone takes. This one begins DEFERRED and reads a consistent WAL snapshot while others
    write. On PostgreSQL it is simply a server-side cursor.
    """
    with session.get_bind().connect() as connection:
        connection.execution_options(**{READ_ONLY: True}, yield_per=BATCH_SIZE)
        yield from connection.execute(statement)


def registrations_table(
    session: Session,
    seminar: Seminar,
    status_filter: str = DEFAULT_STATUS_FILTER,
    translate: Translate = untranslated,
) -> Table:
    """The export of a seminar's registrations with the given status filter.

    Everything needed from the seminar is read here; the rows then come from a connection of
    their own (see `read_streamed`), so the caller may commit before consuming them.
    """
    columns = [AnswerColumn.of(question) for question in seminar.questions]
    statuses = {status: translate(label) for status, label in STATUS_LABELS.items()}
    modes = {mode: translate(label) for mode, label in MODE_LABELS.items()}
    hybrid = seminar.is_hybrid
    slots = session_columns(session, seminar.id, translate)
    statement = (
        select(
            Registration.id,
            Registration.name,
            Registration.email,
            Registration.organization,
            Registration.status,
            Registration.created_at,
            Registration.checked_in_at,
            Registration.answers,
            Registration.mode,
        )
        .where(
            Registration.seminar_id == seminar.id,
            Registration.status.in_(STATUS_FILTERS[status_filter]),
        )
        .order_by(Registration.id)
    )

    def rows() -> Iterator[tuple]:
        for (
            registration_id,
            name,
            email,
            organization,
            status,
            created,
            checked_in,
            answers,
            mode,
        ) in read_streamed(session, statement):
            yield (
                name,
                email,
                organization,
                statuses.get(status, status),
                to_local_naive(created) if created else None,
                to_local_naive(checked_in) if checked_in else None,
                *((modes.get(mode, mode),) if hybrid else ()),
                *(column.text(answers, translate) for column in columns),
                *slots.cells(registration_id),
            )

    headings = [translate(heading) for heading in HEADINGS]
    headings += [translate(MODE_HEADING)] if hybrid else []
    headings += [column.heading for column in columns] + slots.headings
    return Table(title=seminar.title, headings=headings, rows=rows())


# --- CSV -------------------------------------------------------------------------------------

# Swedish Excel splits on ";" (the list separator where "," is the decimal comma).
SEPARATORS = {"semicolon": ";", "comma": ","}
_CSV_ROWS_PER_CHUNK = 500


def _csv_cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(" ", "minutes")  # 2026-03-14 13:05, as Excel reads a time
    return neutralise(value)


def csv_chunks(table: Table, delimiter: str = ";") -> Iterator[bytes]:
    """The table as UTF-8 CSV with a BOM (so Excel reads åäö right), in chunks to stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(heading) for heading in table.headings])
    for number, row in enumerate(table.rows, 1):
        writer.writerow([_csv_cell(value) for value in row])
        if number % _CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# --- XLSX ------------------------------------------------------------------------------------

XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm"
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_BASE_WIDTHS = (34, 30, 32, 18, 17, 17)  # name … checked in, in characters


def sheet_title(title: str, fallback: str = "Sheet") -> str:
    """A valid worksheet name: at most 31 characters, none of []:*?/\\, no edge apostrophes."""
    name = _SHEET_TITLE_FORBIDDEN.sub(" ", clean(title))
    name = re.sub(r"\s+", " ", name)
    if len(name) > 31:
        # Cut at a word boundary when that keeps most of the title.
        cut = name[:32].rfind(" ")
        name = name[:cut] if cut >= 16 else name[:31]
    name = name.strip().strip("'").strip()
    return name or fallback


def _column_widths(headings: Sequence[str]) -> list[float]:
    """Widths fixed before the first row (write-only mode writes them first): fixed ones for
    the known columns, and for an answer column its heading's length within 14–40."""
    widths = list(_BASE_WIDTHS)
    widths += [min(max(len(heading) + 2, 14), 40) for heading in headings[len(_BASE_WIDTHS) :]]
    return widths


def _text_cell(sheet, text: str) -> Any:
    """A string cell; explicit only where openpyxl would guess wrong.

    openpyxl stores a str as a string, except text starting with "=" (a formula) or equal to
    an error code like "#N/A". Those, and anything else formula-like, get an explicit cell of
    type "s" with the quote prefix; plain text stays a plain value (openpyxl's fast path).
    """
    if is_formula_like(text) or text in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return text


def _time_cell(sheet, moment: datetime) -> Any:
    cell = WriteOnlyCell(sheet, value=moment)
    cell.number_format = XLSX_TIME_FORMAT
    return cell


def write_xlsx(table: Table, target: IO[bytes], fallback_title: str = "Sheet") -> int:
    """Write the table as an XLSX workbook to `target`; returns the number of rows.

    Write-only mode streams rows to a temporary file, and strings are written inline (no
    shared-strings table), so memory stays flat however many registrations there are.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(table.title, fallback_title))
    sheet.freeze_panes = "A2"
    # Printed from Excel: landscape, as wide as one page, the header row on every page.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    widths = _column_widths(table.headings)
    for number, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    # Long question headings wrap; spreadsheets do not grow a row for that by themselves.
    lines = max(
        -(-len(heading) // int(width - 2))
        for heading, width in zip(table.headings, widths, strict=True)
    )
    sheet.row_dimensions[1].height = 15 * lines

    bold = Font(bold=True)
    header = []
    for heading in table.headings:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.data_type = "s"
        cell.font = bold
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        header.append(cell)
    sheet.append(header)

    # One formatted time cell per column, given a new value on every row: write-only mode
    # writes a row out as it is appended, and building a styled cell per value is what
    # would otherwise cost the most.
    time_cells: dict[int, Any] = {}

    def time_cell(column: int, moment: datetime) -> Any:
        cell = time_cells.get(column)
        if cell is None:
            cell = time_cells[column] = _time_cell(sheet, moment)
        else:
            cell.value = moment
        return cell

    count = 0
    for row in table.rows:
        sheet.append(
            [
                time_cell(column, value)
                if isinstance(value, datetime)
                else None
                if value is None
                else _text_cell(sheet, clean(value))
                for column, value in enumerate(row)
            ]
        )
        count += 1
    last_column = get_column_letter(len(table.headings))
    sheet.auto_filter.ref = f"A1:{last_column}{count + 1}"
    workbook.save(target)
    return count
