"""Accounts: signing up and confirming, signing in, passwords and resets, email changes, roles.

Every flow that sends a link goes through the mailbox: the email is queued in
the same transaction as the change (shared_models.outbox) and its token is made
when it is sent (shared_models.tokens). Forms that name an address answer the
same whether or not it has an account, and do the same work either way: the
owner of a registered address gets a note where a stranger would get a link.

A link acts only when the page it opens is posted with what proves the person
(the account's password, or a new one), and only once, however many posts race
for it. A new password evicts whoever knew the old one: their sessions, their
API tokens and their pending links all end.
"""

import re
from collections.abc import Callable
from datetime import datetime

from flask import current_app
from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from shared_models import api_tokens, audit, outbox, sessions, tokens
from shared_models.database import db
from shared_models.errors import N_, RuleViolation
from shared_models.models import (
    EMAIL_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_MAX,
    USERNAME_MIN,
    ApiToken,
    EmailKind,
    Role,
    Site,
    TokenScope,
    User,
    utcnow,
)
from shared_models.text_rules import check_storable
from shared_models.tokens import BadLink

__all__ = ["BadLink", "EmailNotConfirmed"]

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


class EmailNotConfirmed(Exception):
    """The right password for an account whose address is not confirmed yet."""

    def __init__(self, email: str):
        super().__init__(email)
        self.email = email


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


def check_email(email: str, field: str = "email") -> str:
    """Return the normalized address, or raise RuleViolation; whether it has an account is moot."""
    email = normalize_email(email)
    if not email or len(email) > EMAIL_MAX or "@" not in email:
        raise RuleViolation(N_("Enter a valid email address."), field=field)
    check_storable(email, field=field)
    return email


def _check_new_account(username: str, email: str, password: str) -> tuple[str, str]:
    """The normalized username and email of a new account, or RuleViolation.

    Nothing here depends on whether the email has an account: usernames are
    public, addresses are not.
    """
    name = check_username(username)
    email = check_email(email)
    check_new_password(password)
    if db.session.execute(select(User.id).where(User.username == name)).first():
        raise RuleViolation(N_("That username is taken."), field="username")
    return name, email


# A new site's title, until its owner names it.
DEFAULT_SITE_TITLE = N_("%(username)s's blog")


def _add_user(
    name: str, email: str, password: str, confirmed: bool, translate: Callable[[str], str]
) -> User:
    """Add a user and their site; `translate` writes the site's first title in their language."""
    user = User(
        username=name,
        email=email,
        password_hash=_hash_password(password),
        email_confirmed_at=utcnow() if confirmed else None,
    )
    title = translate(DEFAULT_SITE_TITLE) % {"username": name}
    user.site = Site(slug=name, title=title, tagline="")
    db.session.add(user)
    db.session.flush()
    audit.record_event(audit.USER_SIGNUP, actor=user, target=user, detail=name)
    return user


def sign_up(
    username: str,
    email: str,
    password: str,
    confirmed: bool = False,
    translate: Callable[[str], str] = str,
) -> User:
    """Create a user with their own site (slug = username); commit and return the user.

    For the command line, the demo data and tests, which name the address
    outright; the sign-up form goes through `register`, which never says whether
    an address is taken. `confirmed=False` leaves the account waiting for its
    confirmation link. `translate` writes the site's first title in the language
    of whoever signs up (a page passes gettext); it stays as written, like any title.
    """
    name, email = _check_new_account(username, email, password)
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise RuleViolation(N_("An account with that email already exists."), field="email")
    user = _add_user(name, email, password, confirmed, translate)
    db.session.commit()
    return user


