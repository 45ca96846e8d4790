"""A signup burst across processes, the way a mailing to 573,000 members causes one.

Two gunicorn instances of `wsgi:app` (2 workers each) on loopback and two
`flask seminars worker` processes share one PostgreSQL database; an SMTP sink in this
process counts what arrives. A separate pool of client processes first fetches the signup
form (a CSRF token and session cookie per person) from one instance, waits for everyone,
then all POST at once to the other instance. Afterwards some confirmed people cancel at
once, through the manage links their emails brought them.

Usage: .venv/bin/python -m bench.burst [--signups 500] [--capacity 100] [--cancels 20]
[--hybrid] (a fresh database on the server in PG_ADMIN_URL, dropped afterwards).
--hybrid: the seminar is hybrid with unlimited online seats, and everyone asks for a seat on
site: the room's seats and its waiting list must hold as a plain seminar's do.
tests/test_burst.py runs the same scenario at a smaller size.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

from bench.web import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CSRF_TOKEN = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
MANAGE_LINK = re.compile(r"/r/([A-Za-z0-9_-]{43})\b")

# Spawned, not forked: this process runs the SMTP sink thread and holds database connections.
CONTEXT = multiprocessing.get_context("spawn")


# -- client side: runs in the pool processes, standard library only ----------------------


@dataclass
class Exchange:
    """One person's request as the client saw it."""

    person: str
    status: int
    sent: float  # time.monotonic(), comparable across processes on one machine
    answered: float


