"""Query counts: a list page runs the same number of SQL statements for 5 rows as for 50.

Public lists are counted as drawn in full (the page cache emptied first), and
again as most views find them, with their list in the page cache.
"""

import pytest

from shared_models import db, publishing
from shared_models.models import Post, Site, User, utcnow
from shared_web.page_cache import cache
from tests.support.clients import PASSWORD, AuthActions

FEW, MANY = 5, 50
# An anonymous public list: the version of what it shows (the site, on its front page;
# the site-wide version on the home page), then the page of posts with one row more
# than it shows (no count: pages say Newer and Older, not "of N"). With the list in
# the page cache, only the version. A signed-in visitor's list adds the user (with their
# site, in the same statement).
MOST_FOR_A_PUBLIC_LIST = 2
MOST_FOR_A_CACHED_PUBLIC_LIST = 1
MOST_FOR_ANY_LIST = 3

# (who looks, at which page)
LIST_PAGES = [
    ("anonymous", "/"),
    ("anonymous", "/sites/boss/"),
    ("writer", "/"),
    ("writer", "/sites/boss/"),
    ("boss", "/dashboard/"),
    ("boss", "/admin/"),
    ("boss", "/admin/users"),
    ("boss", "/admin/posts"),
    ("boss", "/admin/audit"),
]


@pytest.fixture
def grow(app, find_user):
    """Bring the platform to `n` writers, each on their own site with a post; boss writes too.

    Rows are added in one transaction: the domain's one-commit-per-call would
    make this fixture slower than all the tests that use it.
    """
    boss_id = find_user("boss").id
    state = {"writers": 0}

    def to(n):
        with app.app_context():
            boss_site = db.session.get(User, boss_id).site
            while state["writers"] < n:
                index = state["writers"]
                writer = User(
                    username=f"writer-{index:03}",
                    email=f"w{index}@example.com",
                    password_hash=db.session.get(User, boss_id).password_hash,
                    email_confirmed_at=utcnow(),
                )
                writer.site = Site(slug=writer.username, title=f"Writer {index}", tagline="")
                db.session.add_all(
                    [
                        writer,
                        new_post(writer.site, f"Post by writer {index}", published=True),
                        new_post(boss_site, f"Boss post {index}", published=index % 2 == 0),
                    ]
                )
                state["writers"] += 1
            db.session.commit()

    return to


BODY = "Some *Markdown*, with a [link](https://example.com)."
BODY_HTML = publishing.render_markdown(BODY)


def new_post(site, title, published):
    return Post(
        site=site,
        title=title,
        slug=publishing.slugify(title),
        body=BODY,
        body_html=BODY_HTML,
        is_published=published,
        published_at=utcnow() if published else None,
    )


@pytest.fixture
def browsers(app, client, admin_client, grow):
    """A browser for each kind of visitor, with a few rows in place for the writer to sign in."""
    grow(FEW)
    writer = app.test_client()
    # grow() gives every writer boss's password hash: one hashing for fifty accounts.
    AuthActions(writer).login("w0@example.com", password=PASSWORD)
    return {"anonymous": client, "writer": writer, "boss": admin_client}


def statements_per_page(app, browsers, count_queries, cached=False):
    """How many SQL statements each list page runs for its visitor (after a warming GET).

    Drawn in full unless `cached`: then the warming GET's copy of the list is used.
    """
    counts = {}
    for who, url in LIST_PAGES:
        browsers[who].get(url)
        if not cached:
            with app.app_context():
                cache.clear()
        with count_queries() as statements:
            response = browsers[who].get(url)
        assert response.status_code == 200, (who, url)
        counts[f"{url} as {who}"] = len(statements)
    return counts


def test_list_pages_run_as_many_statements_for_50_rows_as_for_5(app, browsers, grow, count_queries):
    with_few = statements_per_page(app, browsers, count_queries)
    grow(MANY)
    with_many = statements_per_page(app, browsers, count_queries)

    assert with_many == with_few


def test_anonymous_public_lists_run_at_most_two_statements(app, browsers, grow, count_queries):
    grow(MANY)

    counts = statements_per_page(app, browsers, count_queries)

    for page in ("/ as anonymous", "/sites/boss/ as anonymous"):
        assert counts[page] <= MOST_FOR_A_PUBLIC_LIST, page


def test_a_cached_public_list_runs_one_statement_and_one_more_for_the_user(
    app, browsers, grow, count_queries
):
    grow(MANY)

    counts = statements_per_page(app, browsers, count_queries, cached=True)

    for page in ("/", "/sites/boss/"):
        assert counts[f"{page} as anonymous"] == MOST_FOR_A_CACHED_PUBLIC_LIST, page
        assert counts[f"{page} as writer"] == MOST_FOR_A_CACHED_PUBLIC_LIST + 1, page


def test_every_list_page_runs_at_most_three_statements(app, browsers, grow, count_queries):
    """Signed-in lists too: the dashboard and every admin list, the admin's counts included."""
    grow(MANY)

    counts = statements_per_page(app, browsers, count_queries)

    too_many = {page: count for page, count in counts.items() if count > MOST_FOR_ANY_LIST}
    assert too_many == {}


@pytest.mark.parametrize("url", ["/sites/boss/boss-post-0", "/sites/boss/feed.xml"])
def test_a_post_page_and_a_feed_run_a_handful_of_statements(browsers, grow, count_queries, url):
    grow(MANY)
    browsers["anonymous"].get(url)

    with count_queries() as statements:
        assert browsers["anonymous"].get(url).status_code == 200

    assert len(statements) <= MOST_FOR_A_PUBLIC_LIST
