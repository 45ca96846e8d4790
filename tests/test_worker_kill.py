"""A worker killed mid-batch holds its mail back for at most a minute (DESIGN guarantee 3).

Real processes: two `flask --app wsgi seminars worker` on PostgreSQL, a slow SMTP server
(aiosmtpd, a pause per message), and a SIGKILL of the worker that is sending, as a power cut
or the OOM killer would do it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from seminars.extensions import db
from seminars.models import Organization, Seminar, SeminarStatus
from tests.conftest import LocalSMTPServer, attendee, make_app, register

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = 30
PAUSE_PER_MESSAGE = 0.2  # seconds the server takes to accept each mail
GUARANTEE = 60.0


class SlowServer:
    """Accepts every mail after a pause; remembers who got one and when."""

    def __init__(self) -> None:
        self.received: list[tuple[float, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(PAUSE_PER_MESSAGE)
        with self.lock:
            self.received.append((time.monotonic(), envelope.rcpt_tos[0]))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


def _seed(url: str) -> None:
    app = make_app(url)
    with app.app_context():
        db.create_all()
        starts = datetime.now(UTC) + timedelta(days=7)
        seminar = Seminar(
            slug="tillit",
            title="Inflytande och hälsa med tillitsbaserad styrning?",
            organization=Organization(slug="ofr", name="OFR"),
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=PEOPLE,
            status=SeminarStatus.PUBLISHED,
        )
        db.session.add(seminar)
        db.session.commit()
        for number in range(PEOPLE):
            register(seminar, attendee(f"person{number}@example.org"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _worker(url: str, port: int) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_DEFAULT_SENDER": "seminarier@seminars.test",
        "BASE_URL": "http://seminars.test",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "seminars", "worker", "--interval", "1"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.postgres
@pytest.mark.burst  # real processes, a database of its own: once per `make test`
def test_mail_of_a_killed_worker_goes_out_within_a_minute(postgres_url):
    _seed(postgres_url)
    server = SlowServer()
    port = LocalSMTPServer().port
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    workers = []
    try:
        # The first worker claims the whole batch and starts sending it; the second starts
        # while the first is busy, so it finds nothing to claim until the first dies.
        workers.append(_worker(postgres_url, port))
        assert _wait_for(lambda: server.count() >= 3, 60), "the first worker sent nothing"
        workers.append(_worker(postgres_url, port))
        time.sleep(1.0)
        workers[0].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        workers[0].wait(timeout=10)
        sent_before_kill = server.count()

        everyone = _wait_for(
            lambda: len({to for _, to in server.received}) == PEOPLE, GUARANTEE + 15
        )
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=20)
        controller.stop()

    recipients = Counter(to for _, to in server.received)
    duplicates = sum(count - 1 for count in recipients.values())
    last = max(moment for moment, _ in server.received)
    delay = last - killed_at
    print(
        f"\nworker kill: {sent_before_kill} of {PEOPLE} mails sent before the SIGKILL; "
        f"the last mail went out {delay:.1f} s after it; duplicates: {duplicates}"
    )
    assert everyone, f"only {len(recipients)} of {PEOPLE} people got their mail"
    assert set(recipients) == {f"person{number}@example.org" for number in range(PEOPLE)}
    assert sent_before_kill < PEOPLE  # the kill came mid-batch
    assert delay <= GUARANTEE
    assert duplicates <= 1  # at most the one message in flight at the kill