class Browser:
    """One person's cookie jar and connection to one instance."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location", ""), text
        finally:
            connection.close()

    def form_token(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        found = CSRF_TOKEN.search(page)
        if status != 200 or found is None:
            raise RuntimeError(f"GET {path} on :{self.port} gave {status} without a form")
        return found.group(1)


def _client_process(jobs, ports, barrier, results, threads_per_process) -> None:
    """Prepare every job (GET the form), wait for all processes, then POST all at once.

    A job is (person, form path, post path, form fields). The form comes from one instance
    and goes back to the other: nothing but the database and SECRET_KEY is shared.
    """
    prepared, exchanges, failures = [], [], []
    lock = threading.Lock()
    go = threading.Event()

    def prepare(chunk):
        for index, (person, form_path, post_path, fields) in chunk:
            browser = Browser(ports[index % 2])
            try:
                token = browser.form_token(form_path)
            except Exception as error:  # reported back, the burst fails
                with lock:
                    failures.append(f"{person}: {error!r}")
                continue
            browser.port = ports[(index + 1) % 2]
            with lock:
                prepared.append((browser, person, post_path, {**fields, "csrf_token": token}))

    def fire(chunk):
        go.wait()
        for browser, person, post_path, form in chunk:
            sent = time.monotonic()
            try:
                status, _, _ = browser.request("POST", post_path, form)
            except Exception as error:  # reported back, the burst fails
                with lock:
                    failures.append(f"{person}: {error!r}")
                continue
            with lock:
                exchanges.append(Exchange(person, status, sent, time.monotonic()))

    def run_threads(target, items):
        workers = [
            threading.Thread(target=target, args=(items[i::threads_per_process],))
            for i in range(threads_per_process)
        ]
        for worker in workers:
            worker.start()
        return workers

    for worker in run_threads(prepare, list(jobs)):
        worker.join()
    prepared.sort(key=lambda item: item[1])
    firing = run_threads(fire, prepared)
    barrier.wait(timeout=300)
    go.set()
    for worker in firing:
        worker.join()
    results.put((exchanges, failures))


def fire_at_once(jobs: list, ports: tuple[int, int], processes: int, threads: int):
    """Run the jobs from a pool of client processes released together; returns exchanges,
    failures and the seconds from release to the last answer."""
    barrier = CONTEXT.Barrier(processes + 1)
    results = CONTEXT.Queue()
    indexed = list(enumerate(jobs))
    pool = [
        CONTEXT.Process(
            target=_client_process,
            args=(indexed[i::processes], ports, barrier, results, threads),
        )
        for i in range(processes)
    ]
    for process in pool:
        process.start()
    barrier.wait(timeout=300)
    released = time.monotonic()
    exchanges, failures = [], []
    for _ in pool:
        found, failed = results.get(timeout=300)
        exchanges += found
        failures += failed
    seconds = max((e.answered for e in exchanges), default=released) - released
    for process in pool:
        process.join(timeout=30)
    return exchanges, failures, seconds


# -- servers ------------------------------------------------------------------------------


class MailSink:
    """An SMTP server in this process that keeps (recipient, Message-ID) of every mail, and
    the manage link each recipient was sent (a signup's page shows none)."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received: list[tuple[str, str]] = []
        self.manage_tokens: dict[str, str] = {}
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        link = MANAGE_LINK.search(message.get_body(preferencelist=("plain",)).get_content())
        for recipient in envelope.rcpt_tos:
            self.received.append((recipient.lower(), message.get("Message-ID", "")))
            if link:
                self.manage_tokens[recipient.lower()] = link[1]
        return "250 OK"

    def per_recipient(self) -> Counter:
        return Counter(recipient for recipient, _ in self.received)


def wait_until_up(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if Browser(port).request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing answers /healthz on port {port}")
        time.sleep(0.2)


@dataclass
class Services:
    env: dict
    ports: tuple[int, int]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def start_services(database_url: str, mail_port: int, workdir: Path) -> Services:
    ports = (free_port(), free_port())
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "INSTANCE_PATH": str(workdir),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_port),
        "BASE_URL": f"http://127.0.0.1:{ports[0]}",
        "RATELIMIT_ENABLED": "0",  # every person in the burst comes from 127.0.0.1
        "GUNICORN_ACCESS_LOG": "off",
    }
    env.pop("FLASK_DEBUG", None)
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    services = Services(env, ports)
    log = open(workdir / "services.log", "w")  # noqa: SIM115 (closed with the process group)
    for port in ports:
        command = [str(BIN / "gunicorn"), "wsgi:app", "-w", "2", "-b", f"127.0.0.1:{port}"]
        services.processes.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        )
    for _ in range(2):
        services.processes.append(
            subprocess.Popen(
                [*flask, "seminars", "worker", "--interval", "0.5"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )
        )
    for port in ports:
        wait_until_up(port)
    return services


# -- the scenario -------------------------------------------------------------------------


@dataclass
class BurstResult:
    signups: int
    capacity: int
    cancels: int
    statuses: Counter
    confirmed: int
    waiting: int
    arrival_order_kept: bool
    duplicates: int
    mails_per_person: Counter  # how many people got 1 mail, 2 mails, ...
    signup_seconds: float
    signup_p50_ms: float
    signup_p99_ms: float
    mail_seconds: float
    cancel_statuses: Counter
    promoted: int
    promoted_in_order: bool
    promotion_mails: int
    confirmed_after_cancels: int
    failures: list[str]
    hybrid: bool = False
    modes: Counter = field(default_factory=Counter)  # registrations per mode

    def summary(self) -> str:
        return (
            ("hybrid seminar, all asking on site, modes " + f"{dict(self.modes)}: ")
            * self.hybrid
            + f"{self.signups} signups for {self.capacity} seats over 2 instances in "
            f"{self.signup_seconds:.1f}s ({self.signups / self.signup_seconds:.0f}/s, "
            f"median {self.signup_p50_ms:.0f} ms, p99 {self.signup_p99_ms:.0f} ms), "
            f"statuses {dict(self.statuses)}: {self.confirmed} confirmed, {self.waiting} "
            f"waiting, arrival order kept: {self.arrival_order_kept}, duplicates: "
            f"{self.duplicates}; mails per person {dict(self.mails_per_person)} "
            f"(all delivered {self.mail_seconds:.1f}s after the burst); "
            f"{self.cancels} cancellations at once -> statuses {dict(self.cancel_statuses)}, "
            f"{self.promoted} promoted (in order: {self.promoted_in_order}), "
            f"{self.promotion_mails} promotion mails, {self.confirmed_after_cancels} confirmed; "
            f"failures: {len(self.failures)}"
        )


def _in_app(env: dict):
    """An app context on the burst's database, for setting up and checking."""
    from seminars import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "SECRET_KEY": env["SECRET_KEY"],
            "TESTING": True,
        }
    )
    return app.app_context()


