"""The ceiling for bench/run: bare Flask endpoints that do the least the real pages must do.

`/hello` is a response and nothing else. `/form` + `/insert` is a signup stripped to its
bones, measured the same way as the real one: the form hands out a token kept in the signed
session cookie, the POST checks it, inserts one row in a transaction of its own and
redirects. The row goes to SQLite (WAL, the app's pragmas, BEGIN IMMEDIATE), or, with
BASELINE_DATABASE_URL set, to PostgreSQL through psycopg (BEGIN, INSERT, COMMIT).
"""

from __future__ import annotations

import hmac
import os
import secrets
import sqlite3

from flask import Flask, abort, redirect, request, session

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "baseline")
DATABASE = os.environ.get("BASELINE_DATABASE", "baseline.sqlite3")
DATABASE_URL = os.environ.get("BASELINE_DATABASE_URL", "")  # postgresql://…, else SQLite

FORM = """<!doctype html><title>Anmälan</title>
<form method="post" action="/insert">
<input id="csrf_token" name="csrf_token" type="hidden" value="{token}">
<input name="name"><input name="email"><input name="organization"><button>Anmäl dig</button>
</form>"""
TABLE = (
    "CREATE TABLE IF NOT EXISTS baseline_signup (id {key}, name TEXT, email TEXT, "
    "organization TEXT)"
)

_connection = None
_connection_pid = 0


def connection():
    """One connection per worker process, opened after gunicorn forks."""
    global _connection, _connection_pid
    if _connection is None or _connection_pid != os.getpid():
        _connection = _postgresql() if DATABASE_URL else _sqlite()
        _connection_pid = os.getpid()
    return _connection


def _sqlite() -> sqlite3.Connection:
    database = sqlite3.connect(DATABASE, isolation_level=None)
    database.execute("PRAGMA busy_timeout = 30000")
    database.execute("PRAGMA journal_mode = WAL")
    database.execute("PRAGMA synchronous = NORMAL")
    database.execute(TABLE.format(key="INTEGER PRIMARY KEY"))
    return database


def _postgresql():
    import psycopg

    database = psycopg.connect(DATABASE_URL, autocommit=True)
    database.execute(TABLE.format(key="SERIAL PRIMARY KEY"))
    database.autocommit = False
    return database


@app.get("/hello")
def hello():
    return "Hello"


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/form")
def form():
    session["token"] = token = secrets.token_urlsafe(32)
    return FORM.format(token=token)


@app.post("/insert")
def insert():
    if not hmac.compare_digest(request.form.get("csrf_token", ""), session.get("token", "")):
        abort(400)
    row = (request.form["name"], request.form["email"], request.form.get("organization", ""))
    database = connection()
    if DATABASE_URL:
        database.execute(
            "INSERT INTO baseline_signup (name, email, organization) VALUES (%s, %s, %s)", row
        )
        database.commit()
    else:
        database.execute("BEGIN IMMEDIATE")
        database.execute(
            "INSERT INTO baseline_signup (name, email, organization) VALUES (?, ?, ?)", row
        )
        database.execute("COMMIT")
    return redirect("/form", 303)


def count_rows(path_or_url: str) -> int:
    query = "SELECT count(*) FROM baseline_signup"
    if path_or_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(path_or_url) as database:
            return database.execute(query).fetchone()[0]
    with sqlite3.connect(path_or_url) as database:
        return database.execute(query).fetchone()[0]
