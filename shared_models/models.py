"""The tables: users with their sessions and API tokens, their sites and posts, the audit
log and the outbox of emails."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_models.database import db

USERNAME_MIN = 3
USERNAME_MAX = 30
EMAIL_MAX = 254
PASSWORD_MIN = 8
PASSWORD_MAX = 128
SITE_TITLE_MAX = 100
TAGLINE_MAX = 200
POST_TITLE_MAX = 200
POST_SLUG_MAX = 80
POST_BODY_MAX = 100_000
# A post's summary in lists and in its page's description: two or three lines, and
# what search engines show. Cut at a word, plus an ellipsis.
EXCERPT_LENGTH = 220
EXCERPT_MAX = EXCERPT_LENGTH + 1
AUDIT_DETAIL_MAX = 500
USER_AGENT_MAX = 200
ADDRESS_MAX = 45  # the longest text form of an IPv6 address
API_TOKEN_NAME_MAX = 100
# A BCP 47 language tag such as `zh-Hans`: the language a user reads the site in.
LANGUAGE_TAG_MAX = 35
EMAIL_ERROR_MAX = 500


def utcnow() -> datetime:
    """The current time, timezone-aware; passed as a callable default, never called at import."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything Inkpot stores is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Role(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


class TokenScope(enum.StrEnum):
    """What an API token may do: `read` reads, `write` also creates, changes and deletes."""

    READ = "read"
    WRITE = "write"


class RevokedBecause(enum.StrEnum):
    """Why an API token stopped working."""

    OWNER = "owner"  # its owner revoked it
    # A new password (changed or reset) revokes every token, in case someone else made one.
    PASSWORD_CHANGED = "password_changed"


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('user', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default=Role.USER)
    is_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The language the user chose to read the site in; None until they choose.
    locale: Mapped[str | None] = mapped_column(String(LANGUAGE_TAG_MAX))
    # When the owner opened the link sent to their address; until then the
    # account cannot sign in and its site is not public.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    site: Mapped[Site] = relationship(back_populates="owner", uselist=False)
    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    api_tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # Which of the user's sessions this object was loaded or signed in for (not a
    # column): Flask-Login keeps it in the session and remember-me cookies.
    session_id = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    # The four attributes Flask-Login expects, without importing it here.
    @property
    def is_active(self) -> bool:
        return not self.is_suspended

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_id

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserSession(db.Model):
    """One signed-in browser: ended by sign-out, password change, reset or suspension.

    Its id and a secret go into the browser's cookies; the database keeps the
    secret's hash only, so a copy of the database signs nobody in.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    # "Keep me signed in": such a session may stay idle far longer.
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="sessions")

    def is_named_by(self, session_id: str | None) -> bool:
        """Whether a browser's session id (`<row id>.<secret>`) names this row."""
        return (session_id or "").partition(".")[0] == str(self.id)

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"


