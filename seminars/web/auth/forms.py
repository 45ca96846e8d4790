"""Forms of signing in and of an account's security: login, the second step, passwords,
the authenticator app, passkeys, and accepting an invitation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from seminars.web.fields import new_password_field, no_control_characters, one_line, valid_email


class LoginForm(FlaskForm):
    email = StringField(
        _l("Email"),
        [DataRequired(_l("Enter your email address.")), Length(max=254)],
        filters=[one_line],
        render_kw={"autocomplete": "username", "type": "email", "inputmode": "email"},
    )
    password = PasswordField(
        _l("Password"),
        [DataRequired(_l("Enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotPasswordForm(FlaskForm):
    email = StringField(
        _l("Email"),
        [DataRequired(_l("Enter your email address.")), Length(max=254), valid_email],
        filters=[one_line],
        render_kw={"autocomplete": "username", "type": "email", "inputmode": "email"},
    )


class ResetPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("New password again"),
        [EqualTo("password", _l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(FlaskForm):
    """`current` is asked except right after a login with a temporary password."""

    current = PasswordField(
        _l("Current password"),
        [DataRequired(_l("Enter your current password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("New password again"),
        [EqualTo("password", _l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


class AcceptInviteForm(FlaskForm):
    password = new_password_field(_l("Choose a password"))
    confirm = PasswordField(
        _l("The password again"),
        [EqualTo("password", _l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


def _code_field(label, message, description=None) -> StringField:
    return StringField(
        label,
        [DataRequired(message), Length(max=40)],
        filters=[one_line],
        description=description,
        render_kw={
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )


class TotpCodeForm(FlaskForm):
    code = _code_field(
        _l("Code from the app"),
        _l("Enter the six digits the app shows."),
        _l("Six digits, for example 123 456."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.code.render_kw = {**self.code.render_kw, "inputmode": "numeric"}


class RecoveryCodeForm(FlaskForm):
    recovery_code = _code_field(
        _l("Recovery code"),
        _l("Enter one of your recovery codes."),
        _l("One of the ten codes you saved, like ABCDE-FGHJK."),
    )


class PasskeyNameForm(FlaskForm):
    """The name of a new passkey; the browser fills in `credential` after asking the key."""

    name = StringField(
        _l("Name of the passkey"),
        [
            DataRequired(_l("Give the passkey a name, so you can tell your keys apart.")),
            Length(max=100),
            no_control_characters,
        ],
        filters=[one_line],
        description=_l("For example “Work laptop” or “Blue security key”."),
    )
