"""Delivering the outbox: claim → send → mark.

A pass claims a batch of due rows under a short lease and commits the claim before any SMTP
traffic, so no database transaction is held open while a mail server answers slowly. The
lease is renewed while the batch is sent; a worker that dies mid-batch stops renewing it,
and its rows go back in line within `LEASE` (DESIGN guarantee 3: at most a minute). Each row
is rendered just before sending and marked sent as soon as the server accepted it, before
the next mail can be accepted. The batches of a pass share one SMTP connection. A server
that refuses an address for good (5xx) makes the row undeliverable at once; other failures
are retried with growing back-off, and an unreachable server only delays mail.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import Connection, Dialect, Engine, select, update
from sqlalchemy.exc import SQLAlchemyError

from seminars import database
from seminars.extensions import db
from seminars.mail import bounces, context, message, smtp
from seminars.mail.render import (
    Batch,
    NotSendable,
    render,  # noqa: F401  (callers use delivery.render)
    render_loaded,
)
from seminars.models import OutboxMessage, OutboxStatus, Registration, Seminar, utcnow

logger = logging.getLogger(__name__)
# A claim not renewed for this long belongs to a worker that died mid-batch.
LEASE = timedelta(seconds=30)
RETRY_FIRST = timedelta(seconds=30)
RETRY_LONGEST = timedelta(hours=1)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    missed: int = 0

    def add(self, other: DeliveryReport) -> None:
        for name in ("claimed", "sent", "retrying", "failed", "missed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def count(self, status: OutboxStatus) -> None:
        if status == OutboxStatus.FAILED:
            self.failed += 1
        elif status == OutboxStatus.MISSED:
            self.missed += 1
        else:
            self.retrying += 1


@dataclass
class Ready:
    """A rendered email of the batch, waiting for its turn on the SMTP connection."""

    row_id: int
    attempts: int
    recipient: str
    subject: str
    email: message.Email
    envelope_sender: str


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … up to an hour between tries."""
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_LONGEST)


def release_stale_claims(now: datetime) -> int:
    """Put rows whose lease ran out (their worker stopped mid-batch) back in line."""
    return db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at < now - LEASE,
        )
        .values(status=OutboxStatus.PENDING, claimed_at=None, claimed_by=None),
        execution_options={"synchronize_session": False},
    ).rowcount


def claim_batch(now: datetime, limit: int, claimant: str | None = None) -> list[int]:
    """Mark up to `limit` due rows as being sent by `claimant`; returns their ids.

    The rows are chosen and locked first, then marked, in one transaction. On PostgreSQL,
    rows another worker is claiming at this moment are skipped rather than waited for; SQLite
    transactions are serialised (BEGIN IMMEDIATE), which does the same. (One statement,
    UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED), can claim more than n
    rows on PostgreSQL: the planner may run the subquery more than once.)
    """
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    row_ids = list(db.session.scalars(due))
    if not row_ids:
        return []
    outbox = OutboxMessage.__table__
    db.session.execute(
        update(outbox)
        .where(outbox.c.id.in_(row_ids))
        .values(
            status=OutboxStatus.SENDING,
            claimed_at=utcnow(),
            claimed_by=claimant or secrets.token_hex(8),
        )
    )
    return sorted(row_ids)


def renew_lease(connection: Connection, claimant: str) -> None:
    """Keep this worker's claimed rows its own for another `LEASE`."""
    outbox = OutboxMessage.__table__
    with connection.begin():
        connection.execute(
            update(outbox)
            .where(outbox.c.claimed_by == claimant, outbox.c.status == OutboxStatus.SENDING)
            .values(claimed_at=utcnow())
        )


