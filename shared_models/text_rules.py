"""What user text may contain: only characters every page, feed and database can carry."""

import re

from shared_models.errors import RuleViolation

# C0 controls (tab and line breaks aside), lone surrogates, U+FFFE and U+FFFF:
# XML 1.0, and so the Atom feed, cannot carry them, and PostgreSQL refuses NUL.
# DEL and the C1 controls could be carried, but no writer means to type them.
UNSTORABLE_CHARACTERS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
)


def check_storable(text: str, field: str) -> None:
    """Raise RuleViolation, blaming `field`, if the text holds a character no page can show."""
    if UNSTORABLE_CHARACTERS.search(text):
        raise RuleViolation("Remove the invisible control characters from this text.", field=field)
