"""How fast and how lean the CSV and XLSX exports are, at 1,000 and 10,000 registrations.

For each size: a fresh SQLite file with one seminar (three custom questions) and that many
registrations; then the real exports (`seminars.exports`, reading the database) and, as a
baseline in the same run, the plainest way to write the same rows: `csv.writer` into memory,
and openpyxl's write-only mode with plain values, both over tuples already in memory.

Time is measured without tracemalloc (it slows Python down), as the best of a few runs, both
wall-clock and CPU time of this process (the CPU figure is steadier on a shared machine); peak
memory in one more run with tracemalloc. Goals (issue 5): CSV <= 0.5 s and XLSX <= 2 s at
10,000; memory roughly flat from 1,000 to 10,000.

Usage: .venv/bin/python bench/exports.py [--sizes 1000 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import secrets
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import insert

from seminars import create_app  # noqa: E402
from seminars.exports import lists as exports  # noqa: E402
from seminars.extensions import db  # noqa: E402
from seminars.models import (
    Organization,
    Question,
    QuestionKind,
    Registration,
    Seminar,
    SeminarStatus,
    Status,
)

FIRST = ["Karl-Johan", "Åsa", "Örjan", "Anna-Karin", "Mohammed", "Li", "Eva", "Per-Olof"]
LAST = ["Ögren-Wästerberg", "Lindqvist", "Al-Haddad", "Sjöström", "Ek", "von Schwerin"]
ORGANISATIONS = ["Malmö universitet", "Försäkringskassan", "Vision", "+46 40 123 45 67", ""]
DIETS = ["Ingen särskild", "Vegetarisk", "Vegansk", "Glutenfri"]


def populate(size: int) -> Seminar:
    organization = Organization(slug="bench", name="Bench")
    starts = datetime(2026, 5, 20, 11, tzinfo=UTC)
    seminar = Seminar(
        slug=f"bench-{size}",
        title="Styrning och ledarskap i offentlig sektor – ett uppdrag om tillit",
        organization=organization,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        capacity=size,
        status=SeminarStatus.PUBLISHED,
        questions=[
            Question(position=0, text="Kost", kind=QuestionKind.CHOICE, choices="\n".join(DIETS)),
            Question(position=1, text="Fika?", kind=QuestionKind.YES_NO),
            Question(position=2, text="Tillgänglighet", kind=QuestionKind.LONG_TEXT),
        ],
    )
    db.session.add(seminar)
    db.session.commit()
    diet, fika, access = (str(q.id) for q in seminar.questions)
    registered = datetime(2026, 3, 1, 8, tzinfo=UTC)
    rows = []
    for number in range(size):
        email = f"person{number}@example.org"
        name = f"{FIRST[number % len(FIRST)]} {LAST[number % len(LAST)]}"
        if number % 97 == 0:
            name = '=HYPERLINK("http://x","y")'
        rows.append(
            {
                "seminar_id": seminar.id,
                "name": name,
                "email": email,
                "email_key": email,
                "organization": ORGANISATIONS[number % len(ORGANISATIONS)],
                "answers": {
                    diet: DIETS[number % len(DIETS)],
                    fika: "yes" if number % 3 else "no",
                    access: "Hörslinga\nnära scenen" if number % 11 == 0 else "",
                },
                "status": Status.CONFIRMED,
                "language": "sv",
                "token_salt": secrets.token_hex(16),
                "token_hash": secrets.token_hex(32),
                "created_at": registered + timedelta(minutes=number),
                "updated_at": registered + timedelta(minutes=number),
                "checked_in_at": starts if number % 2 else None,
                "added_by_organizer": False,
            }
        )
    db.session.execute(insert(Registration), rows)
    db.session.commit()
    return seminar


def export_csv(seminar: Seminar) -> int:
    """The real CSV export, consumed the way a download consumes it."""
    table = exports.registrations_table(db.session, seminar, "confirmed")
    return sum(len(chunk) for chunk in exports.csv_chunks(table))


def export_xlsx(seminar: Seminar) -> int:
    table = exports.registrations_table(db.session, seminar, "confirmed")
    with tempfile.TemporaryFile() as target:
        exports.write_xlsx(table, target)
        return target.tell()


def baseline_rows(seminar: Seminar) -> list[tuple]:
    """The same rows as plain tuples in memory (read once, outside the measurement)."""
    return list(exports.registrations_table(db.session, seminar, "confirmed").rows)


def baseline_csv(headings: list[str], rows: list[tuple]) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(headings)
    writer.writerows(rows)
    return len(buffer.getvalue().encode("utf-8"))


def baseline_xlsx(headings: list[str], rows: list[tuple]) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet")
    sheet.append(headings)
    for row in rows:
        sheet.append(row)
    with tempfile.TemporaryFile() as target:
        workbook.save(target)
        return target.tell()


@dataclass
class Measured:
    seconds: float  # best wall-clock time
    cpu: float  # best CPU time of this process
    peak_mib: float  # peak memory traced during one run
    output_bytes: int


def measure(work: Callable[[], int], repeat: int) -> Measured:
    seconds = cpu = float("inf")
    for _ in range(repeat):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        size = work()
        seconds = min(seconds, time.perf_counter() - wall_start)
        cpu = min(cpu, time.process_time() - cpu_start)
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Measured(seconds, cpu, peak / 2**20, size)


def run(size: int, repeat: int, folder: Path) -> dict[str, Measured]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / f'exports-{size}.sqlite3'}",
        }
    )
    with app.app_context():
        db.create_all()
        seminar = populate(size)
        headings = exports.registrations_table(db.session, seminar).headings
        rows = baseline_rows(seminar)
        results = {
            "csv": measure(lambda: export_csv(seminar), repeat),
            "csv baseline": measure(lambda: baseline_csv(headings, rows), repeat),
            "xlsx": measure(lambda: export_xlsx(seminar), repeat),
            "xlsx baseline": measure(lambda: baseline_xlsx(headings, rows), repeat),
        }
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        results = {size: run(size, arguments.repeat, Path(folder)) for size in arguments.sizes}

    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'export':<14}{'rows':>7}{'wall s':>9}{'CPU s':>9}{'peak MiB':>10}{'size KiB':>10}")
    for size, measured in results.items():
        for name, m in measured.items():
            print(
                f"{name:<14}{size:>7}{m.seconds:>9.3f}{m.cpu:>9.3f}"
                f"{m.peak_mib:>10.2f}{m.output_bytes / 1024:>10.0f}"
            )
    print()
    for size, measured in results.items():
        for kind in ("csv", "xlsx"):
            ours, base = measured[kind], measured[f"{kind} baseline"]
            print(
                f"{kind} at {size}: {ours.cpu / base.cpu:.2f}x the baseline's CPU time, "
                f"{ours.peak_mib / base.peak_mib:.2f}x its peak memory"
            )
    if len(results) > 1:
        small, large = min(results), max(results)
        for kind in ("csv", "xlsx"):
            growth = results[large][kind].peak_mib / results[small][kind].peak_mib
            print(f"{kind} peak memory at {large} vs {small} rows: {growth:.2f}x")
    largest = results[max(results)]
    for kind, goal in {"csv": 0.5, "xlsx": 2.0}.items():
        m = largest[kind]
        # Judged on CPU time: wall time on a shared machine measures the neighbours too.
        verdict = "ok" if m.cpu <= goal else "OVER"
        print(
            f"goal {kind} <= {goal} s at {max(results)} rows: "
            f"wall {m.seconds:.3f} s, CPU {m.cpu:.3f} s: {verdict}"
        )


if __name__ == "__main__":
    main()
