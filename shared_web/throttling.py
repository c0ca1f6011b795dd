"""How throttling keys requests (sign-in, sign-up, password, the API); the limits live in config.

Every attempt counts, and it counts before the view checks anything: Flask-Limiter
adds it to the shared count atomically first, so a burst of parallel requests
cannot all pass while the count is still low.
"""

from flask import Blueprint, current_app, request
from flask_login import current_user

from shared_models.accounts import normalize_email
from shared_models.models import EMAIL_MAX
from shared_web.bearer import SAFE_METHODS, caller_key
from shared_web.extensions import limiter


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


# The API's two counts per caller (its token, else its address), each shared by all the
# API's URLs. Made once, here: the limiter files blueprint limits under the blueprint's
# name, and both layouts' blueprints are called `api`, so they must be the same limits.
API_READS = limiter.shared_limit(
    configured_limit("API_READ_RATE_LIMIT"),
    scope="api-reads",
    key_func=caller_key,
    methods=sorted(SAFE_METHODS),
)
API_WRITES = limiter.shared_limit(
    configured_limit("API_WRITE_RATE_LIMIT"),
    scope="api-writes",
    key_func=caller_key,
    methods=["DELETE", "PATCH", "POST", "PUT"],
)


def throttle_api(blueprint: Blueprint) -> None:
    """Count every call to the blueprint's URLs as an API read or write, before any view runs."""
    API_READS(blueprint)
    API_WRITES(blueprint)
