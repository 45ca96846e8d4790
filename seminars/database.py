"""Engine settings that make SQLite safe for several processes writing at once.

Every SQLite transaction begins IMMEDIATE: it takes the write lock up front and waits for
it (busy timeout) instead of failing half-way when two processes read, then both write.
WAL lets readers go on while one process writes; connections marked READ_ONLY (exports,
the public pages' request hook, `reading()`) begin DEFERRED, so a read never holds the
write lock.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from seminars.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000


def init_app(app: Flask) -> None:
    """SQLite's connection settings and BEGIN IMMEDIATE, on this app's engine only."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin_immediate)


def _sqlite_on_connect(dbapi_connection, connection_record):
    # Hand transaction control to SQLAlchemy's "begin" event below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


# Execution option for connections that only read: on SQLite they begin DEFERRED and read a
# WAL snapshot without the write lock (exports stream for as long as a download takes).
READ_ONLY = "seminars_read_only"


def _sqlite_begin_immediate(connection):
    read_only = connection.get_execution_options().get(READ_ONLY)
    # Straight to the driver: every transaction begins here, and exec_driver_sql's
    # execution context costs more than the BEGIN itself.
    connection.connection.driver_connection.execute(
        "BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE"
    )


def configure_engine(config: dict) -> None:
    """Engine options by database: a server can drop an idle connection (a PostgreSQL
    restart, a proxy's timeout), so check each one before use; a SQLite file cannot."""
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            **config["SQLALCHEMY_ENGINE_OPTIONS"],
        }


def begin_for_reading() -> None:
    """Begin the session's next transaction as a reader (READ_ONLY). With several gunicorn
    workers, a page view that took SQLite's write lock queued behind every other page view
    and signup. A write later in such a transaction still works, it only no longer waits
    its turn up front. No effect on PostgreSQL, or once the session's transaction has begun.

    Called by the public pages' request hook for GET; elsewhere use `reading()`.
    """
    if db.session().in_transaction() or db.engine.dialect.name != "sqlite":
        return
    db.session.connection(execution_options={READ_ONLY: True})


@contextmanager
def reading() -> Iterator[None]:
    """The session's reads inside the block, as a reader (see `begin_for_reading`), in a
    transaction that ends with the block: a signup's form is checked and a page re-shown
    without holding SQLite's write lock, and without a read still open during the write.

    For reads only. Objects read inside are expired at the end, as after any transaction;
    a transaction the caller had begun already is theirs, and goes on.
    """
    session = db.session()
    if session.in_transaction():
        yield
        return
    begin_for_reading()
    try:
        yield
    finally:
        session.rollback()


def render_migration_type(kind, obj, autogen_context):
    """Migrations store UTCDateTime as the plain DateTime it is in the database."""
    from seminars.models import UTCDateTime

    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False
