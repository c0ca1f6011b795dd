"""Forms of the control panel: posts, site settings, password, email, sessions, API tokens."""

from flask_babel import lazy_gettext as _l
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
from shared_web.forms import INVALID_EMAIL, REQUIRED, Form, length_between, too_long


class PostForm(Form):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=POST_TITLE_MAX, message=too_long(POST_TITLE_MAX)),
        ],
    )
    body = TextAreaField(
        _l("Body"),
        validators=[Length(max=POST_BODY_MAX, message=too_long(POST_BODY_MAX))],
        description=_l(
            "Markdown: **bold**, _italic_, [links](https://example.com), `code`, lists."
        ),
    )
    published = BooleanField(_l("Published"), description=_l("Unticked, the post stays a draft."))


class SiteForm(Form):
    title = StringField(
        _l("Site title"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=SITE_TITLE_MAX, message=too_long(SITE_TITLE_MAX)),
        ],
    )
    tagline = StringField(
        _l("Tagline"), validators=[Length(max=TAGLINE_MAX, message=too_long(TAGLINE_MAX))]
    )


class PasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=PASSWORD_MAX, message=too_long(PASSWORD_MAX)),
        ],
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(REQUIRED),
            Length(PASSWORD_MIN, PASSWORD_MAX, length_between(PASSWORD_MIN, PASSWORD_MAX)),
        ],
        description=_l(
            "At least %(min)s characters. Your other sessions will be signed out, and your API "
            "tokens revoked.",
            min=PASSWORD_MIN,
        ),
    )


class EmailChangeForm(Form):
    new_email = EmailField(
        _l("New email address"),
        validators=[
            DataRequired(REQUIRED),
            Email(INVALID_EMAIL),
            Length(max=EMAIL_MAX, message=too_long(EMAIL_MAX)),
        ],
        description=_l(
            "We'll send a link there; your address changes once you open it and enter your "
            "password."
        ),
    )
    current_password = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=PASSWORD_MAX, message=too_long(PASSWORD_MAX)),
        ],
    )


class SignOutOthersForm(Form):
    """The account page's second form; its button's name tells it from the password form."""

    sign_out_others = SubmitField(_l("Sign out everywhere else"))


class TokenForm(Form):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=API_TOKEN_NAME_MAX, message=too_long(API_TOKEN_NAME_MAX)),
        ],
        description=_l("Where you will use it, to tell your tokens apart: “Publishing script”."),
    )
    scope = SelectField(
        _l("Scope"),
        choices=[
            SelectChoice("read", _l("Read: your posts and drafts")),
            SelectChoice("write", _l("Write: also create, change and delete posts")),
        ],
        default="read",
    )
    current_password = PasswordField(
        _l("Current password"),
        validators=[Length(max=PASSWORD_MAX, message=too_long(PASSWORD_MAX))],
        description=_l("Needed for a write token, which can change and delete your posts."),
    )
