"""shared_models.queries, without HTTP: what public lists show, in which order, and pagination."""

from datetime import UTC, datetime, timedelta

import pytest

from shared_models import accounts, db, publishing, queries
from tests.support.clients import PASSWORD


@pytest.fixture
def people(domain_app):
    """An admin, two active writers and a suspended one, each with a published post and a draft."""
    admin, _ = accounts.create_admin("boss@example.com", PASSWORD)
    users = {"boss": admin}
    for name in ("ada", "grace", "susan"):
        users[name] = accounts.sign_up(name, f"{name}@example.com", PASSWORD, confirmed=True)
        publishing.create_post(users[name], f"{name} published", "x", True)
        publishing.create_post(users[name], f"{name} draft", "x", False)
    accounts.suspend_user(admin, users["susan"])
    return users


def titles(select_or_list):
    rows = (
        select_or_list
        if isinstance(select_or_list, list)
        else db.session.execute(select_or_list).scalars()
    )
    return [post.title for post in rows]


def test_the_newest_public_posts_leave_out_drafts_and_suspended_users(people):
    assert sorted(titles(queries.newest_public_posts())) == ["ada published", "grace published"]


def test_public_lists_are_ordered_by_publication_date_newest_first(people):
    now = datetime.now(UTC)
    # Publication dates that disagree with the order the posts were written in.
    for title, days_ago in [("ada published", 1), ("grace published", 5)]:
        post = next(
            p for p in db.session.execute(queries.all_posts()).scalars() if p.title == title
        )
        post.published_at = now - timedelta(days=days_ago)
    older = publishing.create_post(people["grace"], "grace older", "x", True)
    older.published_at = now - timedelta(days=3)
    db.session.commit()

    assert titles(queries.newest_public_posts()) == [
        "ada published",
        "grace older",
        "grace published",
    ]
    assert titles(queries.site_public_posts(people["grace"].site)) == [
        "grace older",
        "grace published",
    ]


def test_a_sites_public_posts_are_its_own_published_ones(people):
    assert titles(queries.site_public_posts(people["ada"].site)) == ["ada published"]


def test_the_feed_lists_at_most_feed_length_posts(people):
    for n in range(queries.FEED_LENGTH + 3):
        publishing.create_post(people["ada"], f"Post {n}", "", True)

    feed = queries.site_feed_posts(people["ada"].site).items

    assert len(feed) == queries.FEED_LENGTH
    assert feed[0].title == f"Post {queries.FEED_LENGTH + 2}"


def test_a_suspended_users_site_is_not_public(people):
    assert queries.public_site("ada") == people["ada"].site
    assert queries.public_site("susan") is None


def test_an_unknown_or_malformed_site_slug_finds_nothing(people):
    for slug in ["nobody", "", "ADA", "ada/", "a\x00da", "../ada", "ada%"]:
        assert queries.public_site(slug) is None, slug


def test_a_draft_is_not_a_public_post(people):
    site = people["ada"].site

    assert queries.public_post(site, "ada-published").title == "ada published"
    assert queries.public_post(site, "ada-draft") is None


def test_owned_post_finds_only_the_users_own_posts(people):
    adas_post = queries.public_post(people["ada"].site, "ada-published")

    assert queries.owned_post(people["ada"], adas_post.id) == adas_post
    assert queries.owned_post(people["grace"], adas_post.id) is None
    assert queries.owned_post(people["boss"], adas_post.id) is None


def test_user_posts_include_drafts_most_recently_changed_first(people):
    draft = next(p for p in people["ada"].site.posts if p.title == "ada draft")
    publishing.update_post(draft, "ada draft", "changed", False)

    assert titles(queries.user_posts(people["ada"])) == ["ada draft", "ada published"]


def test_all_posts_include_everyones_drafts_newest_first(people):
    all_titles = titles(queries.all_posts())

    assert len(all_titles) == 6
    assert all_titles[0] == "susan draft"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", {"boss", "ada", "grace", "susan"}),
        ("gra", {"grace"}),
        ("ADA@", {"ada"}),
    ],
)
def test_search_users_matches_username_or_email(people, text, found):
    users = db.session.execute(queries.search_users(text)).scalars()

    assert {user.username for user in users} == found


def test_search_users_reads_wildcards_literally(people):
    for text in ("%", "_", "\\", "a%a", "gr_ce"):
        assert db.session.execute(queries.search_users(text)).first() is None, text


def test_platform_counts(people):
    counts = queries.platform_counts()

    assert (counts.users, counts.suspended_users, counts.sites) == (4, 1, 4)
    assert (counts.posts, counts.published_posts) == (6, 3)


def test_the_audit_log_is_newest_first(people):
    actions = [event.action for event in db.session.execute(queries.audit_log()).scalars()]

    assert actions[0] == "user.suspended"
    assert actions[-1] == "user.signup"
    assert [e.action for e in queries.newest_audit_events(limit=2)] == actions[:2]


@pytest.mark.parametrize(
    ("raw", "page"),
    [
        (None, 1),
        ("", 1),
        ("3", 3),
        ("0", 1),
        ("-4", 1),
        ("abc", 1),
        ("1.5", 1),
        (str(10**30), queries.MAX_PAGE),
        ("9" * 5000, 1),
    ],
)
def test_page_number_turns_anything_into_a_page(raw, page):
    assert queries.page_number(raw) == page


def test_a_page_past_the_end_is_empty(people):
    page = queries.paginate(queries.newest_public_posts(), "50", queries.POSTS_PER_PAGE)

    assert page.items == []
    assert page.page == 50


def test_database_is_up(domain_app):
    assert queries.database_is_up()


def test_keyset_pages_walk_a_site_in_order_even_through_ties(domain_app):
    """On every database: equal publication times are ordered by id, and none is lost."""
    writer = accounts.sign_up("ada", "ada@example.com", PASSWORD)
    posts = [publishing.create_post(writer, f"Post {n}", "x", True) for n in range(7)]
    moment = datetime(2026, 11, 23, 14, 5, 0, 123456, tzinfo=UTC)
    for n, post in enumerate(posts):
        # Three share one instant; the others are a microsecond apart.
        post.published_at = moment + timedelta(microseconds=max(n - 2, 0))
    db.session.commit()

    pages, key = [], None
    while True:
        page = queries.site_public_posts_page(writer.site, key, 2)
        pages.append(titles(page.items))
        if page.next_key is None:
            break
        key = page.next_key

    assert pages == [
        ["Post 6", "Post 5"],
        ["Post 4", "Post 3"],
        ["Post 2", "Post 1"],
        ["Post 0"],
    ]
