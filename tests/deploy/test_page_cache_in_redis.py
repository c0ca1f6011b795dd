"""The page cache in Redis, through nginx and gunicorn: every write shows at the next view.

The stack's gunicorn workers keep the rendered post lists and feeds in the
stack's page cache Redis (CACHE_REDIS_URL). Each test views the pages a
write changes, as an anonymous visitor and as a signed-in reader (so the lists
are in Redis), makes the write the way a person or a script would, and views
them again. Anonymous views carry a query string no other request used, so
nginx's one-second micro-cache (tests/deploy/test_micro_cache.py) has no copy
and the app answers: what is tested here is the app's own cache.
"""

import sqlite3
import uuid

import pytest
import redis

from shared_models import accounts, api_tokens, db, publishing
from shared_models.models import User
from tests.deploy.stacks import Visitor
from tests.support.apps import make_app
from tests.support.clients import CSRF_FIELD, PASSWORD

pytestmark = pytest.mark.slow


def database_url(stack) -> str:
    return stack.config.env_values(stack.config.app_ports[0])["DATABASE_URL"]


@pytest.fixture(scope="module")
def domain(stack):
    """The layout's app on the stack's database, for what no web page does (an admin, a token)."""
    return make_app(stack.config.layout, database_url(stack))


@pytest.fixture(scope="module")
def reader(stack):
    """A signed-in user reading the public pages: nginx never answers them from its cache."""
    visitor = Visitor(stack.url, mailbox=stack.config.mail_dir)
    visitor.sign_up("cache-reader")
    return visitor


@pytest.fixture(scope="module")
def admin(stack, domain):
    with domain.app_context():
        accounts.create_admin("cache-admin@example.com", PASSWORD)
    visitor = Visitor(stack.url)
    fields = {"email": "cache-admin@example.com", "password": PASSWORD}
    assert visitor.submit("/login", fields).status == 302
    return visitor


@pytest.fixture
def writer(stack):
    """A new writer, signed in, with one published post: (visitor, username)."""
    username = f"w{uuid.uuid4().hex[:10]}"
    visitor = Visitor(stack.url, mailbox=stack.config.mail_dir)
    visitor.sign_up(username)
    assert visitor.write_post(f"Opening words of {username}").status == 302
    return visitor, username


def lists(username: str) -> list[str]:
    return ["/", f"/sites/{username}/", f"/sites/{username}/feed.xml"]


def what_readers_see(stack, reader, urls) -> dict:
    """Each page as an anonymous visitor and as the signed-in reader get it from the app."""
    seen = {}
    for url in urls:
        query = f"{'&' if '?' in url else '?'}page-cache-test={uuid.uuid4().hex}"
        for who, visitor in (("anonymous", Visitor(stack.url)), ("reader", reader)):
            response = visitor.get(url + query if who == "anonymous" else url)
            seen[(url, who)] = (response.status, response.text)
    return seen


def everyone_sees(seen: dict, words: str) -> bool:
    return all(status == 200 and words in page for status, page in seen.values())


def no_one_sees(seen: dict, words: str) -> bool:
    return all(words not in page for _, page in seen.values())


def post_id(domain, username: str, title: str) -> int:
    with domain.app_context():
        user = accounts.get_user_by_email(f"{username}@example.com")
        return next(post.id for post in user.site.posts if post.title == title)


def test_the_lists_are_kept_in_redis_and_served_from_it(stack, reader, writer):
    _, username = writer
    what_readers_see(stack, reader, lists(username))
    keys = redis.Redis.from_url(stack.config.cache_url, socket_timeout=5).keys("*")
    assert any(b"home posts" in key for key in keys)
    assert any(b"site feed" in key for key in keys)

    # Behind the domain's back (no version goes up): the copies in Redis still answer,
    # from every worker.
    database = sqlite3.connect(database_url(stack).removeprefix("sqlite:///"))
    with database:
        database.execute(
            "UPDATE posts SET title = 'Changed in secret' WHERE title = ?",
            (f"Opening words of {username}",),
        )
    database.close()
    seen = {}
    for _ in range(3):
        seen.update(what_readers_see(stack, reader, lists(username)))
    assert everyone_sees(seen, f"Opening words of {username}")
    assert no_one_sees(seen, "Changed in secret")
    # Around the shared list, the reader's page is still their own: their name, and one
    # CSRF token (theirs) in every form on it.
    for url in lists(username)[:2]:
        _, page = seen[(url, "reader")]
        assert "(cache-reader)" in page and len(set(CSRF_FIELD.findall(page))) == 1, url


def test_a_new_post_is_on_the_lists_at_once(stack, reader, writer):
    visitor, username = writer
    what_readers_see(stack, reader, lists(username))

    assert visitor.write_post("Second thoughts").status == 302

    assert everyone_sees(what_readers_see(stack, reader, lists(username)), "Second thoughts")


def test_an_edited_post_shows_its_new_title_at_once(stack, domain, reader, writer):
    visitor, username = writer
    number = post_id(domain, username, f"Opening words of {username}")
    what_readers_see(stack, reader, lists(username))

    fields = {"title": f"Revised words of {username}", "body": "More.", "published": "y"}
    assert visitor.submit(f"/dashboard/posts/{number}/edit", fields).status == 302

    seen = what_readers_see(stack, reader, lists(username))
    assert everyone_sees(seen, f"Revised words of {username}")
    assert no_one_sees(seen, f"Opening words of {username}")


