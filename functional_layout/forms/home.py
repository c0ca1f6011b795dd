"""Forms of the home area: signing up, signing in, and the links emailed for an account."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, Regexp

from shared_models.models import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN
from shared_web.forms import INVALID_EMAIL, REQUIRED, Form, length_between, too_long


class SignupForm(Form):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(REQUIRED),
            Length(USERNAME_MIN, USERNAME_MAX, length_between(USERNAME_MIN, USERNAME_MAX)),
            Regexp(r"^[A-Za-z0-9-]+$", message=_l("Use letters a–z, digits and hyphens only.")),
        ],
        description=_l("Your site's address: /sites/<username>/"),
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(REQUIRED),
            Email(INVALID_EMAIL),
            Length(max=EMAIL_MAX, message=too_long(EMAIL_MAX)),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(REQUIRED),
            Length(PASSWORD_MIN, PASSWORD_MAX, length_between(PASSWORD_MIN, PASSWORD_MAX)),
        ],
        description=_l("At least %(min)s characters.", min=PASSWORD_MIN),
    )


class LoginForm(Form):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(REQUIRED), Length(max=EMAIL_MAX, message=too_long(EMAIL_MAX))],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=PASSWORD_MAX, message=too_long(PASSWORD_MAX)),
        ],
    )
    remember = BooleanField(_l("Keep me signed in"))


class ConfirmAddressForm(Form):
    """The page of a confirmation link: the account's password, before the link acts."""

    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=PASSWORD_MAX, message=too_long(PASSWORD_MAX)),
        ],
    )


class EmailLinkForm(Form):
    """Asks for a link by email: the confirmation link again, or a password reset."""

    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(REQUIRED),
            Email(INVALID_EMAIL),
            Length(max=EMAIL_MAX, message=too_long(EMAIL_MAX)),
        ],
    )


class NewPasswordForm(Form):
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(REQUIRED),
            Length(PASSWORD_MIN, PASSWORD_MAX, length_between(PASSWORD_MIN, PASSWORD_MAX)),
        ],
        description=_l(
            "At least %(min)s characters. Every session will be signed out, and every API "
            "token revoked.",
            min=PASSWORD_MIN,
        ),
    )
