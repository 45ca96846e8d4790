"""10,000 due reminders delivered to a local SMTP server, against bare SMTP as a baseline.

Setup (not timed): a fresh SQLite database in a temporary folder (or --database-url), one
seminar starting in a day, N confirmed registrations made a week ago (inserted in bulk; one
in five in English), and an SMTP sink (aiosmtpd) in a child process that counts what it
receives, so the server does not share this process's core.

Timed: one worker pass exactly as `flask seminars worker --once` runs it: queue the 1-day
reminders (N outbox rows), then claim, render (text + HTML in the attendee's language, the
.ics file, the manage link), send over one SMTP connection per batch, and mark each row sent.

Baseline, same run and same sink: smtplib sending N copies of one already rendered reminder
over one connection, i.e. what SMTP alone costs (run twice, averaged). Goal: N = 10,000
within 30 s, and at most twice the baseline. The worker process's CPU time is printed too.

Usage: .venv/bin/python -m bench.reminders [--count 10000] [--batch-size 100]
"""

from __future__ import annotations

import argparse
import hashlib
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from bench.web import free_port

ROOT = Path(__file__).resolve().parent.parent

GOAL_SECONDS = 30.0


def run_sink(port: int) -> None:
    """Child process: accept mail on 127.0.0.1:port until stdin closes, then print the count."""
    from aiosmtpd.controller import Controller

    class Count:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Count.received += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()
    print(Count.received, flush=True)


def seed(count: int, now: datetime):
    """One seminar whose 1-day reminder fell due a minute ago, and `count` confirmed people."""
    from sqlalchemy import insert

    from seminars import signup
    from seminars.extensions import db
    from seminars.models import Organization, Registration, Seminar, SeminarStatus, Status

    starts = now + timedelta(days=1) - timedelta(minutes=1)
    organization = Organization(slug="ofr", name="OFR – Offentliganställdas förhandlingsråd")
    seminar = Seminar(
        slug="inflytande-och-halsa",
        title="Inflytande och hälsa med tillitsbaserad styrning?",
        organization=organization,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        venue_name="Kulturhuset Stadsteatern, Hörsalen",
        venue_address="Sergels torg 3, Stockholm",
        online_info="Sändningen: https://play.example.org/ofr",
        capacity=count,
        seats_taken=count,
        status=SeminarStatus.PUBLISHED,
        contact_name="Åsa Plesner",
        contact_email="asa.plesner@example.org",
        reminder_offsets=[1440, 60],
    )
    db.session.add(seminar)
    db.session.commit()
    made = now - timedelta(days=7)
    rows = []
    for number in range(count):
        salt = f"{number:032x}"
        token = signup.manage_token(SimpleNamespace(token_salt=salt))
        rows.append(
            {
                "seminar_id": seminar.id,
                "name": f"Deltagare Nummer{number} Åström",
                "email": f"person{number}@example.org",
                "email_key": f"person{number}@example.org",
                "organization": "Vision",
                "answers": {},
                "status": Status.CONFIRMED,
                "language": "en" if number % 5 == 0 else "sv",
                "token_salt": salt,
                "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                "created_at": made,
                "updated_at": made,
                "added_by_organizer": False,
            }
        )
    db.session.execute(insert(Registration), rows)
    db.session.commit()
    return seminar


def baseline(message: bytes, count: int, port: int) -> float:
    """Seconds for smtplib to send `count` copies of one message over one connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
        for number in range(count):
            smtp.sendmail("seminarier@localhost", [f"person{number}@example.org"], message)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=None, help="default: the app's")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.sink:
        run_sink(arguments.sink)
        return 0

    from sqlalchemy import func, select

    from seminars import create_app, worker
    from seminars.extensions import db
    from seminars.mail import message, render
    from seminars.models import OutboxMessage, OutboxStatus

    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "bench.reminders", "--sink", str(port)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout.readline().strip() == "ready"
    folder = tempfile.TemporaryDirectory()
    config = {
        "SQLALCHEMY_DATABASE_URI": arguments.database_url
        or f"sqlite:///{Path(folder.name) / 'bench.sqlite3'}",
        "SECRET_KEY": "bench",
        "BASE_URL": "https://seminarier.example.org",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_DEFAULT_SENDER": "seminarier@example.org",
    }
    if arguments.batch_size:
        config["OUTBOX_BATCH_SIZE"] = arguments.batch_size
    app = create_app(config)
    count = arguments.count
    try:
        with app.app_context():
            db.drop_all()
            db.create_all()
            now = datetime.now(UTC)
            seed(count, now)

            started, cpu = time.perf_counter(), time.process_time()
            summary = worker.run_pass()
            total = time.perf_counter() - started
            cpu = time.process_time() - cpu

            sent = db.session.scalar(
                select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
            )
            sample = db.session.scalars(select(OutboxMessage).limit(1)).one()
            rendered = message.as_bytes(render.render(sample))
            # Twice, averaged: on a shared machine the load drifts from one run to the next.
            raw_seconds = (baseline(rendered, count, port) + baseline(rendered, count, port)) / 2
            batch_size = app.config["OUTBOX_BATCH_SIZE"]
            database = db.engine.dialect.name
            db.session.remove()
            db.drop_all()
    finally:
        sink.stdin.close()
        received = int(sink.stdout.readline() or 0)
        sink.wait(timeout=30)
        folder.cleanup()

    print(f"worker pass: {summary.line()}")
    print(
        f"reminders: {count} queued and delivered in {total:.1f} s "
        f"({count / total:.0f} mails/s; {database}, batches of {batch_size}; "
        f"goal ≤ {GOAL_SECONDS:.0f} s for 10,000)"
    )
    print(
        f"baseline: smtplib, {count} pre-built messages over one connection: "
        f"{raw_seconds:.1f} s ({count / raw_seconds:.0f} mails/s)"
    )
    print(f"worker process CPU: {cpu:.1f} s ({cpu / count * 1000:.2f} ms a mail)")
    print(f"ratio: the worker takes {total / raw_seconds:.1f}× the bare SMTP time")
    print(f"sink received {received} mails (expected {3 * count}); rows sent: {sent}")
    ok = sent == count and received == 3 * count and (count < 10_000 or total <= GOAL_SECONDS)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