def _create_seminar(env: dict, capacity: int, hybrid: bool = False) -> str:
    from datetime import UTC, datetime, timedelta

    from seminars.extensions import db
    from seminars.models import Organization, Seminar, SeminarMode, SeminarStatus

    with _in_app(env):
        starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        seminar = Seminar(
            slug="inflytande-och-halsa",
            title="Inflytande och hälsa med tillitsbaserad styrning?",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            capacity=capacity,
            mode=SeminarMode.HYBRID if hybrid else SeminarMode.ONSITE,
            online_capacity=None,
            status=SeminarStatus.PUBLISHED,
            venue_name="Aulan",
            organization=Organization(slug="ofr", name="OFR"),
        )
        db.session.add(seminar)
        db.session.commit()
        slug = seminar.slug
        db.session.remove()
        db.engine.dispose()
    return slug


def _wait_for_mail(sink: MailSink, expected: int, env: dict, seconds: float = 180) -> float:
    """Seconds until the outbox is empty and the sink holds `expected` mails."""
    from sqlalchemy import func, select

    from seminars.extensions import db
    from seminars.models import OutboxMessage, OutboxStatus

    began = time.monotonic()
    with _in_app(env):
        while time.monotonic() - began < seconds:
            unsent = db.session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
                )
            )
            db.session.rollback()
            if unsent == 0 and len(sink.received) >= expected:
                break
            time.sleep(0.2)
        db.engine.dispose()
    time.sleep(1.5)  # any duplicate a worker might still send would arrive now
    return time.monotonic() - began


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)] if ordered else 0.0


