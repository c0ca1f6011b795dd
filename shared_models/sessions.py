"""Signed-in sessions, kept on the server: starting, checking, listing and ending them.

Flask keeps its session in a signed cookie, and a signed cookie cannot be taken
back: a copy would keep working after sign-out. So each sign-in also writes a
row here, and the id Flask-Login keeps in the cookies names that row. Ending a
session deletes its row, and every copy of its cookies stops working at once.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from shared_models.database import db
from shared_models.errors import N_
from shared_models.models import (
    ADDRESS_MAX,
    USER_AGENT_MAX,
    User,
    UserSession,
    as_utc,
    utcnow,
)

# Last-seen times are written at most this often, not on every request.
LAST_SEEN_PRECISION = timedelta(minutes=5)

# (pattern, name) in the order they are tried: Edge and Opera also say "Chrome",
# and Chrome also says "Safari".
BROWSERS = [
    (re.compile(r"Edg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"OPR/|Opera"), "Opera"),
    (re.compile(r"Firefox/|FxiOS/"), "Firefox"),
    (re.compile(r"Chrom(e|ium)/|CriOS/"), "Chrome"),
    (re.compile(r"Safari/"), "Safari"),
    (re.compile(r"curl/|python-|Go-http|okhttp", re.IGNORECASE), N_("A script")),
]
SYSTEMS = [
    (re.compile(r"Android"), "Android"),
    (re.compile(r"iPhone|iPad|iPod"), "iOS"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"Mac OS X|Macintosh"), "macOS"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Linux|X11"), "Linux"),
]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _idle_limit(session: UserSession) -> timedelta:
    name = "REMEMBER_COOKIE_DURATION" if session.remember else "SESSION_IDLE_TIMEOUT"
    return current_app.config[name]


def start_session(user: User, remember: bool, user_agent: str = "", address: str = "") -> str:
    """Open a session for the user, commit, and return its id (user.session_id is set too)."""
    secret = secrets.token_urlsafe(32)
    session = UserSession(
        user=user,
        secret_hash=_hash(secret),
        remember=remember,
        user_agent=user_agent[:USER_AGENT_MAX],
        address=address[:ADDRESS_MAX],
    )
    db.session.add(session)
    _forget_expired_sessions(user)
    db.session.commit()
    user.session_id = f"{session.id}.{secret}"
    return user.session_id


def _forget_expired_sessions(user: User) -> None:
    for session in list(user.sessions):
        if session.id is not None and not _is_live(session):
            db.session.delete(session)


def _is_live(session: UserSession) -> bool:
    return as_utc(session.last_seen_at) + _idle_limit(session) > utcnow()


def _find(session_id: str | None) -> UserSession | None:
    """The live session this id names, with its user and their site, or None."""
    number, _, secret = (session_id or "").partition(".")
    if not (number.isdigit() and secret):
        return None
    session = db.session.get(
        UserSession, int(number), options=[joinedload(UserSession.user).joinedload(User.site)]
    )
    if session is None or not hmac.compare_digest(session.secret_hash, _hash(secret)):
        return None
    return session if _is_live(session) else None


def load_user_for_session(session_id: str) -> User | None:
    """Flask-Login's user loader: the user a session id names, if that session is still valid."""
    session = _find(session_id)
    if session is None or not session.user.is_active:
        return None
    if utcnow() - as_utc(session.last_seen_at) > LAST_SEEN_PRECISION:
        session.last_seen_at = utcnow()
        db.session.commit()
    session.user.session_id = session_id
    return session.user


def end_session(session_id: str | None) -> None:
    """Sign one session out (sign-out); an unknown or ended id does nothing."""
    session = _find(session_id)
    if session is not None:
        db.session.delete(session)
        db.session.commit()


def end_sessions(user: User, keep: str | None = None) -> int:
    """End every session of the user but `keep` (a session id); the caller commits.

    Returns how many were ended.
    """
    kept = _find(keep)
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if kept is not None:
        query = query.where(UserSession.id != kept.id)
    ended = db.session.execute(query).rowcount
    db.session.expire(user, ["sessions"])
    return ended


def live_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still work, most recently active first."""
    sessions = db.session.execute(
        select(UserSession)
        .where(UserSession.user_id == user.id)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).scalars()
    return [session for session in sessions if _is_live(session)]


def describe_device(user_agent: str, translate: Callable[[str], str] = str) -> str:
    """'Firefox on Linux', from a User-Agent header, as well as one can tell.

    The words are English; `translate` puts them in the reader's language (the
    pages pass gettext, shared_web.formatting).
    """
    browser = next((name for pattern, name in BROWSERS if pattern.search(user_agent)), None)
    system = next((name for pattern, name in SYSTEMS if pattern.search(user_agent)), None)
    if browser and system:
        return translate(N_("%(browser)s on %(system)s")) % {
            "browser": translate(browser),
            "system": system,
        }
    return translate(browser or system or N_("An unknown browser"))
