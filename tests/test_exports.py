"""Exports read back the way organisers open them: CSV in Excel, XLSX in Excel, printed
lists, badges and the catering count; hostile text never becomes a formula."""

import csv
import io
import sqlite3
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from seminars.exports import lists as exports
from seminars.exports import printed
from seminars.extensions import db
from seminars.models import QuestionKind, Status
from tests.conftest import DIET_QUESTION

HOSTILE = ['=HYPERLINK("http://x","y")', "+SUM(1)", "@cmd", "\t=1", "-1+2", "\r=2+3"]
READABLE = ["+46 70 123 45 67", "-Anna-", "+46 (0)70-123 45 67", "-", "Åsa Öberg-Ärlig"]

ATTENDING = {"text": "Deltar du på plats?", "kind": QuestionKind.YES_NO}


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_like_values_get_an_apostrophe_in_csv(value):
    neutralised = exports.neutralise(value)
    assert neutralised.startswith("'")
    assert neutralised[1:] == value.strip()


@pytest.mark.parametrize("value", READABLE)
def test_phone_numbers_and_hyphenated_names_stay_as_typed(value):
    assert exports.neutralise(value) == value


def test_control_characters_are_removed_and_line_breaks_become_spaces():
    assert exports.clean("Anna\x00\x07 Berg\r\nVision\x1b\u2028Malmö\x85!") == (
        "Anna Berg Vision Malmö !"
    )


def test_sheet_title_follows_excel_rules():
    title = exports.sheet_title("Styrning: ledarskap [2026]? * / \\ i offentlig sektor – tillit")
    assert len(title) <= 31
    assert not set("[]:*?/\\") & set(title)
    assert title.startswith("Styrning ledarskap 2026")
    assert exports.sheet_title("''", fallback="Deltagare") == "Deltagare"


@pytest.fixture
def seminar_with_answers(seminar_factory, registration_factory):
    """Two confirmed attendees (one hostile), one on the waiting list, one cancelled."""
    seminar = seminar_factory(title="Tillit: [styrning]", questions=[DIET_QUESTION, ATTENDING])
    diet, attending = (str(q.id) for q in seminar.questions)
    registration_factory(
        seminar,
        "Åsa Öberg",
        email="asa@example.org",
        organization="Försäkringskassan",
        answers={diet: "Vegetarisk", attending: "yes"},
        created_at=datetime(2026, 3, 2, 12, 5, tzinfo=UTC),  # 13:05 in Stockholm (CET)
        checked_in_at=datetime(2026, 6, 10, 10, 30, tzinfo=UTC),  # 12:30 (CEST)
    )
    registration_factory(
        seminar,
        '=HYPERLINK("http://x","y")',
        email="evil@example.org",
        organization="+SUM(1)",
        answers={diet: "@cmd", attending: "\t=1"},
        created_at=datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
    )
    registration_factory(
        seminar,
        "-Anna- Ek\x07",
        email="anna@example.org",
        organization="+46 70 123 45 67",
        status=Status.WAITING,
        answers={diet: "-1+2"},
        created_at=datetime(2026, 3, 4, 8, 0, tzinfo=UTC),
    )
    registration_factory(seminar, "Bo Avbokad", status=Status.CANCELLED)
    return seminar


def read_csv(table, delimiter=";"):
    data = b"".join(exports.csv_chunks(table, delimiter))
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def test_csv_opens_in_swedish_excel_with_bom_semicolons_and_aao(seminar_with_answers):
    rows = read_csv(exports.registrations_table(db.session, seminar_with_answers, "all"))
    assert rows[0] == [
        "Name",
        "Email",
        "Organisation",
        "Status",
        "Registered at",
        "Checked in",
        "Kost",
        "Deltar du på plats?",
    ]
    asa, hostile, anna, cancelled = rows[1:]
    assert asa == [
        "Åsa Öberg",
        "asa@example.org",
        "Försäkringskassan",
        "Confirmed",
        "2026-03-02 13:05",
        "2026-06-10 12:30",
        "Vegetarisk",
        "Yes",
    ]
    assert hostile[0] == "'" + '=HYPERLINK("http://x","y")'
    assert hostile[2] == "'+SUM(1)"
    assert hostile[5] == ""
    assert hostile[6:] == ["'@cmd", "'=1"]
    assert anna[:4] == ["-Anna- Ek", "anna@example.org", "+46 70 123 45 67", "Waiting list"]
    assert anna[6:] == ["'-1+2", ""]
    assert cancelled[3] == "Registration cancelled"


