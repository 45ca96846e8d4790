"""The ceiling for bench/run: bare Flask endpoints that do the least the real pages must do.

`/hello` is a response and nothing else. `/form` + `/insert` is a signup stripped to its
bones, measured the same way as the real one: the form hands out a token kept in the signed
session cookie, the POST checks it and inserts one row into SQLite (WAL, the app's pragmas,
BEGIN IMMEDIATE) and redirects.
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

FORM = """<!doctype html><title>Anmälan</title>
<form method="post" action="/insert">
<input id="csrf_token" name="csrf_token" type="hidden" value="{token}">
<input name="name"><input name="email"><input name="organization"><button>Anmäl dig</button>
</form>"""

_connection: sqlite3.Connection | None = None
_connection_pid = 0


def connection() -> sqlite3.Connection:
    """One connection per worker process, opened after gunicorn forks."""
    global _connection, _connection_pid
    if _connection is None or _connection_pid != os.getpid():
        _connection = sqlite3.connect(DATABASE, isolation_level=None)
        _connection.execute("PRAGMA busy_timeout = 30000")
        _connection.execute("PRAGMA journal_mode = WAL")
        _connection.execute("PRAGMA synchronous = NORMAL")
        _connection.execute(
            "CREATE TABLE IF NOT EXISTS signup (id INTEGER PRIMARY KEY, name TEXT, "
            "email TEXT, organization TEXT)"
        )
        _connection_pid = os.getpid()
    return _connection


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
    database = connection()
    database.execute("BEGIN IMMEDIATE")
    database.execute(
        "INSERT INTO signup (name, email, organization) VALUES (?, ?, ?)",
        (request.form["name"], request.form["email"], request.form.get("organization", "")),
    )
    database.execute("COMMIT")
    return redirect("/form", 303)


def count_rows(path: str) -> int:
    with sqlite3.connect(path) as database:
        return database.execute("SELECT count(*) FROM signup").fetchone()[0]
