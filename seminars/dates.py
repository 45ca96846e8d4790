"""Times as people read them: Europe/Stockholm, Swedish or English formats.

Everything is stored in UTC; conversion happens only here and in form parsing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time

STOCKHOLM = ZoneInfo("Europe/Stockholm")

_PATTERNS = {
    "sv": {"day": "EEEE d MMMM y", "time": "HH.mm", "at": "{day} kl. {time}"},
    "en": {"day": "EEEE d MMMM y", "time": "HH:mm", "at": "{day}, {time}"},
}


def local(moment: datetime) -> datetime:
    return moment.astimezone(STOCKHOLM)


def _patterns(locale: str) -> dict[str, str]:
    return _PATTERNS.get(str(locale)[:2], _PATTERNS["en"])


def day(moment: datetime | date, locale: str) -> str:
    """'onsdag 18 mars 2026'"""
    if isinstance(moment, datetime):
        moment = local(moment)
        return format_datetime(moment, _patterns(locale)["day"], tzinfo=STOCKHOLM, locale=locale)
    return format_date(moment, _patterns(locale)["day"], locale=locale)


def clock(moment: datetime | time, locale: str) -> str:
    """'13.00' in Swedish, '13:00' in English."""
    if isinstance(moment, datetime):
        moment = local(moment).time()
    return format_time(moment, _patterns(locale)["time"], locale=locale)


def when(moment: datetime, locale: str) -> str:
    """'onsdag 18 mars 2026 kl. 13.00'"""
    p = _patterns(locale)
    return p["at"].format(day=day(moment, locale), time=clock(moment, locale))


def span(start: datetime, end: datetime, locale: str) -> str:
    """'onsdag 18 mars 2026 kl. 13.00–16.00', or both dates when it runs over midnight."""
    if local(start).date() == local(end).date():
        return f"{when(start, locale)}–{clock(end, locale)}"
    return f"{when(start, locale)} – {when(end, locale)}"


def to_utc(naive_local: datetime) -> datetime:
    """A wall-clock time in Stockholm, as typed in a form, to aware UTC."""
    return naive_local.replace(tzinfo=STOCKHOLM).astimezone(UTC)


class NonexistentLocalTime(ValueError):
    """The wall-clock time is skipped when the clocks go forward (spring DST night)."""


class AmbiguousLocalTime(ValueError):
    """The wall-clock time happens twice when the clocks go back (autumn DST night)."""


def to_utc_checked(naive_local: datetime) -> datetime:
    """Like `to_utc`, but refuses a Stockholm time that does not exist or exists twice.

    A form should ask again rather than guess which hour the organiser meant.
    """
    earlier = naive_local.replace(tzinfo=STOCKHOLM, fold=0)
    later = naive_local.replace(tzinfo=STOCKHOLM, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        round_trip = earlier.astimezone(UTC).astimezone(STOCKHOLM).replace(tzinfo=None)
        if round_trip != naive_local:
            raise NonexistentLocalTime(naive_local.isoformat())
        raise AmbiguousLocalTime(naive_local.isoformat())
    return earlier.astimezone(UTC)


def to_local_naive(moment: datetime) -> datetime:
    """An aware datetime as the Stockholm wall-clock time a form field shows."""
    return local(moment).replace(tzinfo=None)
