"""The reads each page makes, built so a page's query count does not grow with its rows."""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import contains_eager, defer, joinedload, selectinload

from shared_models.accounts import USERNAME_PATTERN
from shared_models.database import db
from shared_models.models import AuditEvent, Post, Site, User, as_utc
from shared_models.versions import Version, public_posts_version, site_posts_version

POSTS_PER_PAGE = 10
ROWS_PER_ADMIN_PAGE = 25
# Ten entries, as most blog engines send: a feed reader polls often, and each entry
# carries the whole post (twenty made a 100 KB feed, nine times the stylesheet).
FEED_LENGTH = 10
MAX_PAGE = 10_000
# The admin's user search: longer text could match nothing a username or email holds.
USER_SEARCH_MAX = 100


def page_number(raw: str | None) -> int:
    """A page number from a query string: garbage, zero and negatives mean the first page."""
    try:
        page = int(raw or 1)
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


class Page:
    """One page of a list: its rows, and whether a newer or an older page follows.

    There is no "of N": counting every row would make each page as slow as the
    list is long (the home page's count read every public post), and a reader
    moving through a blog needs only the next and previous pages. One row more
    than the page shows tells whether an older page exists.

    The rows are read when first used: a page whose rendered list comes from the
    page cache never reads them. `version`, when given, names the rows the query reads
    and their state (see shared_models.versions): equal versions mean equal rows.
    """

    def __init__(
        self, query: Select, page: str | None, per_page: int, version: Version | None = None
    ):
        self.query = query
        self.page = page_number(page)
        self.per_page = per_page
        self.version = version.page(self.page, per_page) if version else None

    @cached_property
    def _rows(self) -> list:
        offset = (self.page - 1) * self.per_page
        return list(
            db.session.execute(self.query.limit(self.per_page + 1).offset(offset)).scalars()
        )

    @property
    def items(self) -> list:
        return self._rows[: self.per_page]

    @property
    def has_next(self) -> bool:
        return len(self._rows) > self.per_page

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def prev_num(self) -> int:
        return self.page - 1


def paginate(query: Select, page: str | None, per_page: int) -> Page:
    """One page of a query; a page past the end is empty rather than an error."""
    return Page(query, page, per_page)


# Whose sites are public: owners who are not suspended and have confirmed their address.
_PUBLIC_OWNER = (User.is_suspended.is_(False), User.email_confirmed_at.is_not(None))


