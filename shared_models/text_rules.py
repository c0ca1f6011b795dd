"""What user text may contain: only characters every page, feed and database can carry."""

import re

from shared_models.errors import N_, RuleViolation, english

# C0 controls (tab and line breaks aside), lone surrogates, U+FFFE and U+FFFF:
# XML 1.0, and so the Atom feed, cannot carry them, and PostgreSQL refuses NUL.
# DEL and the C1 controls could be carried, but no writer means to type them.
UNSTORABLE_CHARACTERS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
)


TOO_LONG = N_("Keep this under %(max)s characters.")


def too_long(max_length: int) -> str:
    """What a refused text that is too long is told, in English (as the API says it)."""
    return TOO_LONG % {"max": english(max_length)}


def check_storable(text: str, field: str) -> None:
    """Raise RuleViolation, blaming `field`, if the text holds a character no page can show."""
    if UNSTORABLE_CHARACTERS.search(text):
        raise RuleViolation(
            N_("Remove the invisible control characters from this text."), field=field
        )


def check_text(
    text: str, field: str, max_length: int, required: str | None = None, strip: bool = True
) -> str:
    """Return the (stripped) text if it fits the field, or raise RuleViolation blaming it.

    `required` is the message (an `N_` message id) for an empty value; without it, empty
    is fine.
    """
    if strip:
        text = text.strip()
    if required and not text:
        raise RuleViolation(required, field=field)
    if len(text) > max_length:
        raise RuleViolation(TOO_LONG, field=field, max=max_length)
    check_storable(text, field=field)
    return text
