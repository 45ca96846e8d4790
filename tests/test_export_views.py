"""The organiser's export pages: who may open them, what they download, what is logged."""

import csv
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import AuditEvent, QuestionKind, Status
from tests.conftest import DIET_QUESTION, log_in

BASE = "/organizer/seminars/{id}/exports"
EXPORT_PAGES = [
    "/",
    "/attendees.csv",
    "/attendees.csv?sep=comma",
    "/attendees.xlsx",
    "/list",
    "/list?sort=organisation",
    "/badges",
    "/badges?per_page=10",
    "/catering",
    "/catering?names=1",
]


@pytest.fixture
def seminar(seminar_factory, registration_factory):
    seminar = seminar_factory(
        title="Styrning och ledarskap i offentlig sektor – ett uppdrag om tillit",
        questions=[DIET_QUESTION, {"text": "Fika?", "kind": QuestionKind.YES_NO}],
    )
    diet = str(seminar.questions[0].id)
    registration_factory(
        seminar,
        "Karl-Johan Ögren-Wästerberg af Kilsmark",
        organization="Malmö universitet",
        answers={diet: "Glutenfri"},
    )
    registration_factory(seminar, "Åsa Ärling", organization="Vision", answers={diet: "Vegetarisk"})
    registration_factory(seminar, '=HYPERLINK("http://x","y")', organization="+SUM(1)")
    registration_factory(seminar, "Väntande Person", status=Status.WAITING)
    return seminar


@pytest.fixture
def organizer(organizer_factory, seminar):
    return organizer_factory(seminar.organization)


def url(seminar, path="/"):
    return BASE.format(id=seminar.id) + path


def audit_details(seminar):
    """What each export recorded (attendees/logs.py puts it into words)."""
    return [
        json.loads(detail)
        for detail in db.session.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.seminar_id == seminar.id, AuditEvent.action == "exported")
            .order_by(AuditEvent.id)
        )
    ]


@pytest.mark.parametrize("path", EXPORT_PAGES)
def test_anonymous_visitors_are_sent_to_the_login(client, seminar, path):
    response = client.get(url(seminar, path))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert audit_details(seminar) == []


@pytest.mark.parametrize("path", EXPORT_PAGES)
def test_organisers_of_other_organisations_get_404(client, seminar, organizer_factory, path):
    log_in(client, organizer_factory())
    assert client.get(url(seminar, path)).status_code == 404
    assert audit_details(seminar) == []


@pytest.mark.parametrize("path", EXPORT_PAGES)
def test_organisers_of_a_cohosting_organisation_may_export(
    client, seminar, organizer_factory, organization_factory, path
):
    cohost = organization_factory("Malmö universitet")
    seminar.cohosts = [cohost]
    db.session.commit()
    log_in(client, organizer_factory(cohost))
    assert client.get(url(seminar, path)).status_code == 200


def test_csv_download_is_logged_with_who_and_which_filter(client, seminar, organizer):
    log_in(client, organizer)
    response = client.get(url(seminar, "/attendees.csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    # Named in the organiser's language (Swedish by default), å, ä and ö kept for those who can.
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={seminar.slug}-bekraftade.csv; "
        f"filename*=UTF-8''{seminar.slug}-bekr%C3%A4ftade.csv"
    )
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    # Swedish is the default language: headings and statuses are in Swedish.
    assert [row[0] for row in rows[1:]] == [
        "Karl-Johan Ögren-Wästerberg af Kilsmark",
        "Åsa Ärling",
        "'" + '=HYPERLINK("http://x","y")',
    ]
    assert rows[3][2] == "'+SUM(1)"
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.organizer_id, event.action, json.loads(event.detail)) == (
        organizer.id,
        "exported",
        {"export": "csv", "status": "confirmed", "sep": "semicolon"},
    )


def test_comma_csv_with_all_registrations(client, seminar, organizer):
    log_in(client, organizer)
    response = client.get(url(seminar, "/attendees.csv?status=all&sep=comma"))
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 5
    assert rows[4][0] == "Väntande Person"
    assert audit_details(seminar) == [{"export": "csv", "status": "all", "sep": "comma"}]


