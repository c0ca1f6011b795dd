"""The base class of every form in both layouts, and the words its validators refuse in.

WTForms' validators refuse in an English of their own. Every form passes the
messages below instead: lazy, so each is written in the language of the page
that shows it, and where a rule is also the domain's, in the domain's words.
"""

from flask_babel import format_number, lazy_gettext
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm

from shared_models import RuleViolation
from shared_models.accounts import PASSWORD_LENGTH
from shared_models.text_rules import TOO_LONG
from shared_web.languages import translate_violation

REQUIRED = lazy_gettext("This field is required.")
INVALID_EMAIL = lazy_gettext("Invalid email address.")


def too_long(max_length: int) -> LazyString:
    """'Keep this under 100,000 characters.', as the domain says it."""
    return lazy_gettext(TOO_LONG, max=LazyString(format_number, max_length))


def length_between(min_length: int, max_length: int) -> LazyString:
    """'Use 8 to 128 characters.', as the domain says it of passwords."""
    return lazy_gettext(PASSWORD_LENGTH, min=min_length, max=max_length)


class Form(FlaskForm):
    def reject(self, violation: RuleViolation) -> None:
        """Show a rule the domain refused next to the field it concerns, in the page's language."""
        message = translate_violation(violation)
        if violation.field in self:
            self[violation.field].errors.append(message)
        else:
            self.form_errors.append(message)
