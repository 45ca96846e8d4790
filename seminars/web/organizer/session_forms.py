"""The form of one session group: its title, whether it is required, which participants
it is for, and its sessions as rows (title, room, seats, waiting list).

Without JavaScript "Add another session" is a button of the form that comes back with an
empty row (nothing saved, nothing typed lost); `static/editor.js` adds it in place.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from seminars.models import SessionGroup
from seminars.organising.sessions import GroupDraft, SessionDraft
from seminars.web.fields import no_control_characters, one_line
from seminars.web.organizer.rows import add_blank_rows

MAX_SESSIONS = 20
ADD_SESSION = "sessions-add"

MODE_CHOICES = [
    ("", _l("Everyone")),
    ("onsite", _l("Only those taking part on site")),
    ("online", _l("Only those taking part online")),
]


class SessionRowForm(Form):
    session_id = HiddenField()
    title = StringField(_l("Session"), [Length(max=200), no_control_characters], filters=[one_line])
    room = StringField(_l("Room"), [Length(max=200), no_control_characters], filters=[one_line])
    capacity = IntegerField(
        _l("Seats"),
        [
            Optional(),
            NumberRange(min=1, max=100000, message=_l("Write a number of seats, 1 or more.")),
        ],
        description=_l("Leave empty for no limit."),
    )
    waitlist_enabled = BooleanField(_l("Waiting list when full"), default=True)
    remove = BooleanField(_l("Remove this session (those who chose it are emailed)"))

    @property
    def existing_id(self) -> int | None:
        value = (self.session_id.data or "").strip()
        return int(value) if value.isdigit() else None

    @property
    def is_blank(self) -> bool:
        return not (self.title.data or self.room.data or self.capacity.data)

    @property
    def is_kept(self) -> bool:
        return not self.remove.data and not (self.is_blank and self.existing_id is None)

    def validate_title(self, field: Field) -> None:
        if self.is_kept and not field.data:
            raise ValidationError(_("Write the session's title, for example Workshop A."))

    def draft(self) -> SessionDraft:
        return SessionDraft(
            id=self.existing_id,
            title=self.title.data,
            room=self.room.data or "",
            capacity=self.capacity.data,
            waitlist_enabled=self.waitlist_enabled.data,
        )


class SessionGroupForm(FlaskForm):
    title = StringField(
        _l("Time slot"),
        [
            DataRequired(_l("Write the time slot, for example Afternoon workshop 14.00–15.30.")),
            Length(max=200),
            no_control_characters,
        ],
        filters=[one_line],
        description=_l(
            "What attendees choose between, for example Afternoon workshop 14.00–15.30."
        ),
    )
    required = BooleanField(_l("Everyone must choose a session"), default=True)
    mode = SelectField(_l("For whom"), choices=MODE_CHOICES, default="")
    sessions = FieldList(FormField(SessionRowForm), min_entries=0, max_entries=MAX_SESSIONS)

    @classmethod
    def for_group(cls, group: SessionGroup | None) -> SessionGroupForm:
        if group is None:
            form = cls()
        else:
            form = cls(
                data={
                    "title": group.title,
                    "required": group.required,
                    "mode": group.mode or "",
                    "sessions": [
                        {
                            "session_id": str(session.id),
                            "title": session.title,
                            "room": session.room,
                            "capacity": session.capacity,
                            "waitlist_enabled": session.waitlist_enabled,
                        }
                        for session in group.sessions
                    ],
                }
            )
        if not form.is_submitted():
            add_blank_rows(form.sessions, 2 if group is None else 1)
        return form

    def validate_sessions(self, field: Field) -> None:
        if sum(1 for row in field.entries if row.form.is_kept) < 1:
            raise ValidationError(_("Add at least one session."))

    def draft(self) -> GroupDraft:
        return GroupDraft(
            title=self.title.data,
            required=self.required.data,
            mode=self.mode.data or None,
            sessions=[row.form.draft() for row in self.sessions.entries if row.form.is_kept],
        )

    def kept_rows(self) -> list[SessionRowForm]:
        return [row.form for row in self.sessions.entries if row.form.is_kept]


def blank_session_row() -> SessionRowForm:
    return SessionRowForm(prefix="sessions-__index__-")
