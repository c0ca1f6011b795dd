"""How sign-in and sign-up throttling keys and counts requests; the limits live in config."""

from flask import current_app, request

from shared_models.accounts import normalize_email
from shared_models.models import EMAIL_MAX


def configured_limit(name: str):
    """A limit read from app.config when a request needs it, so all values live in config."""
    return lambda: current_app.config[name]


def submitted_account() -> str:
    """Key failed sign-ins by the email they name, the way accounts looks it up."""
    return "account:" + normalize_email(request.form.get("email", ""))[:EMAIL_MAX]


def sign_in_failed(response) -> bool:
    """Only failed sign-ins count: a successful one redirects."""
    return response.status_code != 302
