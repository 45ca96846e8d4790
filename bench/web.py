"""Throughput of the real app against a bare-Flask ceiling, measured in one run with wrk.

Two gunicorn servers (2 sync workers each) on loopback, one with `wsgi:app` on a fresh
database holding the demo seminars, one with `bench/baseline.py`. Pairs measured back to
back, the same way:
  (a) bare `/hello`                    vs the public seminar page
  (b) bare form + insert               vs a complete signup (GET form, POST with CSRF), on the
                                          demo's largest seminar and on a hybrid copy of it
                                          (every other person on site, the others online)
The database is a SQLite file, or with `--database postgresql` a database of its own on the
server in PG_ADMIN_URL (created, and dropped afterwards), where the bare insert goes through
psycopg.
Usage: bench/run [--database sqlite|postgresql] [--seconds 10] [--rounds 1] [--connections 8]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent


@dataclass
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def gunicorn(app: str, port: int, env: dict, workers: int = 2) -> subprocess.Popen:
    # No worker recycling while measuring: it stalls the faster server more often (every
    # 5,000 requests), which would flatter the ratios.
    command = [str(BIN / "gunicorn"), app, "--workers", str(workers), "--max-requests", "0"]
    return subprocess.Popen(
        [*command, "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wrk(
    name: str, url: str, seconds: int, connections: int, script_args: list[str] | None = None
) -> Result:
    """One wrk run; a signup run uses one connection per thread (signup.lua keeps state)."""
    if script_args is None:
        command = ["wrk", "-t2", f"-c{connections}", "-s", str(BENCH / "report.lua")]
    else:
        threads = connections
        command = [f"-t{threads}", f"-c{threads}", "-s", str(BENCH / "signup.lua")]
        command = ["wrk", *command]
    command += [f"-d{seconds}s", "--timeout", "10s", url]
    if script_args:
        command += ["--", *script_args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    figures = json.loads(line.removeprefix("RESULT "))
    requests = figures["requests"]
    return Result(
        name=name,
        requests_per_second=requests / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=figures["status_errors"] + figures["socket_errors"],
        requests=requests,
    )


HYBRID_SLUG = "hybrid-bench"


def add_hybrid_seminar(slug: str) -> None:
    """A hybrid copy of the seminar `slug`: its seats on site, unlimited online."""
    from seminars import create_app
    from seminars.extensions import db
    from seminars.models import Question, Seminar, SeminarMode

    with create_app().app_context():
        largest = db.session.scalars(db.select(Seminar).where(Seminar.slug == slug)).one()
        copy = Seminar(
            slug=HYBRID_SLUG,
            mode=SeminarMode.HYBRID,
            online_capacity=None,
            online_link="https://zoom.example.org/j/1",
            questions=[
                Question(position=q.position, text=q.text, kind=q.kind, choices=q.choices)
                for q in largest.questions
            ],
            **{
                name: getattr(largest, name)
                for name in (
                    "organization_id",
                    "title",
                    "starts_at",
                    "ends_at",
                    "venue_name",
                    "capacity",
                    "status",
                )
            },
        )
        db.session.add(copy)
        db.session.commit()


def prepare_app_database(env: dict) -> str:
    """Migrate a fresh database, load the demo seminars and a hybrid copy of the largest
    (HYBRID_SLUG); returns the slug of the largest plain seminar (on site, no parallel
    sessions), the one the signup figures have always measured."""
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seminars", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    query = (
        "from seminars import create_app; from seminars.models import Seminar, SessionGroup; "
        "from seminars.extensions import db; app = create_app(); app.app_context().push(); "
        "plain = db.select(Seminar).where(Seminar.mode == 'onsite', "
        "~db.exists().where(SessionGroup.seminar_id == Seminar.id)); "
        "s = db.session.scalars(plain.order_by(Seminar.capacity.desc())).first(); "
        "print(s.slug)"
    )
    slug = subprocess.run(
        [sys.executable, "-c", query], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    # After the largest is known: the copy is as large.
    add = f"from bench.web import add_hybrid_seminar; add_hybrid_seminar({slug!r})"
    subprocess.run([sys.executable, "-c", add], cwd=ROOT, env=env, check=True, capture_output=True)
    return slug


def count_signups(env: dict, slug: str) -> int:
    query = (
        "from seminars import create_app; from seminars.models import Registration, Seminar; "
        "from seminars.extensions import db; app = create_app(); app.app_context().push(); "
        "print(db.session.scalar(db.select(db.func.count(Registration.id)).join(Seminar)"
        f".where(Seminar.slug == {slug!r})))"
    )
    output = subprocess.run(
        [sys.executable, "-c", query], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return int(output.strip())


def table(results: dict[str, Result], pairs: list[tuple[str, str]]) -> str:
    lines = [
        "| endpoint | requests/s | median ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for result in results.values():
        lines.append(
            f"| {result.name} | {result.requests_per_second:,.0f} | {result.p50_ms:.1f} "
            f"| {result.p99_ms:.1f} | {result.errors} |"
        )
    lines.append("")
    for app_name, ceiling_name in pairs:
        ratio = results[app_name].requests_per_second / results[ceiling_name].requests_per_second
        lines.append(f"- {app_name} / {ceiling_name}: {ratio:.0%} (goal ≥ 40%)")
    return "\n".join(lines)


def median_result(runs: list[Result]) -> Result:
    middle = sorted(runs, key=lambda r: r.requests_per_second)[len(runs) // 2]
    return Result(
        name=middle.name,
        requests_per_second=statistics.median(r.requests_per_second for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(r.errors for r in runs),
        requests=sum(r.requests for r in runs),
    )


def measure(env: dict, slug: str, options: argparse.Namespace) -> dict[str, list[Result]]:
    """Every measurement `options.rounds` times, with both servers up (warmed up first)."""
    app_port, baseline_port = free_port(), free_port()
    servers = [
        gunicorn("wsgi:app", app_port, env),
        gunicorn("bench.baseline:app", baseline_port, env),
    ]
    try:
        app_url, baseline_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{baseline_port}"
        wait_until_up(app_url + "/healthz")
        wait_until_up(baseline_url + "/healthz")
        page, register = f"/seminars/{slug}", f"/seminars/{slug}/register"
        hybrid_page = f"/seminars/{HYBRID_SLUG}"
        measurements = {
            "bare hello": (baseline_url + "/hello", None),
            "seminar page": (app_url + page, None),
            "bare form + insert": (baseline_url + "/form", ["/form", "/insert"]),
            "signup (GET form + POST)": (app_url + page, [page, register]),
            "hybrid signup (GET form + POST)": (
                app_url + hybrid_page,
                [hybrid_page, f"{hybrid_page}/register", "modes"],
            ),
        }

        def tagged(script_args, tag):
            return script_args and [*script_args[:2], tag, *script_args[2:]]

        for name, (url, script_args) in measurements.items():  # warm every worker up
            wrk(name, url, 2, options.connections, tagged(script_args, "warmup"))
        runs: dict[str, list[Result]] = {name: [] for name in measurements}
        for round_number in range(options.rounds):
            for name, (url, script_args) in measurements.items():
                arguments = tagged(script_args, f"r{round_number}")
                runs[name].append(wrk(name, url, options.seconds, options.connections, arguments))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    return runs


@contextmanager
def database_urls(database: str, workdir: Path) -> Iterator[dict[str, str]]:
    """The app's DATABASE_URL and the baseline's database: SQLite files in `workdir`, or one
    new database on the PostgreSQL server for both (dropped afterwards)."""
    if database == "sqlite":
        yield {
            "DATABASE_URL": f"sqlite:///{workdir / 'app.sqlite3'}",
            "BASELINE_DATABASE": str(workdir / "baseline.sqlite3"),
        }
        return
    import psycopg

    admin_url = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"seminars_bench_{secrets.token_hex(6)}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    try:
        yield {
            "DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://", 1),
            "BASELINE_DATABASE_URL": url,
        }
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=10, help="per measurement")
    parser.add_argument("--rounds", type=int, default=1, help="report the median of rounds")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/run needs wrk: apt-get install -y wrk", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="seminars-bench-"))
    with database_urls(options.database, workdir) as urls:
        env = {
            **os.environ,
            **urls,
            "SECRET_KEY": secrets.token_hex(32),
            "INSTANCE_PATH": str(workdir),
            "RATELIMIT_ENABLED": "0",  # every request comes from 127.0.0.1
            "GUNICORN_ACCESS_LOG": "off",
            "PYTHONPATH": str(ROOT),
        }
        slug = prepare_app_database(env)
        runs = measure(env, slug, options)
        from bench.baseline import count_rows

        inserted = count_rows(urls.get("BASELINE_DATABASE_URL") or urls["BASELINE_DATABASE"])
        registered = count_signups(env, slug)
        registered_hybrid = count_signups(env, HYBRID_SLUG)
    shutil.rmtree(workdir, ignore_errors=True)

    results = {name: median_result(found) for name, found in runs.items()}
    signups = ("bare form + insert", "signup (GET form + POST)", "hybrid signup (GET form + POST)")
    for name in signups:
        # Two requests per signup: report signups per second, latency per request.
        results[name].requests_per_second /= 2
    pairs = [
        ("seminar page", "bare hello"),
        ("signup (GET form + POST)", "bare form + insert"),
        ("hybrid signup (GET form + POST)", "bare form + insert"),
    ]
    print(
        f"{options.database}: wrk, {options.connections} connections, {options.seconds}s x "
        f"{options.rounds} round(s), gunicorn 2 sync workers each, {os.cpu_count()} CPUs "
        "(shared, noisy)\n"
        f"signup rows are signups/s (GET + POST); latency is per request.\n"
    )
    print(table(results, pairs))
    print(
        f"\nrows written: bare {inserted}, registrations {registered}, "
        f"hybrid registrations {registered_hybrid}"
    )
    if options.json:
        options.json.write_text(json.dumps({k: vars(v) for k, v in results.items()}, indent=2))
    return 1 if any(result.errors for result in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