@contextmanager
def _lease_kept(engine: Engine, claimant: str) -> Iterator[None]:
    """Renew the lease every third of it, from a thread of its own, while the batch is sent:
    a slow mail server delays the renewal of nothing, and a dead process renews nothing."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(LEASE.total_seconds() / 3):
            try:
                with engine.connect() as connection:
                    renew_lease(connection, claimant)
            except SQLAlchemyError as error:  # tried again a third of a lease later
                logger.warning("renewing the outbox lease failed: %s", error)

    renewer = threading.Thread(target=renew, name=f"lease-{claimant}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()


@contextmanager
def _marking() -> Iterator[Connection]:
    """The connection a batch records each row's outcome on, one commit per row.

    Held for the whole batch (no pool checkout per mail). On PostgreSQL each UPDATE commits
    by itself (autocommit: one round trip a mail) and does not wait for its WAL flush: only
    a crash of the database server can lose such a commit, and then the mail is sent again,
    as when a worker dies between the server's accept and the commit.
    """
    with db.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            yield connection
            return
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        _session_setting(connection, "SET synchronous_commit = off")
        try:
            yield connection
        finally:
            if not connection.invalidated:
                _session_setting(connection, "RESET synchronous_commit")


def _session_setting(connection: Connection, statement: str) -> None:
    with connection.begin():  # a no-op transaction in autocommit; it closes SQLAlchemy's own
        connection.exec_driver_sql(statement)


@cache
def _sent_sql(dialect: Dialect) -> tuple[str, Callable | None]:
    """Marking a row sent, as the driver takes it, and how `sent_at` is passed to it: it runs
    once per mail, and SQLAlchemy's execution of a statement cost more than the UPDATE."""
    outbox = OutboxMessage.__table__
    hole = "%({})s" if dialect.paramstyle == "pyformat" else ":{}"
    sql = (
        f"UPDATE {outbox.name} SET status = '{OutboxStatus.SENT}', "
        f"sent_at = {hole.format('sent_at')}, subject = {hole.format('subject')}, "
        "last_error = '', claimed_at = NULL, claimed_by = NULL "
        f"WHERE id = {hole.format('row_id')}"
    )
    return sql, outbox.c.sent_at.type.bind_processor(dialect)


def _set(marks: Connection, row_id: int, **values) -> None:
    """Record one row's outcome, committed at once."""
    outbox = OutboxMessage.__table__
    with marks.begin():
        marks.execute(update(outbox).where(outbox.c.id == row_id).values(**values))


def _record_failure(
    marks: Connection,
    report: DeliveryReport,
    row: tuple[int, int],
    error: BaseException,
    now: datetime,
    *,
    transport: bool,
) -> None:
    """One more failed try of `row` (id, attempts so far), recorded and counted. Only a
    message the server itself refuses can end up failed: an unreachable server delays mail,
    never drops it."""
    row_id, attempts = row[0], row[1] + 1
    gave_up = not transport and attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    status = OutboxStatus.FAILED if gave_up else OutboxStatus.PENDING
    _set(
        marks,
        row_id,
        status=status,
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}"[:1000],
        next_attempt_at=now + retry_delay(attempts),
        claimed_at=None,
        claimed_by=None,
    )
    report.count(status)


def _record_refusal(
    marks: Connection, report: DeliveryReport, ready: Ready, error: BaseException
) -> None:
    """The server refused this address for good: undeliverable now, not after retries."""
    bounces.mark_undeliverable(
        marks, ready.row_id, f"{type(error).__name__}: {error}", attempts=ready.attempts + 1
    )
    report.count(OutboxStatus.FAILED)


# An outbox row with its seminar and registration, None when it has none.
Loaded = tuple[OutboxMessage, Seminar | None, Registration | None]


def _load_batch(row_ids: list[int]) -> list[Loaded]:
    """The batch's rows, each with its seminar and registration, in three queries instead
    of two per row."""
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(row_ids)).order_by(OutboxMessage.id)
    ).all()
    registration_ids = {row.registration_id for row in rows if row.registration_id}
    seminar_ids = {row.seminar_id for row in rows if row.seminar_id}
    registrations = {
        registration.id: registration
        for registration in db.session.scalars(
            select(Registration).where(Registration.id.in_(registration_ids))
        )
    }
    seminars = {
        seminar.id: seminar
        for seminar in db.session.scalars(select(Seminar).where(Seminar.id.in_(seminar_ids)))
    }
    return [
        (row, seminars.get(row.seminar_id), registrations.get(row.registration_id)) for row in rows
    ]


def _prepare(loaded: Loaded, now: datetime, batch: Batch) -> Ready:
    row = loaded[0]
    email = render_loaded(*loaded, now=now, batch=batch)
    try:
        recipient = email.envelope_recipient
    except message.NeedsSMTPUTF8 as error:
        raise NotSendable("the address needs SMTPUTF8", OutboxStatus.FAILED) from error
    return Ready(
        row.id,
        row.attempts,
        recipient,
        message.header_text(email.subject)[:300],
        email,
        bounces.envelope_sender(row.id, batch.sender),
    )


