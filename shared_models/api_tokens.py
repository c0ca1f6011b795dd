"""Personal API tokens: making one, recognising it on a request, listing and revoking them.

A token reads `inkpot_` and 43 random URL-safe characters (256 bits). The
prefix lets people and secret scanners recognise a leaked one; the database
keeps only a hash, so the token is shown once, when it is made.
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from shared_models import audit
from shared_models.database import db
from shared_models.errors import N_, RuleViolation
from shared_models.models import (
    API_TOKEN_NAME_MAX,
    ApiToken,
    RevokedBecause,
    TokenScope,
    User,
    as_utc,
    utcnow,
)
from shared_models.text_rules import check_text

TOKEN_PREFIX = "inkpot_"
TOKEN_PATTERN = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}", re.ASCII)
# Last-used times are written at most this often, not on every request.
LAST_USED_PRECISION = timedelta(minutes=5)
# Enough for every script and machine a writer has; more is a sign of tokens left behind.
MAX_LIVE_TOKENS = 20
# How long the tokens page offers to make again the tokens a new password revoked.
REMAKE_OFFER_LASTS = timedelta(days=30)


def _hash(secret: str) -> str:
    # The secret is random and long: a fast hash is enough, and it is looked up by
    # value, so there is no stored hash to compare in a timing-sensitive way.
    return hashlib.sha256(secret.encode()).hexdigest()


def live_tokens(user: User) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    return list(
        db.session.execute(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        ).scalars()
    )


def create_token(user: User, name: str, scope: str) -> tuple[ApiToken, str]:
    """Make a token for the user; commit, and return it with its secret (shown once, never kept)."""
    name = check_text(
        name, "name", API_TOKEN_NAME_MAX, required=N_("Give the token a name, to know it by later.")
    )
    if scope not in set(TokenScope):
        raise RuleViolation(N_("Choose read or write."), field="scope")
    live = db.session.execute(
        select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
    ).scalar_one()
    if live >= MAX_LIVE_TOKENS:
        raise RuleViolation(
            N_("You have %(count)s tokens already. Revoke one you no longer use first."),
            count=MAX_LIVE_TOKENS,
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, scope=scope, secret_hash=_hash(secret))
    db.session.add(token)
    db.session.flush()
    audit.record_event(audit.TOKEN_CREATED, actor=user, target=token, detail=f"{name} ({scope})")
    db.session.commit()
    return token, secret


def owned_token(user: User, token_id: int) -> ApiToken | None:
    """The user's live token with this id; anyone else's, or a revoked one, answers None."""
    return db.session.execute(
        select(ApiToken).where(
            ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
    ).scalar_one_or_none()


def revoke_token(user: User, token: ApiToken) -> None:
    """Stop the token working, for good; commit."""
    _revoke(user, token, RevokedBecause.OWNER, utcnow())
    db.session.commit()


def revoke_every_token(user: User) -> list[ApiToken]:
    """Revoke all the user's live tokens, because their password changed; the caller commits.

    Whoever knew the old password could have made one, and a token outlives any
    session. Returns the tokens revoked.
    """
    revoked, now = live_tokens(user), utcnow()
    for token in revoked:
        _revoke(user, token, RevokedBecause.PASSWORD_CHANGED, now)
    return revoked


def _revoke(user: User, token: ApiToken, because: RevokedBecause, moment: datetime) -> None:
    token.revoked_at, token.revoked_because = moment, because
    audit.record_event(
        audit.TOKEN_REVOKED, actor=user, target=token, detail=f"{token.name} ({token.scope})"
    )


def tokens_to_make_again(user: User) -> list[ApiToken]:
    """The tokens the user's last new password revoked, for the tokens page to offer again.

    Offered for a while, and only while no live token has the same name.
    """
    last_change = (
        select(func.max(ApiToken.revoked_at))
        .where(
            ApiToken.user_id == user.id,
            ApiToken.revoked_because == RevokedBecause.PASSWORD_CHANGED,
        )
        .scalar_subquery()
    )
    live_names = select(ApiToken.name).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
    )
    return list(
        db.session.execute(
            select(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_because == RevokedBecause.PASSWORD_CHANGED,
                ApiToken.revoked_at == last_change,
                ApiToken.revoked_at > utcnow() - REMAKE_OFFER_LASTS,
                ApiToken.name.not_in(live_names),
            )
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        ).scalars()
    )


def authenticate(secret: str) -> ApiToken | None:
    """The live token this secret is, with its user and their site loaded; otherwise None.

    Unknown and revoked tokens answer None, and so does every token of a
    suspended user, until an admin reactivates them.
    """
    # Anything else is no token of ours, and is never sent to the database.
    if not TOKEN_PATTERN.fullmatch(secret):
        return None
    token = db.session.execute(
        select(ApiToken)
        .where(ApiToken.secret_hash == _hash(secret))
        .options(joinedload(ApiToken.user).joinedload(User.site))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.last_used_at is None or utcnow() - as_utc(token.last_used_at) > LAST_USED_PRECISION:
        token.last_used_at = utcnow()
        db.session.commit()
    return token
