"""The site's forms, one module per area; `Form` is their common base."""

from flask_wtf import FlaskForm

from shared_models import RuleViolation


class Form(FlaskForm):
    def reject(self, violation: RuleViolation) -> None:
        """Show a rule the domain refused next to the field it concerns."""
        if violation.field in self:
            self[violation.field].errors.append(violation.message)
        else:
            self.form_errors.append(violation.message)
