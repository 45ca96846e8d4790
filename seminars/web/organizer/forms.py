"""Forms of the organiser area: the seminar editor and the cancellation.

The editor's program, speakers and questions are rows of their own fields (`rows.py`);
reminders are typed as text ("1 dag, 1 timme"). Everything here works without JavaScript.
"""

from __future__ import annotations

import re
from datetime import datetime

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
    FormField,
    IntegerField,
    RadioField,
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
from seminars.accounts import organizers
from seminars.extensions import db
from seminars.models import DetailsIn, Organization, Organizer, Seminar, SeminarMode, utcnow
from seminars.organising.editor import SeminarDraft
from seminars.slugs import SLUG_PATTERN
from seminars.web.fields import (
    MultiCheckboxField,
    multi_line,
    no_control_characters,
    one_line,
    valid_email,
)
from seminars.web.i18n import current_language
from seminars.web.organizer.rows import (
    BLANK_ROWS,
    MAX_QUESTIONS,
    MAX_ROWS,
    ProgramRowForm,
    QuestionForm,
    SpeakerRowForm,
    add_blank_rows,
    parse_clock,
)

MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 60 * 24 * 60

_OFFSET = re.compile(r"^(\d{1,6})\s*([a-zåäö]*)$")
# Accepted in both languages: 1 day / 1 dag, 2 hours / 2 timmar, 30 min, 1 week / 1 vecka.
_UNIT_MINUTES = (
    (("w", "v"), 7 * 24 * 60),
    (("d",), 24 * 60),
    (("h", "t"), 60),
    (("m",), 1),
)
_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


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


def _rows(form_class, max_entries: int) -> FieldList:
    return FieldList(FormField(form_class), max_entries=max_entries)


def _utc_or_none(field: Field) -> datetime | None:
    return getattr(field, "utc", None) if field.data else None


def _organization_choices(organizer: Organizer, seminar: Seminar | None) -> tuple[list, list]:
    """(hosts, co-hosts): any organisation may co-host; the host is one of mine (any for an
    admin), or the seminar's own."""
    everyone = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    my_ids = {o.id for o in organizer.organizations}
    if seminar is not None:
        my_ids.add(seminar.organization_id)
    hosts = [o for o in everyone if organizer.is_admin or o.id in my_ids]
    return [(o.id, o.name) for o in hosts], [(o.id, o.name) for o in everyone]