def _render_batch(
    row_ids: list[int], now: datetime, report: DeliveryReport, marks: Connection, batch: Batch
) -> list[Ready]:
    database.begin_for_reading()  # rendering a batch takes a while: signups must not wait
    ready, problems = [], []
    with context.rendering():
        for loaded in _load_batch(row_ids):
            row = loaded[0]
            try:
                ready.append(_prepare(loaded, now, batch))
            except NotSendable as reason:
                problems.append((row.id, row.attempts, reason))
            except Exception as error:  # a template or data problem: retried, then failed
                current_app.logger.exception("rendering outbox row %s failed", row.id)
                problems.append((row.id, row.attempts, error))
    # End the read before any SMTP traffic: on SQLite nobody waits for it, and no
    # transaction is open while a mail server takes its time.
    db.session.commit()
    for row_id, attempts, problem in problems:
        if isinstance(problem, NotSendable):
            _set(
                marks,
                row_id,
                status=problem.status,
                last_error=str(problem),
                claimed_at=None,
                claimed_by=None,
            )
            report.count(problem.status)
        else:
            _record_failure(marks, report, (row_id, attempts), problem, now, transport=False)
    return ready


class Run:
    """What the batches of one worker pass share: each audience's rendered text (`batch`)
    and the SMTP connection, opened when first needed and kept until `close`."""

    def __init__(self) -> None:
        self.batch = Batch()
        self.connection = smtp.Connection(smtp.Settings.from_app())

    def close(self) -> None:
        self.connection.close()


def deliver_pending(
    *, now: datetime | None = None, batch_size: int | None = None, run: Run | None = None
) -> DeliveryReport:
    """Send one batch of due outbox rows; returns what happened to them. The batches of one
    worker pass can share a `run`; without one, the batch has its own."""
    if run is None:
        run = Run()
        try:
            return deliver_pending(now=now, batch_size=batch_size, run=run)
        finally:
            run.close()
    now = now or utcnow()
    report = DeliveryReport()
    release_stale_claims(now)
    claimant = secrets.token_hex(8)
    row_ids = claim_batch(now, batch_size or current_app.config["OUTBOX_BATCH_SIZE"], claimant)
    db.session.commit()  # the claim is ours before the first SMTP byte
    report.claimed = len(row_ids)
    if not row_ids:
        return report
    with _lease_kept(db.engine, claimant), _marking() as marks:
        ready = _render_batch(row_ids, now, report, marks, run.batch)
        if ready:
            _send_batch(ready, now, report, marks, run.connection)
    return report


class _Contents:
    """The batch's MIME messages, each built once when first asked for."""

    def __init__(self, ready: list[Ready]):
        self.ready = ready
        self.built: dict[int, bytes | Exception] = {}

    def get(self, index: int) -> bytes | Exception | None:
        if index >= len(self.ready):
            return None
        if index not in self.built:
            self.built.pop(index - 2, None)  # sent: not needed again
            try:
                self.built[index] = message.as_bytes(self.ready[index].email)
            except Exception as error:  # recorded against its row, like a rendering problem
                self.built[index] = error
        return self.built[index]


def _send_batch(
    ready: list[Ready],
    now: datetime,
    report: DeliveryReport,
    marks: Connection,
    connection: smtp.Connection,
) -> None:
    """Send over the run's SMTP connection; each row is marked as soon as the server
    accepted it.

    The worker's own work for a mail is done while the server reads the previous command:
    the row of the mail just accepted is marked while the server reads the next MAIL FROM
    (and RCPT TO, on PostgreSQL, see `_Marker`), and the next MIME message is built while it
    reads this one's body. The next mail's DATA waits for that mark, so a worker that dies
    leaves at most one mail accepted but not marked: the one in flight.
    """
    try:
        connection.opened()
    except (smtplib.SMTPException, OSError) as error:
        for item in ready:
            _record_failure(marks, report, (item.row_id, item.attempts), error, now, transport=True)
        return
    marker, contents = _Marker(marks), _Contents(ready)
    try:
        for index, item in enumerate(ready):
            if not _send_one(connection, item, (contents, index), now, report, marker):
                _put_back(ready[index + 1 :], report, marker.settled())
                return
    except BaseException:
        connection.drop()  # a command may be waiting for its answer: not for the next batch
        raise
    finally:
        marker.close()