def register(
    username: str, email: str, password: str, translate: Callable[[str], str] = str
) -> None:
    """The sign-up form: a new, unconfirmed account and its confirmation link; commits.

    A registered address gets no second account: its owner is told someone
    tried. The password is hashed either way, so the answer takes as long.
    `translate` as for sign_up.
    """
    name, email = _check_new_account(username, email, password)
    try:
        owner = get_user_by_email(email)
        if owner is None:
            user = _add_user(name, email, password, confirmed=False, translate=translate)
            outbox.queue_email(EmailKind.CONFIRM_EMAIL, user.email, user)
        else:
            _hash_password(password)
            outbox.queue_email(EmailKind.ACCOUNT_EXISTS, owner.email, owner, reason="signup")
        db.session.commit()
    except IntegrityError:
        # A parallel sign-up took the name or the address between the checks and the commit.
        db.session.rollback()
        if db.session.execute(select(User.id).where(User.username == name)).first():
            raise RuleViolation(N_("That username is taken."), field="username") from None
        # The address: its own sign-up sent the confirmation link.


def resend_confirmation(email: str) -> None:
    """Send the confirmation link again to an unconfirmed account; a note to any other address."""
    email = check_email(email)
    user = get_user_by_email(email)
    if user is None:
        outbox.queue_email(EmailKind.NO_ACCOUNT, email, reason="confirm")
    elif user.is_confirmed:
        outbox.queue_email(EmailKind.ACCOUNT_EXISTS, user.email, user, reason="confirm")
    else:
        outbox.queue_email(EmailKind.CONFIRM_EMAIL, user.email, user)
    db.session.commit()


def check_confirmation_link(token: str) -> tuple[User, str | None]:
    """The account a link from a confirmation email is for, and the address it moves to.

    The address is None for a new account's link, which confirms the address the
    account has; an email change's link names the new one. BadLink if the token
    opens nothing.
    """
    try:
        user, _ = tokens.read_token(tokens.CONFIRM_EMAIL, token)
    except BadLink as bad_link:
        if bad_link.reason != "invalid":
            raise
        user, data = tokens.read_token(tokens.CHANGE_EMAIL, token)
        new_email = data["new_email"]
    else:
        new_email = None
        # A token made once the address was confirmed (a late resend) opens nothing either.
        if user.is_confirmed:
            raise BadLink("used")
    if user.is_suspended:
        raise BadLink("invalid")
    if new_email is not None and get_user_by_email(new_email) is not None:
        raise BadLink("taken")
    return user, new_email


def confirm_address(token: str, password: str) -> tuple[User, bool]:
    """Act on a link from a confirmation email, given the account's password; commits.

    Opening the link changes nothing (a mail scanner follows links too): the
    password proves the person, so an address someone else signed up with, or
    moved their account to, is never theirs by a click. A new account's address
    is confirmed, or an email change applied. Returns the user and whether the
    address is new; a wrong password is refused (RuleViolation) and audited as
    a failed sign-in; BadLink if the link opens nothing or a parallel use of it won.
    """
    user, new_email = check_confirmation_link(token)
    if not check_password_hash(user.password_hash, password):
        audit.record_event(audit.USER_LOGIN_FAILED, actor=user, target=user, detail=user.email)
        db.session.commit()
        raise RuleViolation(N_("That is not the password of this account."), field="password")
    if new_email is None:
        _hold_if_unchanged(user, User.email == user.email, User.email_confirmed_at.is_(None))
        user.email_confirmed_at = utcnow()
        audit.record_event(audit.USER_EMAIL_CONFIRMED, actor=user, target=user, detail=user.email)
    else:
        _change_email(user, new_email)
    db.session.commit()
    return user, new_email is not None