class ApiToken(db.Model):
    """A personal API token: a name and a scope chosen by its owner, and a hash of the secret.

    The secret itself is shown once, when the token is made; a copy of the
    database lets nobody into the API. A revoked token keeps its row (the audit
    log names it) but never works again.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("scope IN ('read', 'write')", name="scope"),
        CheckConstraint("revoked_because IN ('owner', 'password_changed')", name="revoked_because"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(API_TOKEN_NAME_MAX))
    scope: Mapped[str] = mapped_column(String(10))
    # SHA-256 of the secret: the secret is random and long, so no slow hash is needed.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A RevokedBecause; the tokens page offers to make again those a new password revoked.
    revoked_because: Mapped[str | None] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="api_tokens")

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} of user {self.user_id}>"


class Site(db.Model):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    slug: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    title: Mapped[str] = mapped_column(String(SITE_TITLE_MAX))
    tagline: Mapped[str] = mapped_column(String(TAGLINE_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Goes up with every change to what the site's public pages show (its title and
    # tagline, its published posts, its owner's standing), in the same transaction as
    # the change (shared_models.versions): a copy of a page made at one version is
    # a copy of what the site showed then.
    content_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    owner: Mapped[User] = relationship(back_populates="site")
    posts: Mapped[list[Post]] = relationship(
        back_populates="site", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Site {self.slug}>"


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("site_id", "slug", name="uq_posts_site_id_slug"),
        # The public lists: newest published first, overall and per site. The home
        # page's index ends in id (the order's tie-break) and site_id, so its page
        # is read in index order and its count ("Page 1 of N") from the index alone.
        Index("ix_posts_published_site", "is_published", "published_at", "id", "site_id"),
        Index("ix_posts_site_published", "site_id", "is_published", "published_at"),
        # The owner's dashboard: every post of a site, last changed first.
        Index("ix_posts_site_updated", "site_id", "updated_at"),
        # The admin's list of all posts.
        Index("ix_posts_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(POST_TITLE_MAX))
    slug: Mapped[str] = mapped_column(String(POST_SLUG_MAX))
    body: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitized once, when the post is saved, never per request.
    body_html: Mapped[str] = mapped_column(Text, default="")
    # The start of the text without markup, made with body_html: lists show it.
    excerpt: Mapped[str] = mapped_column(String(EXCERPT_MAX), default="")
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the post first went public; kept if it is later unpublished, so its
    # slug and its place in feeds stay put.
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    site: Mapped[Site] = relationship(back_populates="posts")

    def __repr__(self) -> str:
        return f"<Post {self.site_id}/{self.slug}>"


class PublicVersion(db.Model):
    """One row: goes up with every change to any site's public pages (the home page lists them all).

    The site-wide counterpart of Site.content_version, bumped in the same
    transaction as the change (shared_models.versions).
    """

    __tablename__ = "public_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __repr__(self) -> str:
        return f"<PublicVersion {self.number}>"


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(50))
    target_type: Mapped[str | None] = mapped_column(String(20))
    target_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(String(AUDIT_DETAIL_MAX), default="")

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action}>"


class EmailKind(enum.StrEnum):
    """The emails Inkpot sends; each is rendered from emails/<kind>.txt and .html."""

    CONFIRM_EMAIL = "confirm_email"  # a new account's link to confirm its address
    ACCOUNT_EXISTS = "account_exists"  # to an address that has an account already
    NO_ACCOUNT = "no_account"  # to an address that has none, when a link was asked for it
    RESET_PASSWORD = "reset_password"
    CONFIRM_NEW_EMAIL = "confirm_new_email"  # to the address an account is moving to
    EMAIL_CHANGED = "email_changed"  # to the address an account has moved from


class EmailStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the worker (or for the relay, if its message was lost)
    SENDING = "sending"  # a worker holds it until relay_after
    SENT = "sent"
    FAILED = "failed"  # refused for good (an address that does not exist), or out of retries


class OutboundEmail(db.Model):
    """An email the domain decided to send, written in the same transaction as the change.

    The worker renders and sends it; the row is how a message survives a broker
    or a worker that goes down (see shared_models.outbox). It holds no secret:
    the links' tokens are made when the message is rendered.
    """

    __tablename__ = "outbound_emails"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
        # The relay's question: which unsent messages are overdue?
        Index("ix_outbound_emails_status_relay_after", "status", "relay_after"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Which message: the name of its templates under emails/.
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(EMAIL_MAX))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Plain facts the message needs besides the user (never a secret).
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # The language it is written in: its recipient's choice, else that of the page
    # that sent it (None: the default language). See shared_models.outbox.
    language: Mapped[str | None] = mapped_column(String(LANGUAGE_TAG_MAX))
    status: Mapped[str] = mapped_column(String(10), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Unsent after this moment, the message is relayed to the worker again.
    relay_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(String(EMAIL_ERROR_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutboundEmail {self.id} {self.kind} {self.status}>"