def test_a_published_draft_appears_and_an_unpublished_post_leaves(stack, domain, reader, writer):
    visitor, username = writer
    draft = {"title": f"Draft of {username}", "body": "Not yet."}
    assert visitor.submit("/dashboard/posts/new", draft).status == 302
    number = post_id(domain, username, draft["title"])
    assert no_one_sees(what_readers_see(stack, reader, lists(username)), draft["title"])

    published = {**draft, "published": "y"}
    assert visitor.submit(f"/dashboard/posts/{number}/edit", published).status == 302
    assert everyone_sees(what_readers_see(stack, reader, lists(username)), draft["title"])

    assert visitor.submit(f"/dashboard/posts/{number}/edit", draft).status == 302
    assert no_one_sees(what_readers_see(stack, reader, lists(username)), draft["title"])


def test_a_post_deleted_by_its_owner_leaves_the_lists(stack, domain, reader, writer):
    visitor, username = writer
    title = f"Opening words of {username}"
    number = post_id(domain, username, title)
    assert everyone_sees(what_readers_see(stack, reader, lists(username)), title)

    assert visitor.submit(f"/dashboard/posts/{number}/delete", {}, "/dashboard/").status == 302

    assert no_one_sees(what_readers_see(stack, reader, lists(username)), title)


def test_a_post_deleted_by_an_admin_leaves_the_lists(stack, domain, reader, admin, writer):
    _, username = writer
    title = f"Opening words of {username}"
    number = post_id(domain, username, title)
    assert everyone_sees(what_readers_see(stack, reader, lists(username)), title)

    assert admin.submit(f"/admin/posts/{number}/delete", {}, "/admin/posts").status == 302

    assert no_one_sees(what_readers_see(stack, reader, lists(username)), title)


def test_posts_written_changed_and_deleted_through_the_api_show_at_once(
    stack, domain, reader, writer
):
    _, username = writer
    with domain.app_context():
        user = db.session.get(User, accounts.get_user_by_email(f"{username}@example.com").id)
        _, secret = api_tokens.create_token(user, "script", "write")
    script = Visitor(stack.url)

    def call(method, path, body=None):
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        return script.request(method, path, body=body, headers=headers)

    what_readers_see(stack, reader, lists(username))

    created = call("POST", "/api/v1/me/posts", b'{"title": "From a script", "published": true}')
    assert created.status == 201
    assert everyone_sees(what_readers_see(stack, reader, lists(username)), "From a script")

    number = post_id(domain, username, "From a script")
    changed = call("PATCH", f"/api/v1/me/posts/{number}", b'{"title": "Scripted again"}')
    assert changed.status == 200
    seen = what_readers_see(stack, reader, lists(username))
    assert everyone_sees(seen, "Scripted again")
    assert no_one_sees(seen, "From a script")

    assert call("DELETE", f"/api/v1/me/posts/{number}").status == 204
    assert no_one_sees(what_readers_see(stack, reader, lists(username)), "Scripted again")


def test_new_site_settings_show_at_once(stack, reader, writer):
    visitor, username = writer
    what_readers_see(stack, reader, lists(username))

    fields = {"title": f"Almanac of {username}", "tagline": "Numbers woven."}
    assert visitor.submit("/dashboard/site", fields).status == 302

    # The home page names each post's site; the site's page and its feed carry the title.
    assert everyone_sees(what_readers_see(stack, reader, lists(username)), fields["title"])
    feed = Visitor(stack.url).get(f"/sites/{username}/feed.xml?page-cache-test=tagline")
    assert "Numbers woven." in feed.text


def test_a_suspended_writers_posts_leave_and_come_back(stack, domain, reader, admin, writer):
    _, username = writer
    title = f"Opening words of {username}"
    with domain.app_context():
        user_id = accounts.get_user_by_email(f"{username}@example.com").id
    assert everyone_sees(what_readers_see(stack, reader, lists(username)), title)

    assert admin.submit(f"/admin/users/{user_id}/suspend", {}, "/admin/users").status == 302
    seen = what_readers_see(stack, reader, lists(username))
    assert no_one_sees(seen, title)
    assert {status for (url, _), (status, _) in seen.items() if url != "/"} == {404}

    assert admin.submit(f"/admin/users/{user_id}/reactivate", {}, "/admin/users").status == 302
    assert everyone_sees(what_readers_see(stack, reader, lists(username)), title)


def test_a_confirmed_address_puts_the_site_on_the_home_page(stack, domain, reader):
    username = f"n{uuid.uuid4().hex[:10]}"
    newcomer = Visitor(stack.url, mailbox=stack.config.mail_dir)
    newcomer.sign_up(username, confirm=False)
    # Unconfirmed, the newcomer cannot sign in to write: the domain writes the post.
    with domain.app_context():
        author = accounts.get_user_by_email(f"{username}@example.com")
        publishing.create_post(author, f"Hello from {username}", "Body.", True)
    assert no_one_sees(what_readers_see(stack, reader, ["/"]), f"Hello from {username}")

    link = newcomer.wait_for_email(f"{username}@example.com").path("/confirm/")
    assert newcomer.confirm(link).status == 302

    assert everyone_sees(what_readers_see(stack, reader, ["/"]), f"Hello from {username}")


def test_with_redis_down_pages_are_drawn_in_full_and_never_fail(stack, reader, writer):
    visitor, username = writer
    urls = [*lists(username), f"/sites/{username}/opening-words-of-{username}"]
    # The page cache's Redis, and the queue's too.
    assert stack.supervisorctl("stop", "redis-cache", "redis").returncode == 0
    try:
        # A write while Redis is down is seen too (versions live in the database).
        assert visitor.write_post("Written while Redis was down").status == 302
        for _ in range(2):
            seen = what_readers_see(stack, reader, urls)
            assert {status for status, _ in seen.values()} == {200}
            assert everyone_sees(
                {key: page for key, page in seen.items() if key[0] != urls[-1]},
                "Written while Redis was down",
            )
    finally:
        assert stack.supervisorctl("start", "redis", "redis-cache").returncode == 0
