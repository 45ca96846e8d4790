"""Forms for the organiser's attendee pages: a person's details, import, messages."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from seminars.signup import Attendee
from seminars.web.fields import multi_line, no_control_characters, one_line, valid_email
from seminars.web.public.forms import AttendeeDetailsForm
from seminars.web.public.session_fields import SessionChoiceFields

MAX_PASTE_LENGTH = 200_000


def _mode_field(label) -> RadioField:
    """How the person takes part, asked only at a hybrid seminar (elsewhere left empty)."""
    return RadioField(
        label,
        [Optional()],
        choices=[("onsite", _l("On site")), ("online", _l("Online"))],
        default="onsite",
    )


class PersonForm(AttendeeDetailsForm):
    """Name, organisation and answers, as the organiser corrects them."""

    health_consent = BooleanField(
        _l(
            "The person has agreed that their answers about diet or accessibility, which can "
            "be health information, are used only to arrange this seminar."
        ),
        description=_l("Needed only when an answer tells something, not for “none” or no answer."),
    )


class NewPersonForm(SessionChoiceFields, PersonForm):
    email = StringField(
        _l("Email"),
        [DataRequired(_l("Enter the person's email address.")), Length(max=254), valid_email],
        filters=[one_line],
        render_kw={"autocomplete": "off", "type": "email", "inputmode": "email"},
    )
    exceed_capacity = BooleanField(_l("Add even though the seminar is full (exceeds capacity)"))
    mode = _mode_field(_l("Takes part"))

    def attendee(self) -> Attendee:
        return Attendee(
            name=self.name.data,
            email=self.email.data,
            organization=self.organization.data or "",
            answers=self.answers(),
        )


class CancelForm(FlaskForm):
    notify = BooleanField(_l("Email the person that their registration is cancelled"), default=True)


class MoveUpForm(FlaskForm):
    exceed_capacity = BooleanField(
        _l("Give them a seat even though the seminar is full (exceeds capacity)")
    )


class ImportForm(FlaskForm):
    """Pasted text or a CSV file; the preview carries the text on in `text`, with `source`."""

    text = TextAreaField(
        _l("Paste the lines from your emails"),
        [Optional(), Length(max=MAX_PASTE_LENGTH)],
        description=_l(
            "One person per line, as they wrote it, for example "
            "“Anna Andersson <anna@kommun.se>, Nyköpings kommun”. "
            "Name and organisation are optional; the email address is needed."
        ),
    )
    csv_file = FileField(
        _l("Or upload a CSV file"),
        [FileAllowed(["csv", "txt"], _l("Choose a .csv file."))],
        description=_l(
            "Columns separated by semicolon or comma, with or without a heading row "
            "(Namn, E-post, Organisation)."
        ),
    )
    source = HiddenField(default="paste")
    mode = _mode_field(_l("Everyone on the list takes part"))


class MessageForm(FlaskForm):
    audience = RadioField(
        _l("To"),
        [InputRequired(_l("Choose who gets the message."))],
        choices=[
            ("confirmed", _l("Everyone with a seat")),
            ("waiting", _l("Everyone on the waiting list")),
            ("checked_in", _l("Everyone checked in")),
            ("everyone", _l("Everyone with a seat or on the waiting list")),
        ],
        default="confirmed",
    )
    mode = RadioField(
        _l("Of them"),
        [Optional()],
        choices=[
            ("", _l("Both on site and online")),
            ("onsite", _l("Only those on site")),
            ("online", _l("Only those online")),
        ],
        default="",
    )
    subject = StringField(
        _l("Subject"),
        [DataRequired(_l("Write a subject.")), Length(max=200), no_control_characters],
        filters=[one_line],
    )
    body = TextAreaField(
        _l("Message"),
        [DataRequired(_l("Write the message.")), Length(max=10_000)],
        filters=[multi_line],
        description=_l("Plain text, as it will appear in the email."),
    )
    greeting = BooleanField(
        _l("Start with a greeting by name"),
        default=True,
        description=_l(
            "Each person gets “Hello” and their name before your text. Untick it if your "
            "text starts with a greeting of its own."
        ),
    )
    # Identifies one preview, so sending it twice does not mail everyone twice.
    form_id = HiddenField(validators=[Optional(), Regexp(re.compile(r"^[0-9a-f]{32}$"))])
