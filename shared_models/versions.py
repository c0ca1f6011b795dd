"""Versions of what the public pages show, bumped in the same transaction as every change to it.

A site's `content_version` goes up whenever its public pages would show
something else: its title or tagline changed, a published post was written,
edited, unpublished or deleted (by its owner, an admin or the API alike), its
owner was suspended, reactivated or confirmed their address. The site-wide
`PublicVersion` goes up with any of these, since the home page lists every site.

They are bumped here, once, by watching what each flush writes, rather than by
every function that writes: a change made by new code is counted too. Being in
the same transaction as the change, a version read before a page's rows always
names rows at least that new, so anything keyed by versions (shared_web's page
cache) can never keep an old copy under a new version, even if the cache was
down when the change was made.
"""

from dataclasses import dataclass

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from shared_models.database import db
from shared_models.models import Post, PublicVersion, Site, User

# A user's columns that decide whether their site is public at all.
OWNER_STANDING = ("is_suspended", "email_confirmed_at")
SITE_FIELDS = ("title", "tagline")


@dataclass(frozen=True)
class Version:
    """Which data a list shows (`of`: every site's posts, or one site's; which page) and
    which state of it (`number`).

    A copy of the list is kept under what it shows and checked against the number, so
    a change replaces the copy rather than adding one more beside it.
    """

    of: tuple
    number: int

    def page(self, number: int, size: int) -> "Version":
        """The same data's page `number`, of `size` rows."""
        return Version((*self.of, number, size), self.number)


def public_version() -> int:
    """The site-wide version: read it before the rows a copy is made of."""
    return db.session.execute(select(PublicVersion.number)).scalar() or 0


def public_posts_version() -> Version:
    """The version of what the home page lists: every public site's posts."""
    return Version(("public",), public_version())


def site_posts_version(site: Site) -> Version:
    """The version of what a site's front page and feed list: its posts, title and tagline."""
    return Version(("site", site.id), site.content_version or 0)


def _changed(row, names) -> bool:
    state = inspect(row)
    return any(state.attrs[name].history.has_changes() for name in names)


def _post_is_public_or_was(post: Post) -> bool:
    """Drafts are on no public page, until they are published."""
    return bool(post.is_published) or True in inspect(post).attrs.is_published.history.deleted


def _sites_shown_differently(session: Session) -> set[Site]:
    sites = set()
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Post) and _post_is_public_or_was(row):
            sites.add(row.site)
        elif isinstance(row, Site) and row not in session.deleted:
            if row in session.new or _changed(row, SITE_FIELDS):
                sites.add(row)
        elif isinstance(row, User) and row not in session.new and _changed(row, OWNER_STANDING):
            sites.add(row.site)
    sites.discard(None)
    return {site for site in sites if site not in session.deleted}


@event.listens_for(Session, "before_flush")
def bump_versions(session: Session, flush_context, instances) -> None:
    """Bump the version of each site whose public pages this flush changes, and the global one."""
    sites = _sites_shown_differently(session)
    if not sites:
        return
    for site in sites:
        site.content_version = (site.content_version or 0) + 1
    # Core, on the flush's own connection: an ORM statement here would flush again.
    session.connection().execute(
        update(PublicVersion.__table__).values(number=PublicVersion.__table__.c.number + 1)
    )