def _web_address(form, field: Field) -> None:
    if field.data and not re.match(r"https?://[^\s/]+\.[^\s]+$", field.data):
        raise ValidationError(_l("Enter a whole web address, starting with https://"))


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
        filters=[one_line, str.lower],
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
    mode = RadioField(
        _l("How people take part"),
        choices=[
            (SeminarMode.ONSITE.value, _l("On site")),
            (SeminarMode.ONLINE.value, _l("Online")),
            (SeminarMode.HYBRID.value, _l("Hybrid: on site or online, each with its own seats")),
        ],
        default=SeminarMode.ONSITE.value,
    )
    online_link = StringField(
        _l("Joining link"),
        [Optional(), Length(max=500), no_control_characters, _web_address],
        filters=[one_line],
        description=_l("For example a Zoom or Teams link. Sent only to those taking part online."),
    )
    online_info = TextAreaField(
        _l("Online participation"),
        [Optional(), Length(max=2000)],
        filters=[multi_line],
        description=_l(
            "Instructions for taking part online, sent with the joining link. At an on-site "
            "seminar they go to everyone with a seat."
        ),
    )
    online_details_in = RadioField(
        _l("Send the joining link and instructions"),
        choices=[
            (DetailsIn.CONFIRMATION.value, _l("In the confirmation (and the reminders)")),
            (DetailsIn.REMINDER.value, _l("Only in the reminders")),
        ],
        default=DetailsIn.CONFIRMATION.value,
    )
    capacity = IntegerField(
        _l("Seats"),
        [
            InputRequired(_l("Enter the number of seats.")),
            NumberRange(min=1, max=100000, message=_l("Enter a number from 1 to 100000.")),
        ],
        description=_l("At a hybrid seminar: the seats in the room."),
    )
    waitlist_enabled = BooleanField(_l("Waiting list when the seats are taken"))
    online_capacity = IntegerField(
        _l("Online seats"),
        [
            Optional(),
            NumberRange(min=1, max=100000, message=_l("Enter a number from 1 to 100000.")),
        ],
        description=_l("Only at a hybrid seminar. Empty: no limit."),
    )
    online_waitlist_enabled = BooleanField(_l("Waiting list when the online seats are taken"))
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
    program = _rows(ProgramRowForm, MAX_ROWS)
    speakers = _rows(SpeakerRowForm, MAX_ROWS)
    questions = _rows(QuestionForm, MAX_QUESTIONS)
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

    saved_starts_at: datetime | None = None

    @classmethod
    def for_organizer(
        cls, organizer: Organizer, seminar: Seminar | None = None, **kwargs
    ) -> SeminarForm:
        """The form with its organisation choices: hosts I belong to, any co-host."""
        if seminar is not None and request.method == "GET":
            kwargs.setdefault("data", cls.data_from(seminar))
        form = cls(**kwargs)
        # A start already saved may lie in the past (last year's seminar); a new one may not.
        form.saved_starts_at = seminar.starts_at if seminar is not None else None
        form.organization_id.choices, form.cohost_ids.choices = _organization_choices(
            organizer, seminar
        )
        if seminar is None and not form.is_submitted():
            form.reminder_offsets.data = format_reminder_offsets([24 * 60, 60])
            form.waitlist_enabled.data = True
            form.online_waitlist_enabled.data = True
            # The organisation they worked for last, not the alphabetically first.
            form.organization_id.data = organizers.last_used_organization_id(organizer)
        if not form.is_submitted():
            for name, count in BLANK_ROWS.items():
                add_blank_rows(getattr(form, name), count)
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
            "mode": seminar.mode,
            "online_link": seminar.online_link,
            "online_details_in": seminar.online_details_in,
            "capacity": seminar.capacity,
            "waitlist_enabled": seminar.waitlist_enabled,
            "online_capacity": seminar.online_capacity,
            "online_waitlist_enabled": seminar.online_waitlist_enabled,
            "registration_opens_at": seminar.registration_opens_at
            and dates.to_local_naive(seminar.registration_opens_at),
            "registration_closes_at": seminar.registration_closes_at
            and dates.to_local_naive(seminar.registration_closes_at),
            "contact_name": seminar.contact_name,
            "contact_email": seminar.contact_email,
            "program": [
                {
                    "time": item.starts_at.strftime("%H:%M") if item.starts_at else "",
                    "title": item.title,
                    "who": item.who,
                }
                for item in seminar.program_items
            ],
            "speakers": [
                {"name": s.name, "role": s.role, "affiliation": s.affiliation}
                for s in seminar.speakers
            ],
            "questions": [
                {
                    "question_id": str(q.id),
                    "text": q.text,
                    "help_text": q.help_text,
                    "kind": q.kind,
                    "choices": q.choices,
                    "required": q.required,
                    "sensitive": q.sensitive,
                }
                for q in seminar.questions
            ],
            "reminder_offsets": format_reminder_offsets(seminar.reminder_offsets or []),
            "attendance_check_days": seminar.attendance_check_days,
            "notify_attendees": True,
        }

    def validate_starts_at(self, field: Field) -> None:
        start = getattr(field, "utc", None)
        if start is None or start > utcnow() or start == self.saved_starts_at:
            return
        raise ValidationError(
            _(
                "%(when)s has already passed. Check the date and the year.",
                when=dates.when(start, current_language()),
            )
        )

    def validate_ends_at(self, field: Field) -> None:
        start, end = getattr(self.starts_at, "utc", None), getattr(field, "utc", None)
        if start and end and end <= start:
            raise ValidationError(_l("The end must be after the start."))

    def _after_the_start(self, moment: datetime | None) -> str | None:
        """The start as people read it, when `moment` comes after it."""
        start = getattr(self.starts_at, "utc", None)
        if start and moment and moment > start:
            return dates.when(start, current_language())
        return None

    def validate_registration_opens_at(self, field: Field) -> None:
        start = self._after_the_start(getattr(field, "utc", None))
        if start:
            raise ValidationError(
                _("Registration would open after the seminar has started (%(start)s).", start=start)
            )

    def validate_registration_closes_at(self, field: Field) -> None:
        opens, closes = (
            getattr(self.registration_opens_at, "utc", None),
            getattr(field, "utc", None),
        )
        if opens and closes and closes <= opens:
            raise ValidationError(_l("Registration must close after it opens."))
        start = self._after_the_start(closes)
        if start:
            raise ValidationError(
                _(
                    "Registration closes after the seminar has started (%(start)s). Choose a "
                    "time before the start, or leave it empty to keep it open until the start.",
                    start=start,
                )
            )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self._program_within_the_seminar() and valid

    def _program_within_the_seminar(self) -> bool:
        """A program time must lie between the seminar's start and end (a seminar of one day;
        over several days a time of day says nothing by itself)."""
        start, end = getattr(self.starts_at, "utc", None), getattr(self.ends_at, "utc", None)
        if not (start and end) or end <= start:
            return True
        first, last = dates.local(start), dates.local(end)
        if first.date() != last.date():
            return True
        language = current_language()
        outside = []
        for row in self.program:
            moment = parse_clock(row.form.time.data)
            if moment is not None and not first.time() <= moment <= last.time():
                outside.append(row)
                row.form.time.errors.append(
                    _(
                        "%(time)s is outside the seminar, which runs %(start)s–%(end)s.",
                        time=dates.clock(moment, language),
                        start=dates.clock(start, language),
                        end=dates.clock(end, language),
                    )
                )
        if outside:
            # FieldList keeps the errors it found while validating; add these to them.
            self.program.errors = [row.errors for row in self.program]
        return not outside

    def draft(self) -> SeminarDraft:
        """The validated form as plain values for the editor."""
        questions = [row.form for row in self.questions if row.form.is_kept]
        return SeminarDraft(
            title=self.title.data,
            subtitle=self.subtitle.data,
            slug=self.slug.data,
            organization_id=self.organization_id.data,
            cohost_ids=list(self.cohost_ids.data or []),
            description=self.description.data,
            starts_at=self.starts_at.utc,
            ends_at=self.ends_at.utc,
            venue_name=self.venue_name.data,
            venue_address=self.venue_address.data,
            online_info=self.online_info.data,
            mode=SeminarMode(self.mode.data or SeminarMode.ONSITE),
            online_link=self.online_link.data or "",
            online_details_in=DetailsIn(self.online_details_in.data or DetailsIn.CONFIRMATION),
            capacity=self.capacity.data,
            waitlist_enabled=self.waitlist_enabled.data,
            online_capacity=self.online_capacity.data,
            online_waitlist_enabled=self.online_waitlist_enabled.data,
            registration_opens_at=_utc_or_none(self.registration_opens_at),
            registration_closes_at=_utc_or_none(self.registration_closes_at),
            contact_name=self.contact_name.data,
            contact_email=self.contact_email.data,
            program=[row.form.line() for row in self.program if not row.form.is_blank],
            speakers=[row.form.line() for row in self.speakers if not row.form.is_blank],
            questions=[question.draft(position) for position, question in enumerate(questions)],
            reminder_offsets=getattr(self.reminder_offsets, "parsed", []),
            attendance_check_days=self.attendance_check_days.data,
        )


class CancelSeminarForm(FlaskForm):
    message = TextAreaField(
        _l("Message to everyone registered"),
        [DataRequired(_l("Write a few words about why, and what happens next.")), Length(max=3000)],
        filters=[multi_line],
    )
