"""Accounts: signing up, signing in, passwords, suspension and the admin role."""

import re
from collections.abc import Callable

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from shared_models import audit, sessions
from shared_models.database import db
from shared_models.errors import N_, RuleViolation
from shared_models.models import (
    EMAIL_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_MAX,
    USERNAME_MIN,
    Role,
    Site,
    User,
    utcnow,
)
from shared_models.text_rules import check_storable

USERNAME_PATTERN = re.compile(rf"[a-z0-9-]{{{USERNAME_MIN},{USERNAME_MAX}}}", re.ASCII)

# A username becomes a site slug and may one day become a subdomain, so names
# that look like the site's own paths, roles or infrastructure are kept back.
RESERVED_USERNAMES = frozenset(
    {
        "about", "account", "accounts", "admin", "administrator", "api", "app", "assets",
        "auth", "blog", "dashboard", "feed", "feeds", "healthz", "help", "home", "inkpot",
        "login", "logout", "mail", "me", "new", "null", "owner", "root", "security",
        "settings", "signin", "signout", "signup", "site", "sites", "static", "status",
        "support", "system", "undefined", "user", "users", "www",
    }
)  # fmt: skip


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def normalize_username(username: str) -> str:
    return username.strip().lower()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_username(username: str) -> str:
    """Return the normalized username, or raise RuleViolation saying what is wrong.

    Only ASCII is accepted, checked before lower-casing: the Kelvin sign
    (U+212A) lower-cases to an ASCII "k", so "\u212aate" would quietly become "kate".
    """
    name = normalize_username(username)
    if not (username.isascii() and USERNAME_PATTERN.fullmatch(name)):
        raise RuleViolation(
            N_("Use %(min)s–%(max)s characters: letters a–z, digits and hyphens."),
            field="username",
            min=USERNAME_MIN,
            max=USERNAME_MAX,
        )
    # A username may one day be a host name (ada.example.com): hyphens go between
    # letters or digits, and a doubled one would also allow IDNA's `xn--` prefix.
    if name.startswith("-") or name.endswith("-") or "--" in name:
        raise RuleViolation(
            N_("Hyphens go between letters or digits: not first, not last, not two in a row."),
            field="username",
        )
    if name in RESERVED_USERNAMES:
        raise RuleViolation(N_("That name is reserved. Please pick another."), field="username")
    return name


PASSWORD_LENGTH = N_("Use %(min)s to %(max)s characters.")


def check_new_password(password: str, field: str = "password") -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise RuleViolation(PASSWORD_LENGTH, field=field, min=PASSWORD_MIN, max=PASSWORD_MAX)


def get_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normalize_email(email))
    ).scalar_one_or_none()


# A new site's title, until its owner names it.
DEFAULT_SITE_TITLE = N_("%(username)s's blog")


