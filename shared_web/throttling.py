"""How throttling keys requests (sign-in, sign-up, password); the limits live in config.

Every attempt counts, and it counts before the view checks anything: Flask-Limiter
adds it to the shared count atomically first, so a burst of parallel requests
cannot all pass while the count is still low.
"""

from flask import current_app, request
from flask_login import current_user

from shared_models.accounts import normalize_email
from shared_models.models import EMAIL_MAX


def configured_limit(name: str):
    """A limit read from app.config when a request needs it, so all values live in config."""
    return lambda: current_app.config[name]


def submitted_account() -> str:
    """Key failed sign-ins by the email they name, the way accounts looks it up."""
    return "account:" + normalize_email(request.form.get("email", ""))[:EMAIL_MAX]


def signed_in_account() -> str:
    """Key a signed-in user's attempts by their account, wherever they come from."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "anonymous:" + (request.remote_addr or "")
