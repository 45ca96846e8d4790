"""Forms of the organiser area: login and password reset, the seminar editor, administration.

The editor takes its program, speakers and reminders as plain text lines, so it works
without JavaScript; the parsers here turn those lines into plain values for `editor.py`
and name the line that could not be read.
"""

from __future__ import annotations

import re
from datetime import time

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from seminars import dates
from seminars.extensions import db
from seminars.models import Organization, Organizer, QuestionKind, Seminar
from seminars.organising import accounts
from seminars.organising.editor import ProgramLine, QuestionDraft, SeminarDraft, SpeakerLine
from seminars.slugs import SLUG_PATTERN
from seminars.web.fields import (
    MultiCheckboxField,
    multi_line,
    no_control_characters,
    one_line,
    valid_email,
)

# Enough for a full-day conference; a longer text is more likely a paste gone wrong.
MAX_LINES = 100
MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 60 * 24 * 60

_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
_OFFSET = re.compile(r"^(\d{1,6})\s*([a-zåäö]*)$")
# Accepted in both languages: 1 day / 1 dag, 2 hours / 2 timmar, 30 min, 1 week / 1 vecka.
_UNIT_MINUTES = (
    (("w", "v"), 7 * 24 * 60),
    (("d",), 24 * 60),
    (("h", "t"), 60),
    (("m",), 1),
)
_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


def parse_clock(text: str) -> time | None:
    """'13:00' or '13.00' -> time(13, 0); None when it is not a time of day."""
    match = _TIME.match(text.strip())
    return time(int(match[1]), int(match[2])) if match else None


def _content_lines(text: str):
    for number, line in enumerate((text or "").splitlines(), start=1):
        if line.strip():
            yield number, [part.strip() for part in line.split("|")]


def _check_line_count(text: str) -> None:
    if len([line for line in (text or "").splitlines() if line.strip()]) > MAX_LINES:
        raise ValidationError(_("Use at most %(max)d lines.", max=MAX_LINES))


def parse_program(text: str) -> list[ProgramLine]:
    """Lines like '13:00 | Welcome | Anna Andersson'; the time and the who are optional."""
    _check_line_count(text)
    items = []
    for number, parts in _content_lines(text):
        if len(parts) > 3:
            raise ValidationError(
                _("Line %(line)d: use at most three parts, time | title | who.", line=number)
            )
        starts_at = parse_clock(parts[0])
        if starts_at is not None or parts[0] == "":
            rest = parts[1:]
        elif len(parts) == 3:
            raise ValidationError(
                _('Line %(line)d: "%(text)s" is not a time like 13:00.', line=number, text=parts[0])
            )
        else:
            rest = parts
        title = rest[0] if rest else ""
        who = rest[1] if len(rest) > 1 else ""
        if not title:
            raise ValidationError(
                _("Line %(line)d: write what happens, like 13:00 | Welcome | Anna.", line=number)
            )
        if len(title) > 300 or len(who) > 300:
            raise ValidationError(_("Line %(line)d is too long.", line=number))
        items.append(ProgramLine(starts_at=starts_at, title=title, who=who))
    return items


def format_program(seminar: Seminar) -> str:
    lines = []
    for item in seminar.program_items:
        clock = item.starts_at.strftime("%H:%M") if item.starts_at else ""
        parts = [clock, item.title] + ([item.who] if item.who else [])
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def parse_speakers(text: str) -> list[SpeakerLine]:
    """Lines like 'Anna Lexelius | huvudsekreterare | Tillitsdelegationen'."""
    _check_line_count(text)
    speakers = []
    for number, parts in _content_lines(text):
        if len(parts) > 3:
            raise ValidationError(
                _(
                    "Line %(line)d: use at most three parts, name | role | organisation.",
                    line=number,
                )
            )
        if not parts[0]:
            raise ValidationError(_("Line %(line)d: start with the speaker's name.", line=number))
        if any(len(part) > 200 for part in parts):
            raise ValidationError(_("Line %(line)d is too long.", line=number))
        parts += [""] * (3 - len(parts))
        speakers.append(SpeakerLine(name=parts[0], role=parts[1], affiliation=parts[2]))
    return speakers


