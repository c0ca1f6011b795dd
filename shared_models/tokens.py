"""The tokens in emailed links: signed, for one purpose, expiring, and good for one use.

A token is signed with SECRET_KEY and a salt of its own purpose, so a
confirmation token can never pass for a reset token. It also carries a
fingerprint of the account state its use changes (the password hash for a
reset, the address and its confirmation for the others): once used, or once
that state changes any other way, the fingerprint no longer matches and the
token is dead, with nothing stored to remember it by. An email change's token
is bound to the password hash as well, so a new password ends every pending
email change: whoever asked for one with the old password gets nothing.

Reading a token only says it was live when read: two requests may read the same
one at once. The change it makes is written as a compare-and-set on the same
state (shared_models.accounts), so only one of them acts.
"""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from shared_models.database import db
from shared_models.models import User


@dataclass(frozen=True)
class Purpose:
    name: str
    max_age: timedelta
    # The account state a token is bound to: when it changes, the token dies.
    state: Callable[[User, dict], str]


CONFIRM_EMAIL = Purpose(
    "confirm-email",
    timedelta(hours=48),
    lambda user, data: f"{user.email}\n{user.is_confirmed}",
)
RESET_PASSWORD = Purpose(
    "reset-password",
    timedelta(hours=1),
    lambda user, data: user.password_hash,
)
CHANGE_EMAIL = Purpose(
    "change-email",
    timedelta(hours=24),
    lambda user, data: f"{user.email}\n{data['new_email']}\n{user.password_hash}",
)


class BadLink(Exception):
    """A link that opens nothing; `reason` says why: "expired", "used" or "invalid".

    ("taken" too, for an email change whose new address got an account meanwhile.)
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer(purpose: Purpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"inkpot.{purpose.name}")


def _fingerprint(purpose: Purpose, user: User, data: dict) -> str:
    key = f"{current_app.config['SECRET_KEY']}\n{purpose.name}".encode()
    state = purpose.state(user, data).encode()
    return hmac.new(key, state, hashlib.sha256).hexdigest()[:32]


def make_token(purpose: Purpose, user: User, **data: str) -> str:
    """A token for this user and purpose, with plain `data` (readable by whoever holds it)."""
    return _serializer(purpose).dumps(
        {"user": user.id, "state": _fingerprint(purpose, user, data), **data}
    )


def read_token(purpose: Purpose, token: str) -> tuple[User, dict]:
    """The user a live token names and its data; BadLink saying why it opens nothing."""
    try:
        payload = _serializer(purpose).loads(token, max_age=int(purpose.max_age.total_seconds()))
    except SignatureExpired:
        raise BadLink("expired") from None
    except BadSignature:
        raise BadLink("invalid") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), int):
        raise BadLink("invalid")
    data = {key: value for key, value in payload.items() if key not in {"user", "state"}}
    user = db.session.get(User, payload["user"])
    if user is None:
        raise BadLink("used")
    try:
        expected = _fingerprint(purpose, user, data)
    except KeyError:
        raise BadLink("invalid") from None
    if not hmac.compare_digest(expected, str(payload.get("state", ""))):
        raise BadLink("used")
    return user, data
