"""Rows of the seminar editor: program items (time, what, who), speakers (name, role,
organisation) and questions, each row with fields of its own.

Without JavaScript the editor shows a few empty rows, and "Add more rows", "Move up", "Move
down" and "Remove" are buttons of the one editor form (`row_action`): the form comes back with
the change made, nothing saved and nothing typed lost. `static/editor.js` does the same in
place. A row left empty is ignored when the seminar is saved.
"""

from __future__ import annotations

import re
from datetime import time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import TimeInput

from seminars.models import QuestionKind
from seminars.organising.editor import ProgramLine, QuestionDraft, SpeakerLine
from seminars.web.fields import multi_line, no_control_characters, one_line

# Enough for a full-day conference; more is more likely a paste gone wrong.
MAX_ROWS = 100
MAX_QUESTIONS = 40
# Empty rows shown under the filled ones, and how many "Add more rows" adds.
BLANK_ROWS = {"program": 3, "speakers": 2, "questions": 2}
ADDED_ROWS = {"program": 3, "speakers": 2, "questions": 1}
ROW_ACTION = "row_action"
_ACTION = re.compile(r"(program|speakers|questions)-(?:(add)|(\d{1,3})-(up|down|remove))")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


def parse_clock(text: str) -> time | None:
    """'13:00' or '13.00' -> time(13, 0); None when it is not a time of day."""
    match = _TIME.match((text or "").strip())
    return time(int(match[1]), int(match[2])) if match else None


def _text(label, max_length: int) -> StringField:
    # No Optional(): it would stop the row's own check that a filled row has this field.
    return StringField(label, [Length(max=max_length), no_control_characters], filters=[one_line])


class ProgramRowForm(Form):
    """One item of the program. The time is optional (a break may have none)."""

    # A time picker where the browser has one; parse_clock also reads 13.00 typed by hand.
    time = StringField(
        _l("Time"), [Optional(), Length(max=10)], filters=[one_line], widget=TimeInput()
    )
    title = _text(_l("What"), 300)
    who = _text(_l("Who"), 300)

    @property
    def is_blank(self) -> bool:
        return not (self.time.data or self.title.data or self.who.data)

    def validate_time(self, field: Field) -> None:
        if field.data and parse_clock(field.data) is None:
            raise ValidationError(_("Write the time like 13.00."))

    def validate_title(self, field: Field) -> None:
        if not field.data and not self.is_blank:
            raise ValidationError(_("Write what happens, for example Welcome."))

    def line(self) -> ProgramLine:
        return ProgramLine(
            starts_at=parse_clock(self.time.data), title=self.title.data, who=self.who.data or ""
        )


class SpeakerRowForm(Form):
    name = _text(_l("Name"), 200)
    role = _text(_l("Role"), 200)
    affiliation = _text(_l("Organisation"), 200)

    @property
    def is_blank(self) -> bool:
        return not (self.name.data or self.role.data or self.affiliation.data)

    def validate_name(self, field: Field) -> None:
        if not field.data and not self.is_blank:
            raise ValidationError(_("Write the speaker's name."))

    def line(self) -> SpeakerLine:
        return SpeakerLine(
            name=self.name.data, role=self.role.data or "", affiliation=self.affiliation.data or ""
        )


QUESTION_KINDS = [
    (QuestionKind.SHORT_TEXT.value, _l("Short text")),
    (QuestionKind.LONG_TEXT.value, _l("Long text")),
    (QuestionKind.CHOICE.value, _l("One of several choices")),
    (QuestionKind.YES_NO.value, _l("Yes or no")),
]


def _choice_lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionForm(Form):
    """One custom question; a blank new row is ignored."""

    question_id = HiddenField()
    text = _text(_l("Question"), 300)
    help_text = _text(_l("Help text"), 500)
    kind = SelectField(_l("Kind of answer"), choices=QUESTION_KINDS, default="short_text")
    choices = TextAreaField(
        _l("Choices, one per line"),
        [Length(max=3000)],
        filters=[multi_line],
        description=_l("Only for a question with several choices."),
    )
    required = BooleanField(_l("Required"))
    sensitive = BooleanField(
        _l("Health data (diet, accessibility): asked only with the attendee's consent")
    )
    remove = BooleanField(_l("Remove this question (its answers are deleted too)"))

    @property
    def existing_id(self) -> int | None:
        value = (self.question_id.data or "").strip()
        return int(value) if value.isdigit() else None

    @property
    def is_kept(self) -> bool:
        return bool(self.text.data) and not self.remove.data

    def validate_text(self, field: Field) -> None:
        if not field.data and self.existing_id is not None and not self.remove.data:
            raise ValidationError(_("Write the question, or tick Remove."))
        if not field.data and not self.remove.data and (self.help_text.data or self.choices.data):
            raise ValidationError(_("Write the question, or empty the row."))

    def validate_choices(self, field: Field) -> None:
        if not self.is_kept or self.kind.data != QuestionKind.CHOICE:
            return
        if len(set(_choice_lines(field.data))) < 2:
            raise ValidationError(
                _("A question with several choices needs at least two: write one per line.")
            )

    def draft(self, position: int) -> QuestionDraft:
        is_choice = self.kind.data == QuestionKind.CHOICE
        return QuestionDraft(
            id=self.existing_id,
            text=self.text.data,
            help_text=self.help_text.data or "",
            kind=QuestionKind(self.kind.data),
            choices="\n".join(_choice_lines(self.choices.data)) if is_choice else "",
            required=self.required.data,
            sensitive=self.sensitive.data,
            position=position,
        )


def blank_rows() -> dict[str, Form]:
    """An empty row of each list, numbered `__index__`: static/editor.js copies it to add a
    row in place."""
    return {
        name: form_class(prefix=f"{name}-__index__-")
        for name, form_class in (
            ("program", ProgramRowForm),
            ("speakers", SpeakerRowForm),
            ("questions", QuestionForm),
        )
    }


def add_blank_rows(rows: FieldList, count: int) -> None:
    for _row in range(count):
        if len(rows.entries) < rows.max_entries:
            rows.append_entry()


def _set_rows(rows: FieldList, values: list[dict]) -> None:
    """Rebuild the rows in this order, numbered from 0 again, with what each one holds."""
    rows.entries = []
    rows.last_index = -1
    for row in values:
        rows.append_entry(row)


def apply_row_action(form, action: str) -> bool:
    """Carry out a row button pressed without JavaScript on `form` (a SeminarForm);
    False when `action` is none of them."""
    match = _ACTION.fullmatch(action or "")
    if match is None:
        return False
    name, add, index, move = match.groups()
    rows: FieldList = getattr(form, name)
    if add:
        add_blank_rows(rows, ADDED_ROWS[name])
        return True
    values = [row.data for row in rows.entries]
    index = int(index)
    if index >= len(values):
        return True
    if move == "remove":
        del values[index]
    else:
        other = index - 1 if move == "up" else index + 1
        if 0 <= other < len(values):
            values[index], values[other] = values[other], values[index]
    _set_rows(rows, values)
    if not rows.entries:
        add_blank_rows(rows, 1)
    return True
