"""The base class of every form in both layouts: how a refused rule reaches the page."""

from flask_wtf import FlaskForm

from shared_models import RuleViolation


class Form(FlaskForm):
    def reject(self, violation: RuleViolation) -> None:
        """Show a rule the domain refused next to the field it concerns."""
        if violation.field in self:
            self[violation.field].errors.append(violation.message)
        else:
            self.form_errors.append(violation.message)
