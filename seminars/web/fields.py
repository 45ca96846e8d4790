"""Form fields, filters and validators shared by every area's forms."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, SelectMultipleField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from seminars.accounts.organizers import MIN_PASSWORD_LENGTH
from seminars.text import (
    has_control_characters,
    has_invisible_characters,
    without_control_characters,
)


def one_line(value: str | None) -> str:
    """Strip and normalise; the caller's validator refuses what is left of control chars."""
    return unicodedata.normalize("NFC", value or "").strip()


def multi_line(value: str | None) -> str:
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").strip()
    return without_control_characters(text, allowed="\n\t")


def no_control_characters(form, field: Field) -> None:
    if has_control_characters(field.data or ""):
        raise ValidationError(_l("Use letters, digits and punctuation only, on one line."))


def no_invisible_characters(form, field: Field) -> None:
    """For names and organisations, which lists, badges and exports show (text.py says why)."""
    if has_invisible_characters(field.data or ""):
        raise ValidationError(
            _l(
                "This contains invisible characters that change how text is shown, such as a "
                "text-direction mark. Type it again without them."
            )
        )


def valid_email(form, field: Field) -> None:
    try:
        result = validate_email(field.data or "", check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(_l("Enter an email address like name@example.org.")) from None
    field.data = result.normalized


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes (several organisations), which works without JavaScript."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def new_password_field(label) -> PasswordField:
    return PasswordField(
        label,
        [
            DataRequired(_l("Enter a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
        description=_l(
            "At least %(min)d characters. A few unrelated words are easy to remember.",
            min=MIN_PASSWORD_LENGTH,
        ),
    )


class ConfirmForm(FlaskForm):
    """A button that needs nothing but its CSRF token (publish, cancel, delete, …)."""