def run(
    database_url: str,
    *,
    signups: int = 500,
    capacity: int = 100,
    cancels: int = 20,
    processes: int = 4,
    threads: int = 8,
    hybrid: bool = False,
) -> BurstResult:
    from sqlalchemy import select

    from seminars import signup
    from seminars.extensions import db
    from seminars.models import OutboxMessage, Registration, Status

    workdir = Path(tempfile.mkdtemp(prefix="seminars-burst-"))
    sink = MailSink()
    sink.controller.start()
    services = start_services(database_url, sink.port, workdir)
    try:
        slug = _create_seminar(services.env, capacity, hybrid)
        form_path, post_path = f"/seminars/{slug}", f"/seminars/{slug}/register"
        jobs = [
            (
                f"person{n:04d}@example.org",
                form_path,
                post_path,
                {
                    "name": f"Person {n}",
                    "email": f"person{n:04d}@example.org",
                    "organization": "Vision",
                    **({"mode": "onsite"} if hybrid else {}),
                },
            )
            for n in range(signups)
        ]
        exchanges, failures, signup_seconds = fire_at_once(jobs, services.ports, processes, threads)
        mail_seconds = _wait_for_mail(sink, signups, services.env)
        mails_after_signup = sink.per_recipient()

        with _in_app(services.env):
            token_of = {e.person: sink.manage_tokens.get(e.person, "") for e in exchanges}
            registration_of = {
                person: signup.registration_for_token(token) for person, token in token_of.items()
            }
            rows = db.session.execute(
                select(
                    Registration.id,
                    Registration.email_key,
                    Registration.status,
                    Registration.mode,
                ).order_by(Registration.id)
            ).all()
            modes = Counter(r.mode for r in rows)
            confirmed = [r.id for r in rows if r.status == Status.CONFIRMED]
            waiting = [r.id for r in rows if r.status == Status.WAITING]
            id_of = {p: r.id for p, r in registration_of.items() if r is not None}
            # Whoever had their answer before another person's request left is ahead of them.
            answered = sorted((e.answered, id_of.get(e.person, 0)) for e in exchanges)
            arrival_order_kept = (
                bool(confirmed)
                and bool(waiting)
                and max(confirmed) < min(waiting)
                and all(
                    earlier_id < id_of.get(later.person, 0)
                    for later in exchanges
                    for answered_at, earlier_id in answered
                    if answered_at < later.sent
                )
            )
            duplicates = len(rows) - len({r.email_key for r in rows})
            cancelling = [
                (person, f"/r/{token_of[person]}/cancel", f"/r/{token_of[person]}/cancel", {})
                for person, registration in registration_of.items()
                if registration is not None and registration.status == Status.CONFIRMED
            ][:cancels]
            db.session.remove()
            db.engine.dispose()

        cancel_exchanges, cancel_failures, _ = fire_at_once(
            cancelling, services.ports, min(processes, max(len(cancelling), 1)), 2
        )
        failures += cancel_failures
        _wait_for_mail(sink, signups + 2 * cancels, services.env)

        with _in_app(services.env):
            after = db.session.execute(
                select(Registration.id, Registration.email_key, Registration.status).order_by(
                    Registration.id
                )
            ).all()
            still_waiting = {r.id for r in after if r.status == Status.WAITING}
            promoted = [i for i in waiting if i not in still_waiting]
            promotion_rows = db.session.execute(
                select(OutboxMessage.to_email).where(OutboxMessage.kind == "promoted")
            ).all()
            promoted_emails = {r.email_key for r in after if r.id in promoted}
            confirmed_after = sum(1 for r in after if r.status == Status.CONFIRMED)
            db.session.remove()
            db.engine.dispose()
        mails_now = sink.per_recipient()
        promotion_mails = sum(
            mails_now[email] - mails_after_signup[email] for email in promoted_emails
        )
        assert len(promotion_rows) == len(promoted)
        post_times = [(e.answered - e.sent) * 1000 for e in exchanges]
        return BurstResult(
            signups=signups,
            capacity=capacity,
            cancels=len(cancelling),
            statuses=Counter(e.status for e in exchanges),
            confirmed=len(confirmed),
            waiting=len(waiting),
            arrival_order_kept=arrival_order_kept,
            duplicates=duplicates,
            mails_per_person=Counter(mails_after_signup[job[0]] for job in jobs),
            signup_seconds=signup_seconds,
            signup_p50_ms=statistics.median(post_times) if post_times else 0.0,
            signup_p99_ms=_percentile(post_times, 0.99),
            mail_seconds=mail_seconds,
            cancel_statuses=Counter(e.status for e in cancel_exchanges),
            promoted=len(promoted),
            promoted_in_order=promoted == waiting[: len(promoted)],
            promotion_mails=promotion_mails,
            confirmed_after_cancels=confirmed_after,
            failures=failures,
            hybrid=hybrid,
            modes=modes,
        )
    finally:
        services.stop()
        sink.controller.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=500)
    parser.add_argument("--capacity", type=int, default=100)
    parser.add_argument("--cancels", type=int, default=20)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="client threads per process")
    parser.add_argument("--hybrid", action="store_true", help="a hybrid seminar, all on site")
    options = parser.parse_args()

    import psycopg

    admin_url = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"seminars_burst_{secrets.token_hex(6)}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    database_url = f"{base}/{name}"
    try:
        result = run(
            database_url,
            signups=options.signups,
            capacity=options.capacity,
            cancels=options.cancels,
            processes=options.processes,
            threads=options.threads,
            hybrid=options.hybrid,
        )
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(result.summary())
    for failure in result.failures[:10]:
        print("failure:", failure)
    expected_ok = (
        result.statuses == Counter({200: options.signups})
        and result.confirmed == options.capacity
        and result.waiting == options.signups - options.capacity
        and result.arrival_order_kept
        and result.duplicates == 0
        and result.mails_per_person == Counter({1: options.signups})
        and result.promoted == result.cancels == options.cancels
        and result.promotion_mails == options.cancels
        and not result.failures
        and (not options.hybrid or result.modes == Counter({"onsite": options.signups}))
    )
    print("burst:", "OK" if expected_ok else "FAILED")
    return 0 if expected_ok else 1


if __name__ == "__main__":
    sys.exit(main())
