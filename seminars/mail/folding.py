"""What a seat from the waiting list carries: one email where there would be three.

Someone who gets a seat shortly before a reminder or the "Kommer du fortfarande?" check
would otherwise get the seat email and then, at the worker's next pass, the reminder and
the check, all in the same minute. The rule: each reminder and the attendance check whose
time has come, or comes within FOLD_WINDOW of the seat, is carried by the seat email
instead. Its outbox row is written at once as FOLDED, under the key the reminder run uses,
so the run sees it as done and the worker never sends it; the seat email says what it
would have said (the reminder's "see you soon", the check's yes/no links). Reminders due
later than that are sent as usual.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from seminars.mail import queue as outbox
from seminars.models import OutboxStatus, Registration, Seminar

FOLD_WINDOW = timedelta(hours=24)


def fold_into_seat_email(registration: Registration, seminar: Seminar, now: datetime) -> list[str]:
    """Mark the reminders and the attendance check due by `now + FOLD_WINDOW` as carried by
    the seat email about to be queued; returns the kinds it carries, for its context."""
    if now >= seminar.starts_at:
        return []
    folded = set()
    soon = now + FOLD_WINDOW
    for offset in seminar.reminder_offsets or ():
        if seminar.starts_at - timedelta(minutes=offset) <= soon and _fold(
            "reminder", registration, f"reminder:{offset}:", {"offset_minutes": offset}
        ):
            folded.add("reminder")
    days = seminar.attendance_check_days
    if (
        days
        and registration.attendance_answer is None
        and seminar.starts_at - timedelta(days=days) <= soon
        and _fold("attendance_check", registration, "attendance_check:", None)
    ):
        folded.add("attendance_check")
    return sorted(folded)


def _fold(kind: str, registration: Registration, prefix: str, context: dict | None) -> bool:
    """The row the reminder run would write, written now as carried by the seat email;
    False when the person already has one (it was sent, or is on its way)."""
    return outbox.queue_for_registration(
        kind,
        registration,
        dedupe_key=f"{prefix}{registration.id}",
        context=context,
        status=OutboxStatus.FOLDED,
    )
