"""Outbox delivery against a real SMTP server (aiosmtpd on 127.0.0.1), not a mock."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from seminars.extensions import db
from seminars.mail import delivery, devmail, smtp
from seminars.mail import queue as outbox
from seminars.models import (
    Organization,
    OutboxMessage,
    OutboxStatus,
    Registration,
    Seminar,
    SeminarStatus,
)
from tests.conftest import LocalSMTPServer, attendee, mail_settings, make_app, register
from tests.mail_helpers import (
    calendar_of,
    calendar_part,
    event_of,
    html_of,
    mail_to,
    manage_path,
    text_of,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Wednesday 17 March 2027, 13.00 in Stockholm (CET, UTC+1).
STARTS = datetime(2027, 3, 17, 12, 0, tzinfo=UTC)


@pytest.fixture
def app(mail_app):
    return mail_app


@pytest.fixture
def seminar(seminar_factory, organization_factory):
    return seminar_factory(
        title="Styrning och ledarskap i offentlig sektor",
        starts_at=STARTS,
        organization=organization_factory("Malmö universitet"),
        online_info="Länk till sändningen: https://play.example.org/tillit",
    )


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def sign_up(seminar, email, name="Anna Andersson", **fields):
    registration = register(seminar, attendee(email, name, **fields))
    db.session.commit()
    return registration


def test_confirmation_arrives_with_encoded_names_calendar_and_working_manage_link(
    client, seminar, smtp_server
):
    response = client.post(
        f"/seminars/{seminar.slug}/register",
        data={"name": "Åsa Plesner", "email": "asa@example.org", "organization": "Vision"},
    )
    assert response.status_code == 200

    report = delivery.deliver_pending()

    assert report.sent == 1
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["asa@example.org"]
    raw_headers = envelope.content.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii()  # every non-ASCII name travels RFC 2047-encoded
    assert b"=?utf-8?" in raw_headers
    [mail] = smtp_server.messages()
    assert mail["To"].addresses[0].display_name == "Åsa Plesner"
    assert mail["To"].addresses[0].addr_spec == "asa@example.org"
    assert mail["From"].addresses[0].display_name == "Malmö universitet"
    assert mail["From"].addresses[0].addr_spec == "seminarier@seminars.test"
    assert mail["Reply-To"].addresses[0].display_name == "Ewa-Marie Siwerson"
    assert mail["Reply-To"].addresses[0].addr_spec == "ewa-marie@example.org"
    assert "Styrning och ledarskap i offentlig sektor" in mail["Subject"]

    text = text_of(mail)
    assert "onsdag 17 mars 2027 kl. 13.00–16.00" in text
    assert "Aulan, Drottninggatan 71B, Stockholm" in text
    assert "https://play.example.org/tillit" in text  # online info, for someone with a seat
    assert "onsdag 17 mars 2027 kl. 13.00" in html_of(mail)

    assert calendar_part(mail).get_param("method") == "PUBLISH"
    event = event_of(mail)
    assert event.decoded("dtstart") == STARTS
    assert event.decoded("dtstart").astimezone(STOCKHOLM).strftime("%H.%M") == "13.00"
    assert event.decoded("dtend") == STARTS + timedelta(hours=3)
    assert calendar_of(mail)["method"] == "PUBLISH"

    page = client.get(manage_path(mail))
    assert page.status_code == 200
    assert "Åsa Plesner" in page.get_data(as_text=True)

    [row] = outbox_rows()
    assert row.status == OutboxStatus.SENT and row.sent_at is not None
    # The manage token is derived when sending, never stored with the queued email.
    token = manage_path(mail).removeprefix("/r/")
    assert token not in repr((row.context, row.subject, row.last_error, row.dedupe_key))


def test_newlines_in_typed_names_and_titles_create_no_header(seminar_factory, smtp_server):
    seminar = seminar_factory(title="Kul\r\nBcc: y@example.org", contact_name="A\nCc: z@x.org")
    sign_up(seminar, "victim@example.org", name="Evil\r\nBcc: x@example.org")

    assert delivery.deliver_pending().sent == 1

    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["victim@example.org"]
    [mail] = smtp_server.messages()
    assert mail["Bcc"] is None and mail["Cc"] is None
    headers = envelope.content.split(b"\r\n\r\n", 1)[0]
    header_names = [line.split(b":", 1)[0].lower() for line in headers.split(b"\r\n")]
    assert b"bcc" not in header_names and b"cc" not in header_names
    assert mail["To"].addresses[0].display_name == "Evil Bcc: x@example.org"
    assert mail["To"].addresses[0].addr_spec == "victim@example.org"
    assert "\n" not in str(mail["Subject"])


def test_smtp_outage_keeps_mail_pending_then_delivers_each_once(seminar, smtp_server):
    smtp_server.stop()
    sign_up(seminar, "a@example.org")
    sign_up(seminar, "b@example.org")

    report = delivery.deliver_pending()

    assert (report.sent, report.retrying) == (0, 2)
    rows = outbox_rows()
    assert [row.status for row in rows] == [OutboxStatus.PENDING] * 2
    assert all(row.attempts == 1 for row in rows)
    assert all("Connection refused" in row.last_error for row in rows)
    assert all(row.next_attempt_at > datetime.now(UTC) for row in rows)
    # Back-off: an immediate second pass does not hammer the server.
    assert delivery.deliver_pending().claimed == 0

    smtp_server.start()
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert delivery.deliver_pending(now=later).sent == 2
    assert delivery.deliver_pending(now=later + timedelta(hours=2)).claimed == 0

    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == [
        "a@example.org",
        "b@example.org",
    ]
    assert all(row.status == OutboxStatus.SENT for row in outbox_rows())


def test_an_outage_never_turns_mail_into_failed(app, seminar, smtp_server):
    smtp_server.stop()
    sign_up(seminar, "a@example.org")
    moment = datetime.now(UTC)
    for _ in range(app.config["OUTBOX_MAX_ATTEMPTS"] + 2):
        moment += timedelta(hours=2)
        delivery.deliver_pending(now=moment)
    [row] = outbox_rows()
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == app.config["OUTBOX_MAX_ATTEMPTS"] + 2


def test_a_refused_message_ends_up_failed_with_the_servers_answer(app, seminar):
    """A 550 is permanent: failed at the first try (tests/test_bounces.py checks "at once")."""

    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, options):
            return "550 No such user"

    refusing = LocalSMTPServer()
    controller = Controller(Refuse(), hostname=refusing.host, port=refusing.port)
    controller.start()
    try:
        app.extensions["mail"].port = refusing.port
        sign_up(seminar, "nobody@example.org")
        moment = datetime.now(UTC)
        for _ in range(app.config["OUTBOX_MAX_ATTEMPTS"]):
            moment += timedelta(hours=2)
            delivery.deliver_pending(now=moment)
    finally:
        controller.stop()
    [row] = outbox_rows()
    assert row.status == OutboxStatus.FAILED
    assert "550" in row.last_error


def test_stale_claims_of_a_dead_worker_go_back_in_line(seminar, smtp_server):
    sign_up(seminar, "a@example.org")
    now = datetime.now(UTC)
    assert delivery.claim_batch(now, 10)  # a worker claims, then dies before sending
    db.session.commit()
    assert delivery.deliver_pending(now=now).claimed == 0
    assert delivery.deliver_pending(now=now + timedelta(minutes=11)).sent == 1
    assert len(smtp_server.envelopes) == 1


def test_running_the_worker_twice_sends_nothing_twice(runner, seminar, smtp_server):
    sign_up(seminar, "a@example.org")
    sign_up(seminar, "b@example.org")

    first = runner.invoke(args=["seminars", "worker", "--once"])
    second = runner.invoke(args=["seminars", "worker", "--once"])

    assert first.exit_code == 0, first.output
    assert "mail sent 2" in first.output
    assert "mail sent 0" in second.output
    assert len(smtp_server.envelopes) == 2


def test_waiting_list_mail_tells_the_place_in_line(seminar_factory, smtp_server):
    seminar = seminar_factory(capacity=1, online_info="Zoom-länk: https://zoom.example/1")
    sign_up(seminar, "first@example.org", language="en")
    sign_up(seminar, "second@example.org", language="en")
    sign_up(seminar, "third@example.org", language="en")

    delivery.deliver_pending()

    [third] = mail_to(smtp_server.messages(), "third@example.org")
    assert "waiting list" in third["Subject"]
    assert "You are number 2 of 2 in line." in text_of(third)
    assert "zoom.example" not in text_of(third)  # online details only for people with a seat
    assert calendar_part(third) is None
    assert manage_path(third)


def test_english_attendee_gets_english_mail_with_english_dates(seminar, smtp_server):
    sign_up(seminar, "en@example.org", language="en")
    delivery.deliver_pending()
    [mail] = smtp_server.messages()
    assert mail["Subject"].startswith("You are registered")
    assert "Wednesday 17 March 2027, 13:00–16:00" in text_of(mail)


def test_confirmation_carries_a_check_in_qr_code_for_the_door(app, seminar, smtp_server):
    registration = sign_up(seminar, "a@example.org")
    delivery.deliver_pending()
    [mail] = smtp_server.messages()
    [image] = [part for part in mail.walk() if part.get_content_type() == "image/png"]
    content_id = image["Content-ID"].strip("<>")
    assert f'src="cid:{content_id}"' in html_of(mail)
    assert image.get_content().startswith(b"\x89PNG")
    assert str(registration.id) in content_id


def test_organiser_message_and_password_reset_are_delivered(seminar, smtp_server):
    registration = sign_up(seminar, "a@example.org", language="en")
    outbox.queue_for_registration(
        "message",
        registration,
        dedupe_suffix="1",
        context={"subject": "Fika\r\nBcc: x@example.org", "body": "Hej!\n\nVälkomna <b>alla</b>."},
    )
    outbox.queue(
        "password_reset",
        dedupe_key="password_reset:1",
        to_email="organizer@example.org",
        to_name="Organiser",
        language="en",
        context={"reset_url": "http://seminars.test/reset/abc"},
    )
    db.session.commit()

    delivery.deliver_pending()

    [message] = mail_to(smtp_server.messages(), "a@example.org")[1:]
    assert message["Subject"] == "Fika Bcc: x@example.org"
    assert "Välkomna <b>alla</b>." in text_of(message)
    assert "Välkomna &lt;b&gt;alla&lt;/b&gt;." in html_of(message)
    assert manage_path(message)
    [reset] = mail_to(smtp_server.messages(), "organizer@example.org")
    assert "http://seminars.test/reset/abc" in text_of(reset)
    assert reset["Reply-To"] is None


@pytest.mark.postgres
def test_two_workers_on_postgresql_deliver_each_row_once(postgres_url, smtp_server):
    people = 60
    setup = make_app(postgres_url, **mail_settings(smtp_server))
    with setup.app_context():
        db.create_all()
        organization = Organization(slug="ofr", name="OFR")
        seminar = Seminar(
            slug="tillit",
            title="Tillit",
            organization=organization,
            starts_at=STARTS,
            ends_at=STARTS + timedelta(hours=2),
            capacity=people,
            status=SeminarStatus.PUBLISHED,
        )
        db.session.add(seminar)
        db.session.commit()
        for number in range(people):
            sign_up(seminar, f"p{number}@example.org")
        # A batch is no bigger than asked for, or one worker would take everything.
        assert len(delivery.claim_batch(datetime.now(UTC), 7)) == 7
        db.session.rollback()

    # Two separate apps (engines, sessions, SMTP connections), made here: building Flask
    # apps in two threads at once trips a CPython 3.11 bug in ast.parse.
    worker_apps = [make_app(postgres_url, **mail_settings(smtp_server)) for _ in range(2)]
    start = threading.Barrier(2, timeout=30)
    sent_by_worker = []

    def worker(app):
        with app.app_context():
            start.wait()
            sent = 0
            while (report := delivery.deliver_pending(batch_size=7)).claimed:
                sent += report.sent
            sent_by_worker.append(sent)
            db.session.remove()
            db.engine.dispose()

    threads = [threading.Thread(target=worker, args=(app,), daemon=True) for app in worker_apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    recipients = [envelope.rcpt_tos[0] for envelope in smtp_server.envelopes]
    assert len(recipients) == people
    assert len(set(recipients)) == people
    assert sum(sent_by_worker) == people
    with setup.app_context():
        statuses = set(db.session.scalars(select(OutboxMessage.status)))
        assert statuses == {OutboxStatus.SENT}
        assert db.session.query(Registration).count() == people
        db.session.remove()
        db.engine.dispose()


def test_development_mailbox_keeps_mail_and_shows_it(database_url, tmp_path):
    directory = tmp_path / "mailbox"
    port = LocalSMTPServer().port
    controller = Controller(devmail.MailboxHandler(directory), hostname="127.0.0.1", port=port)
    controller.start()
    settings = {**mail_settings(LocalSMTPServer(port)), "DEV_MAILBOX": True}
    app = make_app(database_url, DEV_MAILBOX_DIR=str(directory), **settings)
    try:
        with app.app_context():
            db.create_all()
            organization = Organization(slug="ofr", name="OFR")
            seminar = Seminar(
                slug="tillit",
                title="Tillit i praktiken",
                organization=organization,
                starts_at=STARTS,
                ends_at=STARTS + timedelta(hours=2),
                capacity=5,
                status=SeminarStatus.PUBLISHED,
            )
            db.session.add(seminar)
            db.session.commit()
            sign_up(seminar, "asa@example.org", name="Åsa Plesner")
            assert delivery.deliver_pending().sent == 1

            [stored] = list(directory.glob("*.eml"))
            client = app.test_client()
            listing = client.get("/dev/mailbox/")
            assert listing.status_code == 200
            assert "Tillit i praktiken" in listing.get_data(as_text=True)
            page = client.get(f"/dev/mailbox/{stored.name}")
            body = page.get_data(as_text=True)
            assert page.status_code == 200
            assert "Åsa Plesner" in body
            assert "/r/" in body  # the text part with the manage link
            assert "text/calendar" in body and "BEGIN:VCALENDAR" in body
            assert client.get("/dev/mailbox/..%2Fseminars.sqlite3").status_code == 404
            db.session.remove()
            db.drop_all()
    finally:
        controller.stop()


def test_development_mailbox_does_not_exist_in_production(client, app):
    assert not app.debug and not app.config["DEV_MAILBOX"]
    assert client.get("/dev/mailbox/").status_code == 404


@pytest.mark.postgres
def test_queueing_tells_new_from_duplicate_on_postgresql(postgres_url):
    app = make_app(postgres_url)
    with app.app_context():
        db.create_all()
        first = outbox.queue("password_reset", dedupe_key="k", to_email="a@example.org")
        again = outbox.queue("password_reset", dedupe_key="k", to_email="a@example.org")
        db.session.commit()
        assert (first, again) == (True, False)
        db.session.remove()
        db.engine.dispose()


def test_no_transaction_is_open_while_the_mail_server_answers(seminar, smtp_server, monkeypatch):
    """A slow mail server must not hold up signups: while the worker connects and sends, it
    holds no transaction, and on SQLite another writer gets the lock at once."""
    sign_up(seminar, "a@example.org")
    sign_up(seminar, "b@example.org")
    seen = []
    connect = smtp.Connection.open

    def connecting(self):
        seen.append(db.session().in_transaction())
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as other:  # BEGIN IMMEDIATE, as a signup does
                other.exec_driver_sql("PRAGMA busy_timeout = 0")
                other.exec_driver_sql("SELECT 1")
                other.commit()
        return connect(self)

    monkeypatch.setattr(smtp.Connection, "open", connecting)
    assert delivery.deliver_pending().sent == 2
    assert seen == [False]


def test_development_mailbox_shows_the_html_part_in_a_frame_where_nothing_runs(
    database_url, tmp_path
):
    directory = tmp_path / "mailbox"
    port = LocalSMTPServer().port
    controller = Controller(devmail.MailboxHandler(directory), hostname="127.0.0.1", port=port)
    controller.start()
    settings = {**mail_settings(LocalSMTPServer(port)), "DEV_MAILBOX": True}
    app = make_app(database_url, DEV_MAILBOX_DIR=str(directory), **settings)
    try:
        with app.app_context():
            db.create_all()
            seminar = Seminar(
                slug="tillit",
                title="Tillit <i>i</i> praktiken",
                organization=Organization(slug="ofr", name="OFR"),
                starts_at=STARTS,
                ends_at=STARTS + timedelta(hours=2),
                capacity=5,
                status=SeminarStatus.PUBLISHED,
            )
            db.session.add(seminar)
            db.session.commit()
            sign_up(seminar, "asa@example.org", name="Åsa <script>alert(1)</script>")
            assert delivery.deliver_pending().sent == 1
            [stored] = list(directory.glob("*.eml"))
            client = app.test_client()

            page = client.get(f"/dev/mailbox/{stored.name}").get_data(as_text=True)
            frame = f'src="/dev/mailbox/{stored.name}/html"'
            assert frame in page and "<iframe" in page and " sandbox " in page

            html = client.get(f"/dev/mailbox/{stored.name}/html")
            policy = html.headers["Content-Security-Policy"]
            assert "default-src 'none'" in policy and "sandbox" in policy
            assert "script-src" not in policy  # falls back to 'none': no script runs
            body = html.get_data(as_text=True)
            assert "Åsa &lt;script&gt;" in body and "<script>" not in body
            # The check-in QR code, an inline part of the mail, shows from this site.
            [image_path] = [
                part.split('"')[0] for part in body.split('src="')[1:] if "/images/" in part
            ]
            image = client.get(image_path)
            assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
            db.session.remove()
            db.drop_all()
    finally:
        controller.stop()


def test_a_worker_sending_for_longer_than_its_lease_keeps_its_rows(app, seminar, monkeypatch):
    """The lease is renewed while the batch is sent: another worker finds nothing to take
    back, however slow the mail server."""

    class SlowServer(LocalSMTPServer):
        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(0.2)
            return await super().handle_DATA(server, session, envelope)

    slow = SlowServer()
    slow.start()
    monkeypatch.setattr(delivery, "LEASE", timedelta(seconds=0.6))
    app.extensions["mail"].port = slow.port
    for number in range(8):
        sign_up(seminar, f"p{number}@example.org")
    taken_back = []

    def other_worker():
        with app.app_context():
            for _ in range(8):
                time.sleep(0.2)
                taken_back.append(delivery.release_stale_claims(datetime.now(UTC)))
                db.session.commit()
            db.session.remove()

    try:
        other = threading.Thread(target=other_worker)
        other.start()
        report = delivery.deliver_pending()  # 8 mails at 0.2 s: longer than the lease
        other.join(timeout=30)
    finally:
        slow.stop()

    assert report.sent == 8
    assert taken_back == [0] * 8
    assert len(slow.envelopes) == 8
