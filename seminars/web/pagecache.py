"""The public seminar page, rendered once per version and reused by every visitor.

A seminar page is the most read page there is: when OFR mails its members, thousands open
it within minutes, and each of them would otherwise render the same program, speakers and
form again. Instead, a page view reads one small row (`page_state`) that says which
rendering is current:

- `content_version`, raised in the same transaction as every change to what the page
  shows: the seminar's fields, its program, speakers, questions and co-hosts, and the name
  or privacy details of an organisation that hosts it (`seminars/content_versions.py`);
- the status, and whether registration is open at this moment (time moves on by itself);
- whether any seat is left (the page offers the waiting list when none is);
- the visitor's language.

The rendered HTML is kept per worker process under that key, with two holes filled in per
request: the visitor's CSRF token and the number of seats left. Every process reads the
same row, and reuses what it read for up to PAGE_STATE_MAX_AGE seconds (one by default),
so several workers and several machines never disagree for longer than that. A signup
decides nothing on it: it re-checks the seminar, its page version included, under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from cachetools import LRUCache, TTLCache
from flask import Flask, current_app, g, has_app_context
from flask_babel import gettext, ngettext
from flask_wtf.csrf import generate_csrf
from markupsafe import escape
from sqlalchemy import bindparam, event, or_, select
from sqlalchemy.orm import Session

from seminars.content_versions import CONTENT_CHANGED
from seminars.database import READ_ONLY
from seminars.extensions import db
from seminars.models import (
    Seminar,
    SeminarMode,
    SeminarStatus,
    online_seats_left,
    seats_left,
)

# Holes in a cached page, filled per request. NUL never occurs in rendered text.
TOKEN_HOLE = "\x00csrf\x00"
SEATS_HOLE = "\x00seats\x00"
# Pages per worker process: a few versions of every open seminar in both languages.
MAX_PAGES = 512

VISIBLE = (SeminarStatus.PUBLISHED, SeminarStatus.CANCELLED)


# Built once: a page view should not pay for composing the statement. (`or_` rather than
# `in_`: an IN list is expanded again on every execution.)
_seminar = Seminar.__table__.c  # Core columns: no ORM machinery for a row of plain values
PAGE_STATE = select(
    _seminar.id,
    _seminar.content_version,
    _seminar.status,
    _seminar.capacity,
    _seminar.seats_taken,
    _seminar.mode,
    _seminar.online_capacity,
    _seminar.online_seats_taken,
    _seminar.starts_at,
    _seminar.registration_opens_at,
    _seminar.registration_closes_at,
).where(_seminar.slug == bindparam("slug"), or_(*(_seminar.status == s for s in VISIBLE)))


def page_state(slug: str, *, fresh: bool = False):
    """The columns that decide which rendering of a visible seminar's page is current, as
    this process last read them, up to PAGE_STATE_MAX_AGE seconds ago (`fresh`: read now).

    When thousands open the page within a minute, most views then cost no database round
    trip at all; what a visitor sees may lag by that second (a seat count, another
    process's edit). Nothing is decided on it: a signup re-checks everything, the page's
    version included, under the seminar's lock. An edit committed by this process shows
    on its next view (`_forget_page_states`)."""
    states = _page_states()
    if fresh or states.max_age <= 0:
        return _read_page_state(slug)
    return states.get(slug)


def _read_page_state(slug: str):
    # On a connection of its own, as a reader: no ORM session (its transaction costs more
    # than this query).
    with db.engine.connect().execution_options(**{READ_ONLY: True}) as connection:
        return connection.execute(PAGE_STATE, {"slug": slug}).one_or_none()


class PageStates:
    """Page states by slug, each reused for `max_age` seconds."""

    def __init__(self, max_age: float) -> None:
        self.max_age = max_age

    @property
    def max_age(self) -> float:
        return self._max_age

    @max_age.setter
    def max_age(self, seconds: float) -> None:
        self._max_age = seconds
        self._states = TTLCache(maxsize=MAX_PAGES, ttl=max(seconds, 0))
        # gunicorn may run threads (GUNICORN_THREADS); a cachetools cache is not thread-safe.
        self._lock = threading.Lock()

    def get(self, slug: str):
        with self._lock:
            state = self._states.get(slug)
        if state is not None:
            return state
        state = _read_page_state(slug)
        if state is not None:  # an unknown or hidden slug is read again every time
            with self._lock:
                self._states[slug] = state
        return state

    def clear(self) -> None:
        with self._lock:
            self._states.clear()


def _page_states() -> PageStates:
    """Built at the first view, from the configuration as it is then."""
    states = current_app.extensions.get("seminars.page_states")
    if states is None:
        states = PageStates(0 if current_app.debug else current_app.config["PAGE_STATE_MAX_AGE"])
        current_app.extensions["seminars.page_states"] = states
    return states


def seats_left_label(number: int) -> str:
    """'12 platser kvar'. While a page is rendered for the cache, a hole filled per request."""
    if g.get("rendering_for_cache"):
        return SEATS_HOLE
    return ngettext("%(num)d seat left", "%(num)d seats left", number)


def seats_label(seminar) -> str:
    """'12 platser kvar', or per mode at a hybrid seminar: '12 platser kvar på plats ·
    digitalt: obegränsat' (for a Seminar or a page state). A hole while rendered for the
    cache."""
    if g.get("rendering_for_cache"):
        return SEATS_HOLE
    if seminar.mode != SeminarMode.HYBRID:
        return seats_left_label(seats_left(seminar))
    on_site = seats_left(seminar)
    online = online_seats_left(seminar)
    if on_site:
        room = ngettext("%(num)d seat left on site", "%(num)d seats left on site", on_site)
    else:
        room = gettext("Fully booked on site")
    if online is None:
        remote = gettext("online: unlimited")
    elif online:
        remote = ngettext("online: %(num)d seat left", "online: %(num)d seats left", online)
    else:
        remote = gettext("online: fully booked")
    return f"{room} · {remote}"


def full_modes(seminar) -> tuple[bool, ...]:
    """Which modes have no seat left (the one mode's, or on site and online): what a
    cached page's wording depends on."""
    if seminar.mode != SeminarMode.HYBRID:
        return (seats_left(seminar) == 0,)
    return (seats_left(seminar) == 0, online_seats_left(seminar) == 0)


class PageCache:
    """Rendered pages by key, the least recently used dropped first (size 0: none kept)."""

    def __init__(self, size: int = MAX_PAGES) -> None:
        self._pages: LRUCache[tuple, str] | None = LRUCache(maxsize=size) if size else None
        # gunicorn may run threads (GUNICORN_THREADS): one of them must not evict a page
        # between another's lookup and its move to the end.
        self._lock = threading.Lock()

    def page(self, key: tuple, render: Callable[[], str], seats: int, label: str = "") -> str:
        """The page for `key` with this visitor's CSRF token and the seats left filled in
        (`label`: how they read, when not only as a number)."""
        page = self.rendered(key, render, seats)
        label = str(escape(label or seats_left_label(seats)))
        return page.replace(TOKEN_HOLE, generate_csrf()).replace(SEATS_HOLE, label, 1)

    def rendered(self, key: tuple, render: Callable[[], str], seats: int | None = None) -> str:
        """The page for `key` with its holes, rendered with `render()` only if no
        worker-local copy exists (`seats`: the seats left that the key stands for)."""
        page = None
        if self._pages is not None:
            with self._lock:
                page = self._pages.get(key)
        if page is None:
            page = self._render_with_holes(render, seats)  # outside the lock: it reads the db
            if self._pages is not None:
                with self._lock:
                    self._pages[key] = page
        return page

    @staticmethod
    def _render_with_holes(render: Callable[[], str], seats: int | None) -> str:
        g.rendering_for_cache = True
        # What the key says about seats: a page kept for "seats left" must not say "full"
        # (web/sharing.py's offer availability), though the row may have changed since.
        g.page_seats_left = seats
        try:
            html = render()
        finally:
            g.rendering_for_cache = False
            g.pop("page_seats_left", None)
        # The form printed this visitor's token; the cached copy must not hand it to others.
        return html.replace(generate_csrf(), TOKEN_HOLE)


def seminar_pages() -> PageCache:
    """This app's page cache (one per app: tests build many apps in one process). With
    --debug it keeps nothing, so an edited template shows on the next view."""
    pages = current_app.extensions.get("seminars.pages")
    if pages is None:
        pages = PageCache(size=0 if current_app.debug else MAX_PAGES)
        current_app.extensions["seminars.pages"] = pages
    return pages


def init_app(app: Flask) -> None:
    if not event.contains(db.session, "after_commit", _forget_page_states):
        event.listen(db.session, "after_commit", _forget_page_states)


def _forget_page_states(session: Session) -> None:
    """This process shows its own edit on the next view, not a second later."""
    if session.info.pop(CONTENT_CHANGED, False) and has_app_context():
        _page_states().clear()