class _Marker:
    """The accepted row not yet marked sent; every use of the marks connection marks it
    first (`settled`).

    On PostgreSQL the mark is a round trip to the database server: `begin` sends it from a
    second thread, so it overlaps the next mail's MAIL FROM and RCPT TO. SQLite's mark is
    work in this process, done at once.
    """

    def __init__(self, marks: Connection):
        self.marks = marks
        self.pending: Ready | None = None
        self.marking: Future | None = None
        self.thread = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="mark")
            if marks.dialect.name == "postgresql"
            else None
        )

    def begin(self) -> None:
        """Start marking the accepted row."""
        if self.thread is None:
            self.settled()
        elif self.pending is not None and self.marking is None:
            item, self.pending = self.pending, None
            self.marking = self.thread.submit(_mark_sent, self.marks, item)

    def settled(self) -> Connection:
        """The marks connection, once the last accepted row is marked sent."""
        if self.marking is not None:
            marking, self.marking = self.marking, None
            marking.result()
        if self.pending is not None:
            item, self.pending = self.pending, None
            _mark_sent(self.marks, item)
        return self.marks

    def sent(self, item: Ready) -> None:
        self.settled()
        self.pending = item

    def close(self) -> None:
        try:
            self.settled()
        finally:
            if self.thread is not None:
                self.thread.shutdown()


def _mark_sent(marks: Connection, item: Ready) -> None:
    """Record that the server accepted `item`, committed at once, straight on the driver's
    connection (the marks connection is in no transaction between two rows' marks)."""
    sql, convert = _sent_sql(marks.dialect)
    sent_at = utcnow()
    values = {
        "row_id": item.row_id,
        "sent_at": convert(sent_at) if convert else sent_at,
        "subject": item.subject,
    }
    driver = marks.connection.driver_connection
    if marks.dialect.name == "postgresql":
        driver.execute(sql, values)  # autocommit (`_marking`)
        return
    driver.execute("BEGIN IMMEDIATE")  # as every SQLite transaction here (database.py)
    try:
        driver.execute(sql, values)
    except BaseException:
        driver.rollback()
        raise
    driver.commit()


def _put_back(untried: list[Ready], report: DeliveryReport, marks: Connection) -> None:
    """The connection is gone: the rest of the batch waits for the next pass."""
    for item in untried:
        _set(marks, item.row_id, status=OutboxStatus.PENDING, claimed_at=None, claimed_by=None)
        report.retrying += 1


def _send_one(
    connection: smtp.Connection,
    item: Ready,
    place: tuple[_Contents, int],
    now: datetime,
    report: DeliveryReport,
    marker: _Marker,
) -> bool:
    """Send one email and record what became of it; False when the connection is lost."""
    contents, index = place
    content = contents.get(index)
    if isinstance(content, Exception):
        current_app.logger.error("building outbox row %s failed: %s", item.row_id, content)
        failure = (item.row_id, item.attempts)
        _record_failure(marker.settled(), report, failure, content, now, transport=False)
        return True
    try:
        # The previous mail is marked before this one can be accepted.
        connection.envelope(item.envelope_sender, item.recipient, len(content), marker.begin)
        marker.settled()
        connection.data(content, lambda: contents.get(index + 1))
    except (smtplib.SMTPException, OSError) as error:
        return _record_send_error(connection, item, error, now, report, marker.settled())
    marker.sent(item)
    report.sent += 1
    return True


def _record_send_error(
    connection: smtp.Connection,
    item: Ready,
    error: BaseException,
    now: datetime,
    report: DeliveryReport,
    marks: Connection,
) -> bool:
    if smtp.connection_lost(error):
        connection.drop()
        _record_failure(marks, report, (item.row_id, item.attempts), error, now, transport=True)
        return False
    if smtp.permanent_refusal(error):
        _record_refusal(marks, report, item, error)
    else:
        _record_failure(marks, report, (item.row_id, item.attempts), error, now, transport=False)
    return True