def _public_posts() -> Select:
    return (
        select(Post)
        .join(Post.site)
        .join(Site.owner)
        .where(Post.is_published.is_(True), *_PUBLIC_OWNER)
        .options(contains_eager(Post.site))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def newest_public_posts() -> Select:
    """Published posts of every public site, newest first."""
    return _public_posts()


def home_page_posts(page: str | None) -> Page:
    """A page of the home page's list: published posts of every public site, newest first."""
    return Page(newest_public_posts(), page, POSTS_PER_PAGE, public_posts_version())


def public_site(slug: str) -> Site | None:
    """The site with this slug, unless its owner is suspended or not confirmed yet."""
    # Site slugs are usernames: anything else names no site, and is never sent
    # to the database (PostgreSQL would choke on a NUL byte from the URL).
    if not USERNAME_PATTERN.fullmatch(slug):
        return None
    return db.session.execute(
        select(Site).join(Site.owner).where(Site.slug == slug, *_PUBLIC_OWNER)
    ).scalar_one_or_none()


def site_public_posts(site: Site) -> Select:
    """A site's published posts, newest first (its front page and feed)."""
    return (
        select(Post)
        .where(Post.site_id == site.id, Post.is_published.is_(True))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def front_page_posts(site: Site, page: str | None) -> Page:
    """A page of a site's front page: its published posts, newest first."""
    return Page(site_public_posts(site), page, POSTS_PER_PAGE, site_posts_version(site))


def site_feed_posts(site: Site) -> Page:
    """The posts of a site's feed: its newest published ones."""
    return Page(site_public_posts(site), None, FEED_LENGTH, site_posts_version(site))


def public_post(site: Site, slug: str) -> Post | None:
    return db.session.execute(
        select(Post).where(Post.site_id == site.id, Post.slug == slug, Post.is_published.is_(True))
    ).scalar_one_or_none()


def owned_post(user: User, post_id: int) -> Post | None:
    """The post with this id if it belongs to the user's site; anyone else's answers None."""
    return db.session.execute(
        select(Post)
        .join(Post.site)
        .where(Post.id == post_id, Site.owner_id == user.id)
        .options(contains_eager(Post.site))
    ).scalar_one_or_none()


def user_posts(user: User) -> Select:
    """Every post of the user's site, drafts included, most recently changed first."""
    return (
        select(Post)
        .join(Post.site)
        .where(Site.owner_id == user.id)
        .options(contains_eager(Post.site))
        .order_by(Post.updated_at.desc(), Post.id.desc())
    )


# Keyset ("cursor") pages, for the API: a page starts right after the last row of
# the one before it, named by its sort key, rather than at a row number. So a
# page costs the same however deep it is, and posts written in the meantime
# (which sort first) neither shift a later page nor show up on it twice.

PostKey = tuple[datetime, int]


@dataclass(frozen=True)
class KeysetPage:
    """A page of posts and, when more follow, the sort key of its last post."""

    items: list[Post]
    next_key: PostKey | None


def after_key(query: Select, time_column, key: PostKey | None) -> Select:
    """The query's rows that sort after `key` in (time, id) descending order; all without one.

    The first condition alone is a plain range on the time column, which its index
    seeks to; the second breaks ties between posts saved in the same instant.
    """
    if key is None:
        return query
    moment, post_id = key
    return query.where(
        time_column <= moment,
        or_(time_column < moment, and_(time_column == moment, Post.id < post_id)),
    )


def _keyset_page(query: Select, time_column, after: PostKey | None, size: int) -> KeysetPage:
    # One row more than the page shows tells whether another page follows.
    rows = list(db.session.execute(after_key(query, time_column, after).limit(size + 1)).scalars())
    items = rows[:size]
    if len(rows) <= size:
        return KeysetPage(items, None)
    last = items[-1]
    return KeysetPage(items, (as_utc(getattr(last, time_column.key)), last.id))


# The API's pages carry each post's excerpt, not its text: the body and its HTML are not
# read at all (and reading one raises), so a page of a hundred of the longest posts reads
# kilobytes, not 80 MB. The post's own URL answers its text.
_WITHOUT_TEXT = (defer(Post.body, raiseload=True), defer(Post.body_html, raiseload=True))


def site_public_posts_page(site: Site, after: PostKey | None, size: int) -> KeysetPage:
    """A site's published posts, newest first, from after the (published_at, id) key; no text."""
    query = site_public_posts(site).options(*_WITHOUT_TEXT)
    return _keyset_page(query, Post.published_at, after, size)


def user_posts_page(user: User, after: PostKey | None, size: int) -> KeysetPage:
    """The user's posts, drafts included, last changed first, after (updated_at, id); no text."""
    return _keyset_page(user_posts(user).options(*_WITHOUT_TEXT), Post.updated_at, after, size)


def search_users(text: str = "") -> Select:
    """Users whose username or email contains the text, newest first."""
    query = select(User).options(selectinload(User.site)).order_by(User.id.desc())
    text = text.strip().lower()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(User.username.like(pattern, escape="\\"), User.email.like(pattern, escape="\\"))
        )
    return query


def all_posts() -> Select:
    """Every post on the platform, newest first, with its site and author."""
    return (
        select(Post)
        .options(joinedload(Post.site).joinedload(Site.owner))
        .order_by(Post.created_at.desc(), Post.id.desc())
    )


def audit_log() -> Select:
    return (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )


def newest_audit_events(limit: int = 10) -> list[AuditEvent]:
    return list(db.session.execute(audit_log().limit(limit)).scalars())


@dataclass(frozen=True)
class PlatformCounts:
    users: int
    suspended_users: int
    sites: int
    posts: int
    published_posts: int


def platform_counts() -> PlatformCounts:
    """The numbers on the admin dashboard, in one statement (one round trip to the database)."""

    def count(column, *conditions):
        return select(func.count(column)).where(*conditions).scalar_subquery()

    users, suspended, sites, posts, published = db.session.execute(
        select(
            count(User.id),
            count(User.id, User.is_suspended.is_(True)),
            count(Site.id),
            count(Post.id),
            count(Post.id, Post.is_published.is_(True)),
        )
    ).one()
    return PlatformCounts(users, suspended, sites, posts, published)


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def get_post(post_id: int) -> Post | None:
    return db.session.get(Post, post_id)


def database_is_up() -> bool:
    """True when the database answers a trivial query."""
    try:
        db.session.execute(select(1))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
