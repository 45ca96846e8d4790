"""The signup form's parallel sessions: one radio field per time slot, named
`session-<group id>` (DESIGN), its value a session id; a full session says so ("Workshop A
– full, waiting list"), and one without a waiting list cannot be chosen.

The form class is built once per version of the seminar's page (forms.py): a session that
fills up or gets room again raises that version (signup/sessions.py), so what a form says
about a session is never older than the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import Field, RadioField
from wtforms.validators import InputRequired, Optional

from seminars import database
from seminars.extensions import db
from seminars.models import SessionGroup

CHOOSE_ONE = _l("Choose one of the sessions.")


@dataclass(frozen=True)
class AskedSession:
    id: int
    title: str
    room: str
    full: bool
    waitlist_enabled: bool

    @property
    def label(self):
        title = f"{self.title}, {self.room}" if self.room else self.title
        if not self.full:
            return title
        if self.waitlist_enabled:
            return _l("%(session)s – full, waiting list", session=title)
        return _l("%(session)s – full", session=title)

    @property
    def closed(self) -> bool:
        """Full, with nobody allowed to wait: shown, but not to be chosen."""
        return self.full and not self.waitlist_enabled


@dataclass(frozen=True)
class AskedGroup:
    """A time slot as a cached form asks it: a copy that outlives the database session."""

    id: int
    title: str
    required: bool
    mode: str | None
    sessions: tuple[AskedSession, ...]

    @property
    def field_name(self) -> str:
        return f"session-{self.id}"

    @property
    def hint(self):
        if self.mode == "onsite":
            return _l("Only for those taking part on site.")
        if self.mode == "online":
            return _l("Only for those taking part online.")
        return "" if self.required else _l("Optional.")


def asked_groups(seminar_id: int) -> list[AskedGroup]:
    with database.reading():
        groups = db.session.scalars(
            select(SessionGroup)
            .where(SessionGroup.seminar_id == seminar_id)
            .order_by(SessionGroup.position, SessionGroup.id)
            .options(selectinload(SessionGroup.sessions))
        ).all()
        return [
            AskedGroup(
                id=group.id,
                title=group.title,
                required=group.required,
                mode=group.mode,
                sessions=tuple(
                    AskedSession(s.id, s.title, s.room, s.is_full, s.waitlist_enabled)
                    for s in group.sessions
                ),
            )
            for group in groups
        ]


class SessionRadioField(RadioField):
    """Radio buttons whose options keep their own attributes (a full session: disabled)."""

    def __iter__(self):
        for option in super().__iter__():
            if option.choice.render_kw:
                option.render_kw = {**(option.render_kw or {}), **option.choice.render_kw}
            yield option


def group_field(group: AskedGroup) -> Field:
    # A slot for one mode only is required of that mode's people alone (SessionChoiceFields).
    presence = [InputRequired(CHOOSE_ONE)] if group.required and not group.mode else [Optional()]
    return SessionRadioField(
        group.title,
        presence,
        choices=[
            (str(s.id), s.label, {"disabled": True} if s.closed else {}) for s in group.sessions
        ]
        # An optional time slot: a chosen radio button can be taken back.
        + ([] if group.required else [("none", _l("No session in this time slot"), {})]),
        validate_choice=True,
        description=group.hint,
    )


class SessionChoiceFields:
    """A form mixin: one radio field per time slot of the seminar (the public signup form,
    and the organiser's "add a person"); AttendeeDetailsForm calls `_with_sessions`."""

    groups: list[AskedGroup] = []

    @classmethod
    def _with_sessions(cls, form_class, seminar_id: int):
        groups = asked_groups(seminar_id)
        if not groups:
            return form_class
        fields = {group.field_name: group_field(group) for group in groups}
        with_sessions = type(form_class.__name__, (form_class,), fields)
        with_sessions.groups = groups
        return with_sessions

    def session_fields(self) -> list[tuple[AskedGroup, Field]]:
        return [(group, self[group.field_name]) for group in self.groups]

    def _other_mode(self, group: AskedGroup) -> bool:
        """A slot for one mode only, and the person takes part the other way (a hybrid
        seminar's form asks `mode`; other seminars have one mode for everyone)."""
        mode = self._fields.get("mode")
        return bool(group.mode and mode is not None and mode.data and mode.data != group.mode)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for group, field in self.session_fields():
            chosen = str(field.data or "").isdigit()
            if group.required and group.mode and not chosen and not self._other_mode(group):
                field.errors = [*field.errors, CHOOSE_ONE]
                valid = False
        return valid

    def session_choices(self) -> dict[int, int]:
        """Group id → the session chosen in it (DESIGN: `session-<group id>`); a slot for
        the other mode only is left out."""
        return {
            group.id: int(field.data)
            for group, field in self.session_fields()
            if str(field.data or "").isdigit() and not self._other_mode(group)
        }