def test_csv_comma_variant_and_translated_headings(seminar_with_answers):
    swedish = {"Name": "Namn", "Confirmed": "Bekräftad"}.get
    table = exports.registrations_table(
        db.session, seminar_with_answers, translate=lambda text: swedish(text) or text
    )
    rows = read_csv(table, delimiter=",")
    assert rows[0][0] == "Namn"
    assert [row[0] for row in rows[1:]] == ["Åsa Öberg", "'" + '=HYPERLINK("http://x","y")']
    assert {row[3] for row in rows[1:]} == {"Bekräftad"}


@pytest.mark.parametrize(
    ("status_filter", "names"),
    [
        ("confirmed", ["Åsa Öberg", '=HYPERLINK("http://x","y")']),
        ("waiting", ["-Anna- Ek"]),
        ("cancelled", ["Bo Avbokad"]),
    ],
)
def test_status_filter_decides_who_is_exported(seminar_with_answers, status_filter, names):
    table = exports.registrations_table(db.session, seminar_with_answers, status_filter)
    assert [exports.clean(row[0]) for row in table.rows] == names


def read_xlsx(table):
    target = io.BytesIO()
    exports.write_xlsx(table, target)
    return load_workbook(io.BytesIO(target.getvalue())).active


def test_xlsx_has_typed_cells_and_never_a_formula(seminar_with_answers):
    sheet = read_xlsx(exports.registrations_table(db.session, seminar_with_answers, "all"))
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.data_type for cell in cells if cell.data_type == "f"] == []
    for cell in cells:
        if isinstance(cell.value, str):
            assert cell.data_type == "s"
            assert not ILLEGAL_CHARACTERS_RE.search(cell.value)

    header = [cell.value for cell in sheet[1]]
    assert header[:6] == ["Name", "Email", "Organisation", "Status", "Registered at", "Checked in"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:H5"
    assert sheet.title == "Tillit styrning"
    assert sheet.column_dimensions["B"].width >= 30

    asa = [cell.value for cell in sheet[2]]
    assert asa[4] == datetime(2026, 3, 2, 13, 5)
    assert asa[5] == datetime(2026, 6, 10, 12, 30)
    assert sheet.cell(2, 5).number_format == "yyyy-mm-dd hh:mm"
    assert asa[6:] == ["Vegetarisk", "Yes"]

    hostile = sheet[3]
    assert hostile[0].value == '=HYPERLINK("http://x","y")'
    assert hostile[0].quotePrefix, "Excel must keep it text even when the cell is edited"
    assert hostile[5].value is None
    assert [hostile[6].value, hostile[7].value] == ["@cmd", "=1"]
    assert all(cell.quotePrefix for cell in (hostile[2], hostile[6], hostile[7]))

    anna = sheet[4]
    assert [anna[0].value, anna[2].value] == ["-Anna- Ek", "+46 70 123 45 67"]
    assert not anna[2].quotePrefix
    assert anna[6].value == "-1+2" and anna[6].quotePrefix


def test_xlsx_of_nobody_still_has_its_header(seminar_factory):
    sheet = read_xlsx(exports.registrations_table(db.session, seminar_factory()))
    assert sheet.max_row == 1
    assert sheet.auto_filter.ref == "A1:F1"


def test_rows_come_in_batches_in_arrival_order(seminar_factory, registration_factory, monkeypatch):
    monkeypatch.setattr(exports, "BATCH_SIZE", 2)
    seminar = seminar_factory()
    for number in range(5):
        registration_factory(seminar, f"Person {number}")
    table = exports.registrations_table(db.session, seminar)
    assert [row[0] for row in table.rows] == [f"Person {number}" for number in range(5)]


def test_a_streaming_export_lets_signups_write_meanwhile(
    seminar_factory, registration_factory, monkeypatch
):
    """SQLite transactions normally take the write lock; a slow download must not hold it."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the write lock is SQLite's")
    monkeypatch.setattr(exports, "BATCH_SIZE", 2)
    seminar = seminar_factory()
    for number in range(5):
        registration_factory(seminar, f"Person {number}")
    rows = exports.registrations_table(db.session, seminar).rows
    db.session.commit()  # as the view does once the export is logged
    assert next(rows)[0] == "Person 0"

    signup = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    signup.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the export holds it
    signup.execute("UPDATE registration SET name = 'Renamed' WHERE name = 'Person 4'")
    signup.execute("COMMIT")
    signup.close()
    # The export goes on reading the snapshot it started with.
    assert [row[0] for row in rows] == ["Person 1", "Person 2", "Person 3", "Person 4"]


def test_sign_in_list_sorts_by_surname_in_swedish_order(seminar_factory, registration_factory):
    seminar = seminar_factory()
    for name, organization in [
        ("Örjan Ödman", "Vision"),
        ("Karl-Johan Ögren-Wästerberg af Kilsmark", "Malmö universitet"),
        ("Åsa Ärling", ""),
        ("Zara Zetterlund", "Arbetsförmedlingen"),
        ("Anna Åberg", "Vision"),
        ("Emil Andersson", "Vision"),
    ]:
        registration_factory(seminar, name, organization=organization)

    by_surname = printed.listed_attendees(db.session, seminar, sort="surname")
    assert [a.name.split()[-1] for a in by_surname] == [
        "Andersson",
        "Kilsmark",
        "Zetterlund",
        "Åberg",
        "Ärling",
        "Ödman",
    ]
    by_organisation = printed.listed_attendees(db.session, seminar, sort="organisation")
    assert [a.organization for a in by_organisation] == [
        "Arbetsförmedlingen",
        "Malmö universitet",
        "Vision",
        "Vision",
        "Vision",
        "",
    ]
    assert [a.name for a in by_organisation][2:5] == ["Emil Andersson", "Anna Åberg", "Örjan Ödman"]


def test_badges_fill_sheets_of_eight_or_ten():
    listed = [printed.ListedAttendee(f"P{n}", "", Status.CONFIRMED) for n in range(19)]
    assert [len(sheet) for sheet in printed.badge_pages(listed, 8)] == [8, 8, 3]
    assert [len(sheet) for sheet in printed.badge_pages(listed, 10)] == [10, 9]


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("Bo Ek", "short"),
        ("Karl-Johan Ögren-Wästerberg", "long"),
        ("Karl-Johan Ögren-Wästerberg af Kilsmark", "long"),
        ("Anna-Karin Ögren-Wästerberg af Kilsmark och Lund", "very-long"),
        ("Wästerbergkilsmarksdotter", "very-long"),
    ],
)
def test_long_names_get_smaller_type_on_badges(name, size):
    assert printed.name_length_class(name) == size


def test_catering_counts_confirmed_answers_without_names(seminar_with_answers):
    summary = printed.catering_summary(db.session, seminar_with_answers)
    assert summary.confirmed == 2
    diet, attending = summary.questions
    assert diet.sensitive
    assert [(row.answer, row.count) for row in diet.counts] == [
        ("Ingen särskild", 0),
        ("Vegetarisk", 1),
        ("Glutenfri", 0),
        ("@cmd", 1),  # an answer outside today's options still counts
    ]
    assert all(row.names == [] for row in diet.counts)
    assert [(row.answer, row.count) for row in attending.counts] == [
        ("Yes", 1),
        ("No", 0),
        ("=1", 1),
    ]
    assert attending.unanswered == 0


def test_catering_names_only_when_asked_for(seminar_with_answers, registration_factory):
    vegetarian = {str(seminar_with_answers.questions[0].id): "Vegetarisk"}
    registration_factory(seminar_with_answers, "Ärla Ek", answers=vegetarian)
    registration_factory(seminar_with_answers, "Per Nöt", answers=vegetarian)
    summary = printed.catering_summary(db.session, seminar_with_answers, with_names=True)
    row = summary.questions[0].counts[1]
    # In Swedish order: Å before Ä.
    assert (row.count, row.names) == (3, ["Per Nöt", "Åsa Öberg", "Ärla Ek"])


def test_catering_text_questions_count_answers_and_show_them_only_with_names(
    seminar_factory, registration_factory
):
    seminar = seminar_factory(
        questions=[{"text": "Tillgänglighet", "kind": QuestionKind.LONG_TEXT, "sensitive": True}]
    )
    key = str(seminar.questions[0].id)
    registration_factory(seminar, "Bo Ek", answers={key: "Hörslinga"})
    registration_factory(seminar, "Ann Al", answers={key: ""})
    quiet = printed.catering_summary(db.session, seminar).questions[0]
    assert (quiet.answered, quiet.unanswered, quiet.written) == (1, 1, [])
    opened = printed.catering_summary(db.session, seminar, with_names=True).questions[0]
    assert opened.written == [("Bo Ek", "Hörslinga")]