def format_speakers(seminar: Seminar) -> str:
    lines = []
    for speaker in seminar.speakers:
        parts = [speaker.name, speaker.role, speaker.affiliation]
        while not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def parse_reminder_offsets(text: str) -> list[int]:
    """'1 day, 1 hour' (or '1 dag, 1 timme', or minutes '1440, 60') -> [1440, 60]."""
    offsets = set()
    for part in re.split(r"[,;]", (text or "").lower()):
        part = part.strip()
        if not part:
            continue
        match = _OFFSET.match(part)
        minutes = None
        if match:
            unit = match[2]
            if not unit:
                minutes = int(match[1])
            for prefixes, size in _UNIT_MINUTES:
                if unit.startswith(prefixes):
                    minutes = int(match[1]) * size
                    break
        if minutes is None:
            raise ValidationError(
                _('"%(text)s" is not a time before the start, like 1 day or 2 hours.', text=part)
            )
        if not 1 <= minutes <= MAX_REMINDER_MINUTES:
            raise ValidationError(_("Send reminders at most 60 days before the start."))
        offsets.add(minutes)
    if len(offsets) > MAX_REMINDERS:
        raise ValidationError(_("Use at most %(max)d reminders.", max=MAX_REMINDERS))
    return sorted(offsets, reverse=True)


