"""Forms of signing in: login and the forgotten-password reset."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from seminars.web.fields import new_password_field, one_line, valid_email


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


# Text formats of the editor