def test_xlsx_download_opens_with_typed_cells(client, seminar, organizer):
    log_in(client, organizer)
    response = client.get(url(seminar, "/attendees.xlsx?status=waiting"))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(
        f"filename*=UTF-8''{seminar.slug}-v%C3%A4ntelista.xlsx"
    )
    assert response.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "Styrning och ledarskap i"
    assert [cell.value for cell in sheet["A"]][1:] == ["Väntande Person"]
    assert sheet.cell(2, 5).is_date
    assert audit_details(seminar) == [{"export": "xlsx", "status": "waiting"}]


@pytest.mark.parametrize(
    "path",
    [
        "/attendees.csv?status=everyone",
        "/attendees.csv?sep=tab",
        "/list?sort=age",
        "/badges?per_page=12",
        "/catering?names=yes",
    ],
)
def test_unknown_choices_are_refused_and_not_logged(client, seminar, organizer, path):
    log_in(client, organizer)
    assert client.get(url(seminar, path)).status_code == 400
    assert audit_details(seminar) == []


def test_index_links_every_export_with_the_chosen_filter(client, seminar, organizer):
    log_in(client, organizer)
    page = client.get(url(seminar, "/?status=waiting")).get_data(as_text=True)
    links = re.findall(r'href="(/organizer/[^"]*/exports/[^"]+)"', page)
    assert {link.split("?")[0].rsplit("/", 1)[1] for link in links} >= {
        "attendees.csv",
        "attendees.xlsx",
        "list",
        "badges",
        "catering",
    }
    assert [link for link in links if "catering" not in link and "status=waiting" not in link] == []
    assert '<option value="waiting" selected>' in page
    assert audit_details(seminar) == []


def test_sign_in_list_is_a_clean_print_page(client, seminar, organizer):
    log_in(client, organizer)
    page = client.get(url(seminar, "/list?sort=organisation")).get_data(as_text=True)
    assert "site-header" not in page
    assert "/static/print.css" in page
    assert " style=" not in page
    names = re.findall(r'<td class="name">([^<]*)</td>', page)
    assert names == [
        "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)",  # of "+SUM(1)", which sorts first
        "Karl-Johan Ögren-Wästerberg af Kilsmark",  # Malmö universitet
        "Åsa Ärling",  # Vision
    ]
    assert audit_details(seminar) == [
        {"export": "list", "status": "confirmed", "sort": "organisation"}
    ]


def test_badges_come_in_sheets_of_the_chosen_size(client, seminar, organizer, registration_factory):
    for number in range(9):
        registration_factory(seminar, f"Person {number}")
    log_in(client, organizer)
    page = client.get(url(seminar, "/badges?per_page=10")).get_data(as_text=True)
    assert page.count('class="badge-sheet per-page-10"') == 2
    assert page.count('class="name-badge"') == 12
    assert "badge-name-long" in page  # Karl-Johan's name gets smaller type
    assert audit_details(seminar) == [{"export": "badges", "status": "confirmed", "per_page": 10}]


def test_catering_summary_shows_counts_and_names_only_when_opened(client, seminar, organizer):
    log_in(client, organizer)
    page = client.get(url(seminar, "/catering")).get_data(as_text=True)
    assert re.search(r"<td>Glutenfri</td><td class=\"count\">1</td>", page)
    assert "3 bekräftade deltagare" in page or "3 confirmed attendees" in page
    assert "Ögren-Wästerberg" not in page
    opened = client.get(url(seminar, "/catering?names=1")).get_data(as_text=True)
    assert "Karl-Johan Ögren-Wästerberg af Kilsmark" in opened
    assert audit_details(seminar) == [
        {"export": "catering", "names": False},
        {"export": "catering", "names": True},
    ]


def test_catering_summary_says_which_seminar_when_and_where(client, seminar, organizer):
    """Printed and handed to the café, it must say what it is for (issue 13, item 10)."""
    from seminars import dates

    seminar.venue_name, seminar.venue_address = "Niagara", "Nordenskiöldsgatan 1, Malmö"
    db.session.commit()
    log_in(client, organizer)
    page = client.get(url(seminar, "/catering")).get_data(as_text=True)
    heading = page[page.index('<p class="catering-seminar">') :]
    heading = heading[: heading.index("</p>")]
    assert seminar.title in heading
    assert dates.span(seminar.starts_at, seminar.ends_at, "sv") in heading
    assert "Niagara, Nordenskiöldsgatan 1, Malmö" in heading