def _hold_if_unchanged(user: User, *unchanged: ColumnElement[bool]) -> None:
    """Hold the user's row until commit, if the state a link was made for still holds.

    Two parallel uses of one link both pass the token check, so the database
    checks again, with an UPDATE that changes nothing but holds the row: the
    second use waits until the first commits (PostgreSQL's row lock, SQLite's
    write lock), then finds the state changed and nothing to hold: BadLink("used").
    The link's change is then made as any other, so shared_models.versions sees it.
    """
    held = db.session.execute(
        update(User)
        .where(User.id == user.id, *unchanged)
        .values(id=User.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if held != 1:
        db.session.rollback()
        raise BadLink("used")


# An unconfirmed account lives as long as the link that confirms it: after that nobody
# can confirm it, and it would only keep its username and address from their owners.
UNCONFIRMED_ACCOUNT_LIFETIME = tokens.CONFIRM_EMAIL.max_age


def remove_stale_unconfirmed_accounts(now: datetime | None = None) -> int:
    """Remove the unconfirmed accounts older than their confirmation link; commits, says how many.

    Anyone can sign up with someone else's address, or to keep a username: this
    frees both. The worker runs it on a schedule (shared_web.tasks).
    """
    cutoff = (now or utcnow()) - UNCONFIRMED_ACCOUNT_LIFETIME
    stale = (User.email_confirmed_at.is_(None), User.created_at < cutoff)
    users = {user.id: user for user in db.session.scalars(select(User).where(*stale))}
    # Deleted by a statement that checks again, so an address confirmed meanwhile (a
    # password reset confirms one) keeps its account. The database removes what an
    # account holds with it: its site and posts, sessions, tokens and queued emails.
    removed = db.session.scalars(
        delete(User)
        .where(User.id.in_(users), *stale)
        .returning(User.id)
        # The session learns which rows went from the database, not by comparing in Python.
        .execution_options(synchronize_session="fetch")
    ).all()
    for user_id in removed:
        user = users[user_id]
        audit.record_event(audit.USER_REMOVED_UNCONFIRMED, target=user, detail=user.username)
    db.session.commit()
    return len(removed)


def authenticate(email: str, password: str) -> User | None:
    """Return the active user these credentials belong to, or None.

    Unknown email, wrong password and suspended account all answer None after
    the same amount of hashing work, so the answer leaks nothing. The right
    password for an unconfirmed address raises EmailNotConfirmed.
    """
    user = get_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
    elif check_password_hash(user.password_hash, password) and user.is_active:
        # Only the password's owner learns that the address waits for confirmation.
        if not user.is_confirmed:
            raise EmailNotConfirmed(user.email)
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


def check_current_password(user: User, password: str) -> None:
    """Raise RuleViolation unless this is the user's password; a wrong one is audited.

    For the forms of a signed-in user that ask for it again: whoever holds a
    copy of the session must not get what only the password should give.
    """
    if not check_password_hash(user.password_hash, password):
        audit.record_event(audit.USER_PASSWORD_CHANGE_FAILED, actor=user, target=user)
        db.session.commit()
        raise RuleViolation(N_("That is not your current password."), field="current_password")


def change_password(
    user: User, current_password: str, new_password: str, keep_session: str | None = None
) -> list[ApiToken]:
    """Set a new password, ending every other session and revoking the API tokens; commits.

    `keep_session` is the id of the session asking, which stays signed in (the
    others end, remember-me cookies included). Pending reset and email-change
    links die with the old password. Returns the tokens revoked, for the page
    to list.
    """
    check_current_password(user, current_password)
    check_new_password(new_password, field="new_password")
    user.password_hash = _hash_password(new_password)
    revoked = _evict_everyone_else(user, keep_session)
    audit.record_event(audit.USER_PASSWORD_CHANGED, actor=user, target=user)
    db.session.commit()
    return revoked


def _evict_everyone_else(user: User, keep_session: str | None = None) -> list[ApiToken]:
    """What a new password takes from whoever knew the old one: their sessions and tokens.

    (Their reset and email-change links die with the old password hash.)
    """
    sessions.end_sessions(user, keep=keep_session)
    return api_tokens.revoke_every_token(user)


def create_api_token(
    user: User, name: str, scope: str, current_password: str
) -> tuple[ApiToken, str]:
    """The tokens form: make a token, shown once; a write token asks for the password first.

    A write token can change and delete everything the account has, and it
    outlives any session, so a copy of a session must not be enough to make one.
    (api_tokens.create_token makes one outright, for the command line and tests.)
    """
    if scope == TokenScope.WRITE:
        if not current_password:
            raise RuleViolation(
                N_("Enter your password to make a write token."), field="current_password"
            )
        check_current_password(user, current_password)
    return api_tokens.create_token(user, name, scope)


def request_password_reset(email: str) -> None:
    """Email a reset link to the account with this address, or a note to it; commits."""
    email = check_email(email)
    user = get_user_by_email(email)
    if user is None:
        outbox.queue_email(EmailKind.NO_ACCOUNT, email, reason="password_reset")
        audit.record_event(audit.USER_PASSWORD_RESET_REQUESTED, detail=email)
    else:
        outbox.queue_email(EmailKind.RESET_PASSWORD, user.email, user)
        audit.record_event(audit.USER_PASSWORD_RESET_REQUESTED, actor=user, target=user)
    db.session.commit()


def check_reset_token(token: str) -> User:
    """The user a password reset link is for; BadLink if it opens nothing."""
    user, _ = tokens.read_token(tokens.RESET_PASSWORD, token)
    return user


def reset_password(token: str, new_password: str) -> list[ApiToken]:
    """Set a new password from a reset link, end every session, revoke the API tokens; commits.

    The link proves the address too, so an unconfirmed account is confirmed.
    Of two parallel uses of one link, one sets its password and the other gets
    BadLink("used"). Returns the tokens revoked, for the page to list.
    """
    user = check_reset_token(token)
    check_new_password(new_password, field="new_password")
    new_hash = _hash_password(new_password)
    _hold_if_unchanged(user, User.password_hash == user.password_hash)
    user.password_hash = new_hash
    revoked = _evict_everyone_else(user)
    if not user.is_confirmed:
        user.email_confirmed_at = utcnow()
        audit.record_event(audit.USER_EMAIL_CONFIRMED, actor=user, target=user, detail=user.email)
    audit.record_event(audit.USER_PASSWORD_RESET, actor=user, target=user)
    db.session.commit()
    return revoked


def request_email_change(user: User, new_email: str, current_password: str) -> None:
    """Email a link to the new address, where the password applies the change. Commits.

    An address that has an account already gets a note instead, and the answer
    is the same, so the form cannot be used to find out who has an account.
    """
    check_current_password(user, current_password)
    new_email = check_email(new_email, field="new_email")
    if new_email == user.email:
        raise RuleViolation(N_("That is already your email address."), field="new_email")
    owner = get_user_by_email(new_email)
    if owner is None:
        outbox.queue_email(EmailKind.CONFIRM_NEW_EMAIL, new_email, user)
    else:
        outbox.queue_email(EmailKind.ACCOUNT_EXISTS, owner.email, owner, reason="email_change")
    db.session.commit()


def _change_email(user: User, new_email: str) -> None:
    """Apply an email change from the link sent to the new address, and tell the old one."""
    old_email = user.email
    _hold_if_unchanged(user, User.email == old_email, User.password_hash == user.password_hash)
    user.email, user.email_confirmed_at = new_email, utcnow()
    try:
        db.session.flush()
    except IntegrityError:
        # Someone signed up with the address since the link was checked.
        db.session.rollback()
        raise BadLink("taken") from None
    audit.record_event(
        audit.USER_EMAIL_CHANGED, actor=user, target=user, detail=f"{old_email} → {new_email}"
    )
    outbox.queue_email(EmailKind.EMAIL_CHANGED, old_email, user, new_email=new_email)


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
    that password, every session and every API token, and the account is active
    and confirmed. Returns (user, created).
    """
    check_new_password(password)
    user = get_user_by_email(email)
    created = user is None
    if created:
        user = sign_up(_username_from_email(email), email, password, confirmed=True)
    else:
        user.password_hash = _hash_password(password)
        _evict_everyone_else(user)
        user.is_suspended = False
        # Whoever runs the command vouches for the address.
        if not user.is_confirmed:
            user.email_confirmed_at = utcnow()
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