def sign_up(
    username: str, email: str, password: str, translate: Callable[[str], str] = str
) -> User:
    """Create a user with their own site (slug = username); commit and return the user.

    `translate` writes the site's first title in the language of whoever signs up
    (the sign-up page passes gettext); it stays as written, like any title.
    """
    name = check_username(username)
    email = normalize_email(email)
    if not email or len(email) > EMAIL_MAX or "@" not in email:
        raise RuleViolation(N_("Enter a valid email address."), field="email")
    check_storable(email, field="email")
    check_new_password(password)
    if db.session.execute(select(User.id).where(User.username == name)).first():
        raise RuleViolation(N_("That username is taken."), field="username")
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise RuleViolation(N_("An account with that email already exists."), field="email")
    user = User(username=name, email=email, password_hash=_hash_password(password))
    title = translate(DEFAULT_SITE_TITLE) % {"username": name}
    user.site = Site(slug=name, title=title, tagline="")
    db.session.add(user)
    db.session.flush()
    audit.record_event(audit.USER_SIGNUP, actor=user, target=user, detail=name)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active user these credentials belong to, or None.

    Unknown email, wrong password and suspended account all answer None after
    the same amount of hashing work, so the answer leaks nothing.
    """
    user = get_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
    elif check_password_hash(user.password_hash, password) and user.is_active:
        user.last_login_at = utcnow()
        db.session.commit()
        return user
    audit.record_event(
        audit.USER_LOGIN_FAILED,
        actor=user,
        target=user,
        detail=normalize_email(email)[:EMAIL_MAX],
    )
    db.session.commit()
    return None


def prepare_dummy_hash(app) -> None:
    """Hash the stand-in password at start-up, so no sign-in for an unknown email pays for it."""
    app.config["_INKPOT_DUMMY_HASH"] = generate_password_hash(
        "not a real password", method=app.config["PASSWORD_HASH_METHOD"]
    )


def _dummy_hash() -> str:
    return current_app.config["_INKPOT_DUMMY_HASH"]


def change_password(
    user: User, current_password: str, new_password: str, keep_session: str | None = None
) -> None:
    """Change the password and end every other session (remember-me cookies included).

    `keep_session` is the id of the session asking, which stays signed in.
    A wrong current password is audited, as a failed sign-in is.
    """
    if not check_password_hash(user.password_hash, current_password):
        audit.record_event(audit.USER_PASSWORD_CHANGE_FAILED, actor=user, target=user)
        db.session.commit()
        raise RuleViolation(N_("That is not your current password."), field="current_password")
    check_new_password(new_password, field="new_password")
    user.password_hash = _hash_password(new_password)
    sessions.end_sessions(user, keep=keep_session)
    audit.record_event(audit.USER_PASSWORD_CHANGED, actor=user, target=user)
    db.session.commit()


def set_language(user: User, language_tag: str) -> None:
    """Remember the language the user reads the site in (a tag the caller offered: `zh-Hans`)."""
    if user.locale != language_tag:
        user.locale = language_tag
        db.session.commit()


def sign_out_other_sessions(user: User, keep_session: str | None) -> int:
    """End every session of the user but this one; return how many ended."""
    ended = sessions.end_sessions(user, keep=keep_session)
    if ended:
        audit.record_event(audit.USER_SESSIONS_ENDED, actor=user, target=user, detail=str(ended))
    db.session.commit()
    return ended


def suspend_user(admin: User, user: User) -> None:
    """Suspend a user: they can't sign in, their sessions end, their site goes dark."""
    if user.id == admin.id:
        raise RuleViolation(N_("You cannot suspend yourself."))
    if user.is_admin:
        raise RuleViolation(N_("Admins cannot be suspended from the admin area."))
    if user.is_suspended:
        return
    user.is_suspended = True
    # Ends their sessions and remember-me cookies for good, not only while suspended.
    sessions.end_sessions(user)
    audit.record_event(audit.USER_SUSPENDED, actor=admin, target=user, detail=user.username)
    db.session.commit()


def reactivate_user(admin: User, user: User) -> None:
    if not user.is_suspended:
        return
    user.is_suspended = False
    audit.record_event(audit.USER_REACTIVATED, actor=admin, target=user, detail=user.username)
    db.session.commit()


def create_admin(email: str, password: str) -> tuple[User, bool]:
    """Create an admin with this email and password, or promote the user who has the email.

    Admin rights never go to a password this call did not set: whoever signed up
    with the address (perhaps someone expecting it to become an admin's) loses
    that password and every session, and the account is active again.
    Returns (user, created).
    """
    check_new_password(password)
    user = get_user_by_email(email)
    created = user is None
    if created:
        user = sign_up(_username_from_email(email), email, password)
    else:
        user.password_hash = _hash_password(password)
        sessions.end_sessions(user)
        user.is_suspended = False
    if not user.is_admin:
        user.role = Role.ADMIN
        audit.record_event(audit.USER_PROMOTED, actor=None, target=user, detail=user.username)
    db.session.commit()
    return user, created


def _username_from_email(email: str) -> str:
    """A free, valid username derived from the local part of an email address."""
    # Every run of other characters (hyphens included) becomes one hyphen.
    base = re.sub(r"[^a-z0-9]+", "-", normalize_email(email).partition("@")[0])
    base = base.strip("-")[: USERNAME_MAX - 4].rstrip("-") or "admin"
    if len(base) < USERNAME_MIN or base in RESERVED_USERNAMES:
        base = f"{base}-user"[: USERNAME_MAX - 4]
    candidate, n = base, 1
    while db.session.execute(select(User.id).where(User.username == candidate)).first():
        n += 1
        candidate = f"{base}-{n}"
    return candidate
