"""Every list query reads its page in index order (SQLite's plans).

No timings here: EXPLAIN QUERY PLAN says whether a list reads the whole table or
sorts it, and that does not depend on the machine. `make bench --growth` measures.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text

from deploy import LAYOUTS
from shared_models import db, queries
from shared_models.models import AuditEvent, Post, Site, User
from tests.support.apps import make_app

POSTS = 10_000
WRITERS = 50


def post_row(n: int, start: datetime) -> dict:
    """Post n of the platform, written n minutes after `start`; every tenth is a draft."""
    written = start + timedelta(minutes=n)
    published = n % 10 != 0
    return {
        "site_id": n % WRITERS + 1,
        "title": f"Post {n}",
        "slug": f"post-{n}",
        "is_published": published,
        "published_at": written if published else None,
        "created_at": written,
        "updated_at": written,
    }


@pytest.fixture
def platform(database_url):
    """50 writers with 10,000 posts between them (a few drafts), and an audit event each."""
    app = make_app(LAYOUTS[0], database_url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    writers = range(1, WRITERS + 1)
    users = [
        {"id": n, "username": f"writer-{n}", "email": f"w{n}@example.com", "password_hash": "x"}
        for n in writers
    ]
    sites = [{"id": n, "owner_id": n, "slug": f"writer-{n}", "title": f"Site {n}"} for n in writers]
    posts = [post_row(n, start) for n in range(POSTS)]
    events = [{"action": "user.signup", "actor_id": n} for n in writers]
    with app.app_context():
        for model, rows in [(User, users), (Site, sites), (Post, posts), (AuditEvent, events)]:
            db.session.execute(insert(model), rows)
        db.session.commit()
        yield db.session.get(User, 1)
        db.session.remove()
        db.engine.dispose()


def list_query(name: str, user: User):
    return {
        "home": queries.newest_public_posts,
        "site front page": lambda: queries.site_public_posts(user.site),
        "dashboard": lambda: queries.user_posts(user),
        "admin posts": queries.all_posts,
        "admin users": queries.search_users,
        "audit log": queries.audit_log,
    }[name]()


def plan(statement) -> list[str]:
    """The steps of SQLite's plan for a statement, e.g. 'SCAN posts USING INDEX …'."""
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    return [row[3] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]


def page_of(query):
    """The statement queries.Page runs for a page's rows: one more than it shows."""
    return query.limit(queries.POSTS_PER_PAGE + 1).offset(0)


LISTS = ["home", "site front page", "dashboard", "admin posts", "admin users", "audit log"]


@pytest.mark.parametrize("name", LISTS)
def test_a_list_page_reads_its_rows_in_index_order(platform, name):
    steps = plan(page_of(list_query(name, platform)))

    assert not [step for step in steps if "TEMP B-TREE" in step], steps  # no sort of every row
    # A bare SCAN reads the table in storage order: every row, to find a page's worth.
    assert not [step for step in steps if step in {"SCAN posts", "SCAN audit_events"}], steps


def keyset_page_of(name: str, user: User):
    """The statement an API page after the 5,000th post runs."""
    key = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=POSTS // 2), POSTS // 2)
    if name == "site posts":
        query = queries.after_key(queries.site_public_posts(user.site), Post.published_at, key)
    else:
        query = queries.after_key(queries.user_posts(user), Post.updated_at, key)
    return query.limit(101)


@pytest.mark.parametrize("name", ["site posts", "my posts"])
def test_an_api_page_seeks_its_place_in_an_index_and_reads_in_its_order(platform, name):
    steps = plan(keyset_page_of(name, platform))

    assert not [step for step in steps if "TEMP B-TREE" in step], steps
    assert [step for step in steps if step.startswith("SEARCH posts USING") and "<" in step], steps


def test_the_check_can_fail_a_list_ordered_by_an_unindexed_column(platform):
    steps = plan(page_of(queries.newest_public_posts().order_by(None).order_by(Post.title)))

    assert [step for step in steps if "TEMP B-TREE" in step], steps
