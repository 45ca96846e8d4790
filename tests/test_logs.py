"""The email log and the audit log in words, in the interface's language (issue 13, item 4):
emails by the names people use ("Ny tid eller plats"), a sent email with when it was sent,
audit entries that say what changed with old → new times and places, exports with what
was exported ("Exporterade namnbrickor (bekräftade, 8 per A4)"), and export files named
in the organiser's language. No internal name ever shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.mail import context as mail_context
from seminars.models import AuditEvent, OutboxMessage, OutboxStatus
from seminars.organising import audit
from seminars.web.attendees.labels import ACTION_LABELS, KIND_LABELS
from tests.conftest import attendee, log_in, register
from tests.test_editor import edit_data

SEMINARS = Path(__file__).resolve().parents[1] / "seminars"
# Every kind of email the app can send: those with a subject, and organisers' messages.
SENT_KINDS = sorted({*mail_context.SUBJECTS, "message"})


@pytest.fixture
def organizer(organizer_factory, organization_factory):
    return organizer_factory(organization_factory("OFR"))


@pytest.fixture
def seminar(seminar_factory, organizer):
    start = datetime(2031, 3, 19, 12, 0, tzinfo=UTC)  # onsdag 19 mars 2031 kl. 13.00
    return seminar_factory(
        organization=organizer.organizations[0], starts_at=start, venue_name="Aulan"
    )


@pytest.fixture
def signed_in(client, organizer):
    log_in(client, organizer)
    return client


def page_cell(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def page_text(html: str) -> str:
    """What a person reads: the page without its tags and attributes."""
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


# ------------------------------------------------------------------------- email log


def test_every_kind_of_email_has_a_name_people_use():
    assert [kind for kind in SENT_KINDS if kind not in KIND_LABELS] == []


@pytest.mark.parametrize("language", ["sv", "en"])
def test_no_internal_kind_or_status_ever_shows_in_the_email_log(
    client, organizer, seminar, language
):
    registration = register(seminar, attendee())
    for number, kind in enumerate(SENT_KINDS):
        db.session.add(
            OutboxMessage(
                dedupe_key=f"test:{number}",
                kind=kind,
                to_email="anna@example.org",
                to_name="Anna Andersson",
                seminar_id=seminar.id,
                registration_id=registration.id,
                context={"subject": "Ämnet"},
                status=list(OutboxStatus)[number % len(OutboxStatus)],
            )
        )
    db.session.commit()
    client.set_cookie("lang", language)
    log_in(client, organizer)
    page = client.get(f"/organizer/seminars/{seminar.id}/emails").text
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    rows = [
        [page_cell(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]
    assert len(rows) == len(SENT_KINDS) + 1  # and the confirmation of the signup
    statuses = {str(status) for status in OutboxStatus}
    for _to, kind, status, _created in rows:
        assert kind.split(":")[0] not in SENT_KINDS and "_" not in kind, kind
        assert status.split()[0] not in statuses and "_" not in status, status
    text = page_text(page)
    expected = (
        ["Bekräftelse", "Påminnelse", "Ny tid eller plats", "Kommer du fortfarande?"]
        if language == "sv"
        else ["Confirmation", "Reminder", "New time or place", "Are you still coming?"]
    )
    assert all(label in text for label in expected), expected


def test_a_sent_email_shows_when_it_was_sent_not_its_attempts(signed_in, seminar):
    register(seminar, attendee())
    sent = db.session.scalars(select(OutboxMessage)).one()
    sent.status, sent.sent_at = OutboxStatus.SENT, datetime(2031, 3, 1, 9, 5, tzinfo=UTC)
    db.session.commit()
    text = page_text(signed_in.get(f"/organizer/seminars/{seminar.id}/emails").text)
    assert "Bekräftelse" in text
    assert "Skickat 2031-03-01 10.05" in text
    assert not re.search(r"[Ff]örsök \d", text)


def test_a_failed_email_says_after_how_many_attempts_and_why(signed_in, seminar):
    register(seminar, attendee())
    failed = db.session.scalars(select(OutboxMessage)).one()
    failed.status, failed.attempts = OutboxStatus.FAILED, 5
    failed.last_error = "550 mailbox unavailable"
    db.session.commit()
    text = page_text(signed_in.get(f"/organizer/seminars/{seminar.id}/emails").text)
    assert "Misslyckades efter 5 försök" in text and "550 mailbox unavailable" in text
    failed.status, failed.attempts = OutboxStatus.PENDING, 2
    failed.next_attempt_at = datetime(2031, 3, 1, 9, 35, tzinfo=UTC)
    db.session.commit()
    text = page_text(signed_in.get(f"/organizer/seminars/{seminar.id}/emails").text)
    assert "Försöker igen 2031-03-01 10.35, efter 2 misslyckade försök" in text


# ------------------------------------------------------------------------- audit log


def audit_text(client, seminar) -> str:
    return page_text(client.get(f"/organizer/seminars/{seminar.id}/audit").text)


def test_an_edit_says_what_changed_with_old_and_new_times_and_places(signed_in, seminar, organizer):
    data = edit_data(
        seminar,
        starts_at="2031-03-20T13:00",
        ends_at="2031-03-20T16:00",
        venue_name="Stora salen",
        capacity="40",
        subtitle="Ny underrubrik",
    )
    del data["notify_attendees"]
    assert signed_in.post(f"/organizer/seminars/{seminar.id}/edit", data=data).status_code == 303
    text = audit_text(signed_in, seminar)
    assert "Ändrade seminariet" in text
    assert "Start: onsdag 19 mars 2031 kl. 13.00 → torsdag 20 mars 2031 kl. 13.00" in text
    assert "Lokal: Aulan → Stora salen" in text
    assert "Platser: 10 → 40" in text
    assert "Underrubrik" in text
    for internal in ("starts_at", "ends_at", "venue_name", "capacity", "subtitle"):
        assert internal not in text


def test_exports_are_told_in_words(signed_in, seminar):
    base = f"/organizer/seminars/{seminar.id}/exports"
    for path in (
        "/badges?status=confirmed&per_page=8",
        "/attendees.csv?status=all&sep=comma",
        "/attendees.xlsx?status=waiting",
        "/list?status=confirmed&sort=surname",
        "/catering?names=1",
    ):
        assert signed_in.get(base + path).status_code == 200
    text = audit_text(signed_in, seminar)
    assert "Exporterade namnbrickor (bekräftade, 8 per A4)" in text
    assert "Exporterade deltagarlistan som CSV (alla, kommaseparerad)" in text
    assert "Exporterade deltagarlistan som Excel (på väntelistan)" in text
    assert "Skrev ut närvarolistan (bekräftade, efter efternamn)" in text
    assert "Öppnade sammanställningen för fika och mat (med namn)" in text
    assert "status=" not in text and "per_page" not in text


def test_the_same_in_english(client, organizer, seminar):
    client.set_cookie("lang", "en")
    log_in(client, organizer)
    client.get(f"/organizer/seminars/{seminar.id}/exports/badges?status=confirmed&per_page=10")
    assert "Exported name badges (confirmed, 10 per A4)" in audit_text(client, seminar)


def test_entries_written_before_the_words_read_the_same(signed_in, seminar, organizer):
    """Older events kept their detail as text; the log reads them into words as well."""
    for action, detail in [
        ("edited", "starts_at, ends_at, venue_name"),
        ("exported", "badges status=confirmed per_page=8"),
        ("exported", "csv status=confirmed sep=semicolon"),
        ("exported", "attendee list status=all sort=organisation"),
        ("exported", "catering names=1"),
        ("cancelled", "Talaren är sjuk."),
    ]:
        audit.record(organizer, action, seminar=seminar, detail=detail)
    db.session.commit()
    text = audit_text(signed_in, seminar)
    assert "Start, Slut, Lokal" in text
    assert "Exporterade namnbrickor (bekräftade, 8 per A4)" in text
    assert "Exporterade deltagarlistan som CSV (bekräftade, semikolonseparerad)" in text
    assert "Skrev ut närvarolistan (alla, efter organisation)" in text
    assert "(med namn)" in text
    assert "Meddelande: ”Talaren är sjuk.”" in text
    assert "starts_at" not in text and "status=" not in text


def test_an_unknown_action_or_field_shows_a_general_word(signed_in, seminar, organizer):
    audit.record(organizer, "rebooted_the_moon", seminar=seminar)
    audit.record(organizer, "edited", seminar=seminar, detail={"changed": ["moon_phase"]})
    db.session.commit()
    text = audit_text(signed_in, seminar)
    assert "Annan ändring" in text and "andra uppgifter" in text
    assert "rebooted_the_moon" not in text and "moon_phase" not in text


def test_every_action_the_app_records_has_words():
    """A new audit.record(…, "action") without a label fails here."""
    recorded = set()
    for path in SEMINARS.rglob("*.py"):
        recorded |= set(re.findall(r'audit\.record\(\s*\w+,\s*"([a-z_]+)"', path.read_text()))
    assert len(recorded) > 10
    assert sorted(recorded - set(ACTION_LABELS)) == []


def test_duplicate_and_cancel_are_told_with_their_details(signed_in, seminar):
    signed_in.post(f"/organizer/seminars/{seminar.id}/duplicate")
    copy_id = db.session.scalar(
        select(AuditEvent.seminar_id).where(AuditEvent.action == "duplicated")
    )
    text = audit_text(signed_in, type(seminar)(id=copy_id))
    assert f"En kopia av ”{seminar.title}”" in text


# --------------------------------------------------------------------- export files


@pytest.mark.parametrize(
    ("language", "status", "name"),
    [
        ("sv", "confirmed", "bekräftade"),
        ("sv", "waiting", "väntelista"),
        ("sv", "all", "alla"),
        ("en", "confirmed", "confirmed"),
        ("en", "cancelled", "cancelled"),
    ],
)
def test_export_file_names_follow_the_language(client, organizer, seminar, language, status, name):
    client.set_cookie("lang", language)
    log_in(client, organizer)
    for extension in ("csv", "xlsx"):
        response = client.get(
            f"/organizer/seminars/{seminar.id}/exports/attendees.{extension}?status={status}"
        )
        disposition = response.headers["Content-Disposition"]
        expected = f"{seminar.slug}-{name}.{extension}"
        if expected.isascii():
            assert f"filename={expected}" in disposition
        else:
            from urllib.parse import quote

            assert f"filename*=UTF-8''{quote(expected)}" in disposition


def test_an_edit_of_times_records_the_values_for_the_log(app, seminar, organizer):
    from seminars.organising import editor
    from seminars.organising.editor import SeminarDraft

    draft = SeminarDraft(
        title=seminar.title,
        organization_id=seminar.organization_id,
        starts_at=seminar.starts_at + timedelta(hours=1),
        ends_at=seminar.ends_at,
        capacity=seminar.capacity,
        venue_name=seminar.venue_name,
        venue_address=seminar.venue_address,
        contact_name=seminar.contact_name,
        contact_email=seminar.contact_email,
    )
    editor.update_seminar(organizer, seminar, draft, notify=False)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "edited")).one()
    import json

    detail = json.loads(event.detail)
    assert detail["old"]["starts_at"] == "2031-03-19T12:00:00+00:00"
    assert detail["new"]["starts_at"] == "2031-03-19T13:00:00+00:00"
    assert "starts_at" in detail["changed"]