def format_reminder_offsets(offsets: list[int]) -> str:
    parts = []
    for minutes in offsets:
        if minutes % (24 * 60) == 0:
            parts.append(ngettext("%(num)d day", "%(num)d days", minutes // (24 * 60)))
        elif minutes % 60 == 0:
            parts.append(ngettext("%(num)d hour", "%(num)d hours", minutes // 60))
        else:
            parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    return ", ".join(parts)


def _parsed_by(parser):
    def validate(form, field: Field) -> None:
        field.parsed = parser(field.data)

    return validate


def stockholm_time(form, field: Field) -> None:
    """Refuse a wall-clock time that the spring DST night skips or the autumn night repeats."""
    if field.data is None:
        return
    shown = field.data.strftime("%Y-%m-%d %H:%M")
    try:
        field.utc = dates.to_utc_checked(field.data)
    except dates.NonexistentLocalTime:
        raise ValidationError(
            _(
                "%(time)s does not exist in Swedish time: the clocks jump forward an hour "
                "that night. Choose another time.",
                time=shown,
            )
        ) from None
    except dates.AmbiguousLocalTime:
        raise ValidationError(
            _(
                "%(time)s happens twice in Swedish time: the clocks go back an hour that "
                "night. Choose a time before 02:00 or from 03:00.",
                time=shown,
            )
        ) from None


def _local_time_field(label, required: bool, description=None) -> DateTimeLocalField:
    presence = [InputRequired(_l("Enter a date and time."))] if required else [Optional()]
    return DateTimeLocalField(
        label,
        presence + [stockholm_time],
        format=_DATETIME_FORMATS,
        invalid_value_message=_l("Enter a date and time like 2026-03-18 13:00."),
        description=description,
    )


# The seminar editor

QUESTION_KINDS = [
    (QuestionKind.SHORT_TEXT.value, _l("Short text")),
    (QuestionKind.LONG_TEXT.value, _l("Long text")),
    (QuestionKind.CHOICE.value, _l("One of several choices")),
    (QuestionKind.YES_NO.value, _l("Yes or no")),
]


class QuestionForm(Form):
    """One custom question; a blank new row is ignored."""

    question_id = HiddenField()
    text = StringField(
        _l("Question"), [Optional(), Length(max=300), no_control_characters], filters=[one_line]
    )
    help_text = StringField(
        _l("Help text"), [Optional(), Length(max=500), no_control_characters], filters=[one_line]
    )
    kind = SelectField(_l("Kind of answer"), choices=QUESTION_KINDS, default="short_text")
    choices = TextAreaField(
        _l("Choices, one per line"), [Optional(), Length(max=3000)], filters=[multi_line]
    )
    position = IntegerField(_l("Order"), [Optional(), NumberRange(min=0, max=999)])
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
    def is_blank(self) -> bool:
        return not self.text.data and self.existing_id is None

    def validate_text(self, field: Field) -> None:
        if not field.data and self.existing_id is not None and not self.remove.data:
            raise ValidationError(_l("Write the question, or tick Remove."))

    def validate_choices(self, field: Field) -> None:
        if self.remove.data or not self.text.data or self.kind.data != QuestionKind.CHOICE:
            return
        if len([line for line in (field.data or "").splitlines() if line.strip()]) < 2:
            raise ValidationError(_l("List at least two choices, one per line."))


class SeminarForm(FlaskForm):
    title = StringField(
        _l("Title"),
        [DataRequired(_l("Enter a title.")), Length(max=200), no_control_characters],
        filters=[one_line],
    )
    subtitle = StringField(
        _l("Subtitle"), [Optional(), Length(max=300), no_control_characters], filters=[one_line]
    )
    slug = StringField(
        _l("Web address"),
        [
            Optional(),
            Length(max=120),
            Regexp(
                SLUG_PATTERN,
                message=_l("Use lower-case letters a–z, digits and hyphens, like my-seminar-2026."),
            ),
        ],
        filters=[one_line, lambda value: value.lower() if value else value],
        description=_l(
            "The end of the seminar's address. Leave it empty to make one from the title. "
            "Changing it breaks links already shared."
        ),
    )
    organization_id = SelectField(_l("Host organisation"), coerce=int)
    cohost_ids = MultiCheckboxField(_l("Co-hosting organisations"), coerce=int)
    description = TextAreaField(
        _l("Description"),
        [Optional(), Length(max=20000)],
        filters=[multi_line],
        description=_l("Markdown: **bold**, *italic*, lists with -, links as [text](https://…)."),
    )
    starts_at = _local_time_field(_l("Starts (Swedish time)"), required=True)
    ends_at = _local_time_field(_l("Ends (Swedish time)"), required=True)
    venue_name = StringField(
        _l("Venue"), [Optional(), Length(max=200), no_control_characters], filters=[one_line]
    )
    venue_address = StringField(
        _l("Address"), [Optional(), Length(max=300), no_control_characters], filters=[one_line]
    )
    online_info = TextAreaField(
        _l("Online participation"),
        [Optional(), Length(max=2000)],
        filters=[multi_line],
        description=_l("Shown only to registered attendees, for example a video link."),
    )
    capacity = IntegerField(
        _l("Seats"),
        [
            InputRequired(_l("Enter the number of seats.")),
            NumberRange(min=1, max=100000, message=_l("Enter a number from 1 to 100000.")),
        ],
    )
    waitlist_enabled = BooleanField(_l("Waiting list when the seats are taken"))
    registration_opens_at = _local_time_field(
        _l("Registration opens"), required=False, description=_l("Empty: open from publishing.")
    )
    registration_closes_at = _local_time_field(
        _l("Registration closes"), required=False, description=_l("Empty: open until the start.")
    )
    contact_name = StringField(
        _l("Contact person"),
        [Optional(), Length(max=200), no_control_characters],
        filters=[one_line],
    )
    contact_email = StringField(
        _l("Contact email"), [Optional(), Length(max=254), valid_email], filters=[one_line]
    )
    program = TextAreaField(
        _l("Program"),
        [Optional(), Length(max=30000), _parsed_by(parse_program)],
        filters=[multi_line],
        description=_l("One item per line: time | what | who, like 13:00 | Welcome | Anna."),
    )
    speakers = TextAreaField(
        _l("Speakers"),
        [Optional(), Length(max=20000), _parsed_by(parse_speakers)],
        filters=[multi_line],
        description=_l("One per line: name | role | organisation."),
    )
    questions = FieldList(FormField(QuestionForm), max_entries=40)
    reminder_offsets = StringField(
        _l("Reminders before the start"),
        [Optional(), Length(max=200), _parsed_by(parse_reminder_offsets)],
        filters=[one_line],
        description=_l("For example: 1 day, 1 hour. Empty: no reminders."),
    )
    attendance_check_days = IntegerField(
        _l('Ask "Are you still coming?" this many days before'),
        [Optional(), NumberRange(min=1, max=60, message=_l("Enter a number from 1 to 60."))],
        description=_l("Empty: do not ask. A no frees the seat for the waiting list."),
    )
    notify_attendees = BooleanField(
        _l("Email attendees an updated calendar entry"),
        default=True,
        description=_l("Used only when you change the time or place of a published seminar."),
    )

    BLANK_QUESTION_ROWS = 2

    @classmethod
    def for_organizer(
        cls, organizer: Organizer, seminar: Seminar | None = None, **kwargs
    ) -> SeminarForm:
        """The form with its organisation choices: hosts I belong to, any co-host."""
        if seminar is not None and request.method == "GET":
            kwargs.setdefault("data", cls.data_from(seminar))
        form = cls(**kwargs)
        everyone = db.session.scalars(select(Organization).order_by(Organization.name)).all()
        my_ids = {o.id for o in organizer.organizations}
        hosts = [
            o
            for o in everyone
            if organizer.is_admin
            or o.id in my_ids
            or (seminar is not None and o.id == seminar.organization_id)
        ]
        form.organization_id.choices = [(o.id, o.name) for o in hosts]
        form.cohost_ids.choices = [(o.id, o.name) for o in everyone]
        if seminar is None and not form.is_submitted():
            form.reminder_offsets.data = format_reminder_offsets([24 * 60, 60])
            form.waitlist_enabled.data = True
            # The organisation they worked for last, not the alphabetically first.
            form.organization_id.data = accounts.last_used_organization_id(organizer)
        if not form.is_submitted():
            form.add_blank_questions()
        return form

    @staticmethod
    def data_from(seminar: Seminar) -> dict:
        return {
            "title": seminar.title,
            "subtitle": seminar.subtitle,
            "slug": seminar.slug,
            "organization_id": seminar.organization_id,
            "cohost_ids": [o.id for o in seminar.cohosts],
            "description": seminar.description,
            "starts_at": dates.to_local_naive(seminar.starts_at),
            "ends_at": dates.to_local_naive(seminar.ends_at),
            "venue_name": seminar.venue_name,
            "venue_address": seminar.venue_address,
            "online_info": seminar.online_info,
            "capacity": seminar.capacity,
            "waitlist_enabled": seminar.waitlist_enabled,
            "registration_opens_at": seminar.registration_opens_at
            and dates.to_local_naive(seminar.registration_opens_at),
            "registration_closes_at": seminar.registration_closes_at
            and dates.to_local_naive(seminar.registration_closes_at),
            "contact_name": seminar.contact_name,
            "contact_email": seminar.contact_email,
            "program": format_program(seminar),
            "speakers": format_speakers(seminar),
            "questions": [
                {
                    "question_id": str(q.id),
                    "text": q.text,
                    "help_text": q.help_text,
                    "kind": q.kind,
                    "choices": q.choices,
                    "position": position,
                    "required": q.required,
                    "sensitive": q.sensitive,
                }
                for position, q in enumerate(seminar.questions, start=1)
            ],
            "reminder_offsets": format_reminder_offsets(seminar.reminder_offsets or []),
            "attendance_check_days": seminar.attendance_check_days,
            "notify_attendees": True,
        }

    def add_blank_questions(self, count: int | None = None) -> None:
        for _row in range(self.BLANK_QUESTION_ROWS if count is None else count):
            if len(self.questions) < self.questions.max_entries:
                self.questions.append_entry()

    def validate_ends_at(self, field: Field) -> None:
        start, end = getattr(self.starts_at, "utc", None), getattr(field, "utc", None)
        if start and end and end <= start:
            raise ValidationError(_l("The end must be after the start."))

    def validate_registration_closes_at(self, field: Field) -> None:
        opens, closes = (
            getattr(self.registration_opens_at, "utc", None),
            getattr(field, "utc", None),
        )
        if opens and closes and closes <= opens:
            raise ValidationError(_l("Registration must close after it opens."))

    def draft(self) -> SeminarDraft:
        """The validated form as plain values for the editor."""
        questions = []
        rows = [row.form for row in self.questions if not row.form.is_blank]
        for index, row in enumerate(rows):
            if row.remove.data or not row.text.data:
                continue
            questions.append(
                QuestionDraft(
                    id=row.existing_id,
                    text=row.text.data,
                    help_text=row.help_text.data or "",
                    kind=QuestionKind(row.kind.data),
                    choices=row.choices.data if row.kind.data == QuestionKind.CHOICE else "",
                    required=row.required.data,
                    sensitive=row.sensitive.data,
                    # Rows without an order keep their place after the numbered ones.
                    position=row.position.data if row.position.data is not None else 1000 + index,
                )
            )
        return SeminarDraft(
            title=self.title.data,
            subtitle=self.subtitle.data or "",
            slug=self.slug.data or "",
            organization_id=self.organization_id.data,
            cohost_ids=list(self.cohost_ids.data or []),
            description=self.description.data or "",
            starts_at=self.starts_at.utc,
            ends_at=self.ends_at.utc,
            venue_name=self.venue_name.data or "",
            venue_address=self.venue_address.data or "",
            online_info=self.online_info.data or "",
            capacity=self.capacity.data,
            waitlist_enabled=self.waitlist_enabled.data,
            registration_opens_at=getattr(self.registration_opens_at, "utc", None)
            if self.registration_opens_at.data
            else None,
            registration_closes_at=getattr(self.registration_closes_at, "utc", None)
            if self.registration_closes_at.data
            else None,
            contact_name=self.contact_name.data or "",
            contact_email=self.contact_email.data or "",
            program=getattr(self.program, "parsed", []),
            speakers=getattr(self.speakers, "parsed", []),
            questions=questions,
            reminder_offsets=getattr(self.reminder_offsets, "parsed", []),
            attendance_check_days=self.attendance_check_days.data,
        )


class CancelSeminarForm(FlaskForm):
    message = TextAreaField(
        _l("Message to everyone registered"),
        [DataRequired(_l("Write a few words about why, and what happens next.")), Length(max=3000)],
        filters=[multi_line],
    )
