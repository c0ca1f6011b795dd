"""Forms of the home area: signing up, signing in, and the links emailed for an account."""

from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, Regexp

from shared_models.models import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN
from shared_web.forms import Form


class SignupForm(Form):
    username = StringField(
        "Username",
        validators=[
            DataRequired(),
            Length(USERNAME_MIN, USERNAME_MAX),
            Regexp(r"^[A-Za-z0-9-]+$", message="Use letters a–z, digits and hyphens only."),
        ],
        description="Your site's address: /sites/<username>/",
    )
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=EMAIL_MAX)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(PASSWORD_MIN, PASSWORD_MAX)],
        description=f"At least {PASSWORD_MIN} characters.",
    )


class LoginForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    remember = BooleanField("Keep me signed in")


class EmailLinkForm(Form):
    """Asks for a link by email: the confirmation link again, or a password reset."""

    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=EMAIL_MAX)])


class NewPasswordForm(Form):
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(PASSWORD_MIN, PASSWORD_MAX)],
        description=f"At least {PASSWORD_MIN} characters. Every session will be signed out.",
    )
