"""Undeliverable addresses: permanent SMTP refusals at once, and bounces (RFC 3464 delivery
status notifications) read from a real IMAP server (Debian's Dovecot, started by the test),
shown to organisers as "Adressen fungerar inte"."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from email.utils import make_msgid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from seminars import signup, worker
from seminars.extensions import db
from seminars.mail import bounces, delivery
from seminars.models import OutboxMessage, OutboxStatus, Registration
from tests.conftest import IN_CI, LocalSMTPServer, attendee, log_in, register

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "bounces", "studs-och-bounce"

DOVECOT_CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
mail_uid = {user}
mail_gid = {group}
default_internal_user = {user}
default_login_user = {login_user}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/home/%u
}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    """Dovecot in the foreground (-F) with its own configuration in a fresh folder."""

    def __init__(self) -> None:
        self.port = _free_port()
        # Not under pytest's tmp_path: Dovecot's own processes run as another user and
        # must be able to reach the folder.
        self.root = Path(tempfile.mkdtemp(prefix="seminars-dovecot-"))
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            user, login_user = "dovecot", "dovenull"
        else:
            user = login_user = pwd.getpwuid(os.geteuid()).pw_name
        entry = pwd.getpwnam(user)
        for folder in ("mail", "home"):
            (self.root / folder).mkdir()
            os.chown(self.root / folder, entry.pw_uid, entry.pw_gid)
        (self.root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (self.root / "dovecot.conf").write_text(
            DOVECOT_CONFIG.format(
                root=self.root, port=self.port, user=user, group=user, login_user=login_user
            )
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.process.stdout.read().decode(errors="replace")
                raise RuntimeError(f"dovecot stopped: {log}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not start listening")

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(USER, PASSWORD)
        imap.select("INBOX")
        return imap

    def deliver(self, message: bytes) -> None:
        """Put a mail in the bounce mailbox, as the mail server's bounce would arrive."""
        imap = self.client()
        imap.append("INBOX", None, None, message)
        imap.logout()

    def subjects(self) -> list[tuple[str, bool]]:
        """(subject, seen) of every mail still in the mailbox."""
        imap = self.client()
        _status, found = imap.uid("SEARCH", None, "ALL")
        mails = []
        for uid in found[0].split():
            _status, data = imap.uid("FETCH", uid, "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            flags, header = data[0]
            mails.append((header.decode().split(":", 1)[1].strip(), b"\\Seen" in flags))
        imap.logout()
        return mails

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def dovecot():
    if not os.path.exists(DOVECOT):
        reason = "Dovecot is not installed (apt-get install dovecot-imapd)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    server = Dovecot()
    yield server
    server.stop()


@pytest.fixture
def app(mail_app, dovecot):
    mail_app.config["BOUNCE_IMAP_URL"] = dovecot.url
    return mail_app


@pytest.fixture
def seminar(seminar_factory, organizer_factory, organization_factory, client):
    organization = organization_factory("OFR")
    organizer = organizer_factory(organization)
    log_in(client, organizer)
    return seminar_factory(
        title="Inflytande och hälsa med tillitsbaserad styrning?", organization=organization
    )


def sign_up(seminar, email: str) -> Registration:
    registration = register(seminar, attendee(email, "Anna Andersson"))
    db.session.commit()
    return registration


def only_row() -> OutboxMessage:
    db.session.expire_all()
    [row] = db.session.scalars(select(OutboxMessage))
    return row


def delivery_status_report(
    *, to: str, original_message_id: str, action: str = "failed", status: str = "5.1.2"
) -> bytes:
    """A bounce as Postfix writes it (RFC 3464): an explanation, the status of each
    recipient, and the headers of the mail that could not be delivered."""
    subject = "Undelivered Mail" if action == "failed" else "Delayed Mail"
    return "\r\n".join(
        [
            "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)",
            f"To: {to}",
            f"Subject: {subject} Returned to Sender",
            f"Message-ID: {make_msgid(domain='mx.example.org')}",
            "MIME-Version: 1.0",
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"',
            "",
            "--B1",
            "Content-Type: text/plain; charset=us-ascii",
            "",
            "I'm sorry to have to inform you that your message could not be delivered.",
            "",
            "--B1",
            "Content-Type: message/delivery-status",
            "",
            "Reporting-MTA: dns; mx.example.org",
            "",
            "Final-Recipient: rfc822; anna@kommum.se",
            f"Action: {action}",
            f"Status: {status}",
            "Diagnostic-Code: smtp; 550 5.1.2 Host or domain name not found",
            "",
            "--B1",
            "Content-Type: text/rfc822-headers",
            "",
            "From: OFR <seminarier@seminars.test>",
            "To: anna@kommum.se",
            f"Message-ID: {original_message_id}",
            "Subject: =?utf-8?q?Du_=C3=A4r_anm=C3=A4ld?=",
            "",
            "--B1--",
            "",
        ]
    ).encode()


def test_a_bounce_in_the_mailbox_shows_the_address_does_not_work(
    app, seminar, client, smtp_server, dovecot
):
    registration = sign_up(seminar, "anna@kommum.se")
    seminar_id, registration_id = seminar.id, registration.id
    assert delivery.deliver_pending().sent == 1
    [envelope] = smtp_server.envelopes
    # The return path names the row, so the bounce comes back to an address that says which.
    assert envelope.mail_from.startswith("seminarier+bounce-")
    [sent] = smtp_server.messages()
    dovecot.deliver(delivery_status_report(to=envelope.mail_from, original_message_id="<x@y>"))
    dovecot.deliver(b"From: anna@kommum.se\r\nSubject: Autosvar\r\n\r\nJag har semester.\r\n")
    delay = delivery_status_report(
        to=envelope.mail_from,
        original_message_id=sent["Message-ID"],
        action="delayed",
        status="4.4.1",
    )
    dovecot.deliver(delay)

    summary = worker.run_pass()

    assert "bounces read 1" in summary.line()
    row = only_row()
    assert (row.status, row.undeliverable) == (OutboxStatus.FAILED, True)
    assert "5.1.2" in row.last_error
    # The bounce is handled and gone; the other mails stay, read.
    assert sorted(dovecot.subjects()) == [
        ("Autosvar", True),
        ("Delayed Mail Returned to Sender", True),
    ]

    person = f"/organizer/seminars/{seminar_id}/attendees/{registration_id}"
    listing = client.get(f"/organizer/seminars/{seminar_id}/attendees").get_data(as_text=True)
    assert "Adressen fungerar inte" in listing
    assert f'href="{person}' in listing.split("Adressen fungerar inte")[0].rsplit("<a", 1)[1]
    assert "Adressen fungerar inte" in client.get(person).get_data(as_text=True)
    log = client.get(f"/organizer/seminars/{seminar_id}/emails").get_data(as_text=True)
    assert "Adressen fungerar inte" in log
    assert (
        f'href="{person}#change-email"' in log.split("Adressen fungerar inte")[0].rsplit("<a", 1)[1]
    )


def test_a_bounce_is_matched_by_the_original_message_id(app, seminar, smtp_server, dovecot):
    registration = sign_up(seminar, "anna@kommum.se")
    delivery.deliver_pending()
    [sent] = smtp_server.messages()
    # This mail server sends bounces to the plain sender address, but quotes the headers.
    dovecot.deliver(
        delivery_status_report(
            to="seminarier@seminars.test", original_message_id=sent["Message-ID"]
        )
    )

    assert bounces.poll_if_due(db.engine.connect, force=True) == 1

    assert only_row().undeliverable
    db.session.refresh(registration)
    assert registration.address_undeliverable
    assert dovecot.subjects() == []


def test_a_forged_bounce_marks_nothing(app, seminar, smtp_server, dovecot):
    registration = sign_up(seminar, "anna@kommum.se")
    delivery.deliver_pending()
    row_id = only_row().id
    forged = f"<{row_id}.{'0' * 16}.outbox@seminars.test>"
    dovecot.deliver(
        delivery_status_report(
            to=f"seminarier+bounce-{row_id}-{'0' * 16}@seminars.test", original_message_id=forged
        )
    )

    assert bounces.poll_if_due(db.engine.connect, force=True) == 0

    assert only_row().status == OutboxStatus.SENT
    db.session.refresh(registration)
    assert not registration.address_undeliverable


def test_correcting_the_address_ends_the_warning(app, seminar, smtp_server, dovecot):
    registration = sign_up(seminar, "anna@kommum.se")
    delivery.deliver_pending()
    [sent] = smtp_server.messages()
    dovecot.deliver(
        delivery_status_report(
            to="seminarier@seminars.test", original_message_id=sent["Message-ID"]
        )
    )
    bounces.poll_if_due(db.engine.connect, force=True)
    db.session.refresh(registration)
    assert registration.address_undeliverable

    registration.email = "anna@kommun.se"
    db.session.commit()

    assert not registration.address_undeliverable


@pytest.mark.parametrize(
    ("stage", "answer"),
    [("RCPT", "550 5.1.1 No such user here"), ("DATA", "554 5.7.1 Message rejected")],
)
def test_a_permanent_refusal_makes_the_address_undeliverable_at_once(
    app, seminar, client, stage, answer
):
    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, options):
            if stage == "RCPT":
                return answer
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            return answer

    refusing = LocalSMTPServer()
    controller = Controller(Refuse(), hostname=refusing.host, port=refusing.port)
    controller.start()
    try:
        app.extensions["mail"].port = refusing.port
        registration = sign_up(seminar, "anna@kommum.se")
        report = delivery.deliver_pending()
    finally:
        controller.stop()

    assert report.failed == 1
    row = only_row()
    assert (row.status, row.undeliverable, row.attempts) == (OutboxStatus.FAILED, True, 1)
    assert answer.split()[0] in row.last_error
    db.session.refresh(registration)
    assert registration.address_undeliverable
    page = client.get(f"/organizer/seminars/{seminar.id}/attendees/{registration.id}")
    assert "Adressen fungerar inte" in page.get_data(as_text=True)


def test_a_temporary_refusal_is_tried_again(app, seminar):
    class Busy:
        async def handle_RCPT(self, server, session, envelope, address, options):
            return "450 4.2.1 Mailbox busy, try later"

    busy = LocalSMTPServer()
    controller = Controller(Busy(), hostname=busy.host, port=busy.port)
    controller.start()
    try:
        app.extensions["mail"].port = busy.port
        registration = sign_up(seminar, "anna@example.org")
        delivery.deliver_pending()
    finally:
        controller.stop()

    row = only_row()
    assert (row.status, row.undeliverable, row.attempts) == (OutboxStatus.PENDING, False, 1)
    db.session.refresh(registration)
    assert not registration.address_undeliverable


def test_an_anonymised_registration_forgets_the_address_that_did_not_work(app, seminar):
    registration = sign_up(seminar, "anna@kommum.se")
    registration.undeliverable_email = "anna@kommum.se"
    db.session.commit()

    signup.anonymise(registration)
    db.session.commit()

    assert registration.undeliverable_email == ""
