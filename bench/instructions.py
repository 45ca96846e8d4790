"""Instructions per complete signup (GET the seminar page, POST the form), in-process.

Wall-clock figures on a shared machine move ±20% from run to run; instruction counts from
`valgrind --tool=callgrind` do not, so a change to the signup path can be judged on one run.
Runs the loop twice (100 and 300 signups) under callgrind and reports the difference per
signup, which leaves out start-up. Needs valgrind. Usage: .venv/bin/python -m bench.instructions
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.web import ROOT, prepare_app_database

TOKEN = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


def signups(count: int) -> None:
    """The loop that callgrind counts: GET + POST `count` times through the WSGI app."""
    from werkzeug.test import EnvironBuilder

    from wsgi import app

    slug = os.environ["BENCH_SLUG"]

    def call(method: str, path: str, cookie: str | None, data: dict | None = None):
        headers = {"Cookie": cookie} if cookie else {}
        environ = EnvironBuilder(path=path, method=method, headers=headers, data=data).get_environ()
        answer = {}
        body = b"".join(app(environ, lambda status, headers, exc=None: answer.update(h=headers)))
        cookies = [value for name, value in answer["h"] if name == "Set-Cookie"]
        return body, cookies[0].split(";")[0] if cookies else cookie

    cookie = None
    for number in range(count):
        body, cookie = call("GET", f"/seminars/{slug}", cookie)
        person = {"name": f"Deltagare {number}", "email": f"d{count}-{number}@example.org"}
        data = {"csrf_token": TOKEN.search(body)[1].decode(), "organization": "OFR", **person}
        _, cookie = call("POST", f"/seminars/{slug}/register", cookie, data)


def counted(count: int, env: dict) -> int:
    with tempfile.TemporaryDirectory() as out:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}/callgrind.out",
            sys.executable,
            "-c",
            f"from bench.instructions import signups; signups({count})",
        ]
        log = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True).stderr
    return int(re.search(r"Collected : (\d+)", log)[1])


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="seminars-instructions-"))
    env = {
        **os.environ,
        "SECRET_KEY": secrets.token_hex(32),
        "INSTANCE_PATH": str(workdir),
        "DATABASE_URL": f"sqlite:///{workdir / 'app.sqlite3'}",
        "RATELIMIT_ENABLED": "0",
        "PYTHONPATH": str(ROOT),
    }
    env["BENCH_SLUG"] = prepare_app_database(env)
    few, many = counted(100, env), counted(300, env)
    print(f"{(many - few) / 200 / 1e6:.2f} M instructions per signup (GET + POST, in-process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
