"""The one exception the domain raises when a request breaks a rule."""


class RuleViolation(Exception):
    """A request the domain refuses; `field` names the form field to blame, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
