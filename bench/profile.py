"""Profile the seminar page and a complete signup in-process with pyinstrument.

Usage: .venv/bin/python -m bench.profile [--requests 200] [--html profile.html]
Prints CPU milliseconds per request and the call tree of the seminar page and the signup.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSRF_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--html", type=Path, help="also write an HTML call tree per scenario")
    options = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="seminars-profile-")
    os.environ.update(
        SECRET_KEY=secrets.token_hex(32),
        INSTANCE_PATH=workdir,
        DATABASE_URL=f"sqlite:///{workdir}/profile.sqlite3",
        RATELIMIT_ENABLED="0",
    )
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seminars", "demo"]):
        subprocess.run([*flask, *command], cwd=ROOT, check=True, capture_output=True)

    from pyinstrument import Profiler
    from sqlalchemy import select

    from seminars import create_app
    from seminars.extensions import db
    from seminars.models import Seminar

    app = create_app()
    with app.app_context():
        biggest = select(Seminar).order_by(Seminar.capacity.desc())
        slug = db.session.scalars(biggest).first().slug
    client = app.test_client()
    page = f"/seminars/{slug}"
    people = iter(range(10**9))

    def view_page() -> None:
        assert client.get(page).status_code == 200

    def sign_up() -> None:
        token = CSRF_TOKEN.search(client.get(page).text).group(1)
        n = next(people)
        form = {"csrf_token": token, "name": f"Person {n}", "email": f"p{n}@example.org"}
        assert client.post(page + "/register", data=form).status_code == 200

    for name, scenario in (("seminar page", view_page), ("signup (GET + POST)", sign_up)):
        for _ in range(20):
            scenario()
        started = time.process_time()
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(options.requests):
            scenario()
        profiler.stop()
        cpu_ms = (time.process_time() - started) / options.requests * 1000
        print(f"== {name}: {cpu_ms:.1f} ms CPU each (with the profiler running)")
        print(profiler.output_text(unicode=True, color=False))
        if options.html:
            suffix = name.split()[0]
            options.html.with_name(f"{options.html.stem}-{suffix}.html").write_text(
                profiler.output_html()
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
