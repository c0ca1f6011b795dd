"""Forms of the control panel: posts, site settings, password, email, sessions, API tokens."""

from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from shared_models.models import (
    API_TOKEN_NAME_MAX,
    EMAIL_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    POST_BODY_MAX,
    POST_TITLE_MAX,
    SITE_TITLE_MAX,
    TAGLINE_MAX,
)
from shared_web.forms import Form


class PostForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=POST_TITLE_MAX)])
    body = TextAreaField(
        "Body",
        validators=[Length(max=POST_BODY_MAX)],
        description="Markdown: **bold**, _italic_, [links](https://example.com), `code`, lists.",
    )
    published = BooleanField("Published", description="Unticked, the post stays a draft.")


class SiteForm(Form):
    title = StringField("Site title", validators=[DataRequired(), Length(max=SITE_TITLE_MAX)])
    tagline = StringField("Tagline", validators=[Length(max=TAGLINE_MAX)])


class PasswordForm(Form):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(PASSWORD_MIN, PASSWORD_MAX)],
        description=f"At least {PASSWORD_MIN} characters. Your other sessions will be signed out.",
    )


class EmailChangeForm(Form):
    new_email = EmailField(
        "New email address",
        validators=[DataRequired(), Email(), Length(max=EMAIL_MAX)],
        description="We'll send a link there; your address changes when you open it.",
    )
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )


class SignOutOthersForm(Form):
    """The account page's second form; its button's name tells it from the password form."""

    sign_out_others = SubmitField("Sign out everywhere else")


class TokenForm(Form):
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=API_TOKEN_NAME_MAX)],
        description="Where you will use it, to tell your tokens apart: “Publishing script”.",
    )
    scope = SelectField(
        "Scope",
        choices=[
            SelectChoice("read", "Read: your posts and drafts"),
            SelectChoice("write", "Write: also create, change and delete posts"),
        ],
        default="read",
    )
