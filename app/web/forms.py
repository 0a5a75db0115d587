"""The sign-in form (flask-wtf: its CSRF token is checked with the form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

MAX_PASSWORD = 1024
"""Long enough for any passphrase; short enough that nobody makes the server hash megabytes."""


class SignInForm(FlaskForm):  # type: ignore[misc]  # reason: flask-wtf's base class is untyped
    email = EmailField(
        _l("Email"),
        validators=[InputRequired(_l("Enter your email.")), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True, "dir": "ltr", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password", "dir": "ltr"},
    )
    code = StringField(
        _l("Code from your authenticator app"),
        description=_l("Only if you set up a second factor: the 6 digits the app shows now."),
        validators=[Optional(), Regexp(r"^\d{6}$", message=_l("The code has 6 digits."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 6, "dir": "ltr"},
    )
