"""The one exception the domain raises when a request breaks a rule, and how its words are marked.

The domain speaks English and knows nothing of the visitor's language: a rule's
message is an English message id, marked with `N_` so that `make translations`
finds it, with its values kept apart (`%(max)s`). Whoever shows it translates
it then, once for every app (shared_web.languages.translate_violation); the
JSON API shows `message`, the English text, as it is.
"""


def N_(message: str) -> str:
    """Mark a message for translation where it is shown, not here: it stays English."""
    return message


class RuleViolation(Exception):
    """A request the domain refuses; `field` names the form field to blame, if any.

    `message_id` is the English message with `%(name)s` placeholders for `values`;
    `message` is the English text with the values filled in.
    """

    def __init__(self, message_id: str, field: str | None = None, **values):
        self.message_id = message_id
        self.values = values
        self.message = message_id % {name: english(value) for name, value in values.items()}
        self.field = field
        super().__init__(self.message)


def english(value):
    """A value as the English message shows it: whole numbers with thousands separators."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
