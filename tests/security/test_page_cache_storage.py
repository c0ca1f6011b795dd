"""The page cache keeps rendered HTML as data, and only so much of it.

Whoever can write to the cache's Redis must not be able to run code in the app:
a copy is read back as UTF-8 text behind a short header, never unpickled, and
anything else found under a key is a miss (the part is drawn again and the
copy replaced). A copy bigger than CACHE_ENTRY_MAX_BYTES is not kept, and a
change to what a part shows replaces its copy instead of adding another, so
the cache holds at most one copy, of bounded size, per part. These tests use a
throwaway redis-server (skipped without one, failing under CI=true), or each
process's own memory; tests/deploy/test_redis.py does it through the stack.
"""

import pickle

import pytest
import redis
from sqlalchemy import update

from shared_models import accounts, db, publishing
from shared_models.models import Post
from shared_web.page_cache import FORMAT, MemoryStore, decode, encode
from tests.support.apps import make_app
from tests.support.pages import text
from tests.support.redis_server import redis_server

LISTS = ["/", "/sites/grace/", "/sites/grace/feed.xml"]
CHINESE = {"Accept-Language": "zh-CN"}


class CreatesAFile:
    """Unpickled, it creates a file: proof that a pickle in the cache ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture
def cache_url(tmp_path):
    with redis_server(tmp_path) as url:
        yield url


def site_with_a_post(app, title="Engines of the mind", body="Numbers, *woven*.") -> int:
    """grace's site with one published post; the post's id."""
    with app.app_context():
        grace = accounts.sign_up("grace", "grace@example.com", "a-password-1", confirmed=True)
        return publishing.create_post(grace, title, body, True).id


def change_titles_in_secret(app, title: str) -> None:
    """A bulk UPDATE: no version goes up, so a page still drawn from the cache keeps the old one."""
    with app.app_context():
        db.session.execute(update(Post).values(title=title))
        db.session.commit()


def cache_keys(cache_url: str) -> list[bytes]:
    return redis.Redis.from_url(cache_url, socket_timeout=5).keys("*")


PICKLES = {
    # cachelib's format, which Flask-Caching's RedisCache writes and unpickles on reading.
    "cachelib's": lambda payload: b"!" + payload,
    "a bare": lambda payload: payload,
}


@pytest.mark.parametrize("kind", PICKLES)
def test_a_pickle_planted_under_a_cache_key_is_never_unpickled(
    layout, database_url, cache_url, tmp_path, kind
):
    app = make_app(layout, database_url, CACHE_REDIS_URL=cache_url)
    site_with_a_post(app)
    client = app.test_client()
    for url in LISTS:
        assert client.get(url).status_code == 200
    keys = cache_keys(cache_url)
    assert len(keys) >= len(LISTS)

    marker = tmp_path / "unpickled"
    planted = PICKLES[kind](pickle.dumps(CreatesAFile(marker)))
    store = redis.Redis.from_url(cache_url, socket_timeout=5)
    for key in keys:
        store.set(key, planted)

    for url in LISTS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Engines of the mind" in text(response), url
    assert not marker.exists()
    # Each planted value was taken for a miss, and replaced by a copy of the page.
    assert all(store.get(key) != planted for key in keys)


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"\x00\xff\xfe not text at all",
        b"<p>A page without the cache's header</p>",
        b'{"html": "<p>Some other code\'s JSON</p>"}',
    ],
    ids=["empty", "bytes", "bare-html", "json"],
)
def test_a_value_not_in_the_caches_format_is_a_miss(layout, database_url, cache_url, value):
    app = make_app(layout, database_url, CACHE_REDIS_URL=cache_url)
    site_with_a_post(app)
    client = app.test_client()
    for url in LISTS:
        client.get(url)
    store = redis.Redis.from_url(cache_url, socket_timeout=5)
    for key in cache_keys(cache_url):
        store.set(key, value)

    for url in LISTS:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert "Engines of the mind" in page, url
        assert "page without" not in page and "other code" not in page and "b&#39;" not in page


@pytest.fixture(params=["memory", "redis"])
def cache_settings(request, tmp_path) -> dict:
    """Each kind of store the cache can use: this process's memory, or Redis."""
    if request.param == "memory":
        return {}
    return {"CACHE_REDIS_URL": request.getfixturevalue("cache_url")}


def test_a_part_bigger_than_the_cap_is_not_kept(layout, database_url, cache_settings):
    app = make_app(layout, database_url, CACHE_ENTRY_MAX_BYTES=20_000, **cache_settings)
    site_with_a_post(app)
    with app.app_context():
        ada = accounts.sign_up("ada", "ada@example.com", "a-password-1", confirmed=True)
        for number in range(3):
            # Three posts of 10,000 characters: her feed carries them whole, over the cap.
            publishing.create_post(ada, f"Long letter {number}", "Gears turning. " * 700, True)
    client = app.test_client()
    small, large = "/sites/grace/feed.xml", "/sites/ada/feed.xml"
    assert len(client.get(small).get_data()) < 20_000 < len(client.get(large).get_data())

    change_titles_in_secret(app, "Changed in secret")

    # The small feed comes from the cache (the change is not seen); the large one is
    # drawn anew at every request.
    assert "Changed in secret" not in client.get(small).get_data(as_text=True)
    assert "Changed in secret" in client.get(large).get_data(as_text=True)


def test_a_page_at_the_cap_is_kept(layout, database_url, cache_settings):
    # The cap bounds a copy; it does not turn the cache off for ordinary pages.
    app = make_app(layout, database_url, CACHE_ENTRY_MAX_BYTES=20_000, **cache_settings)
    site_with_a_post(app)
    client = app.test_client()
    for url in LISTS:
        client.get(url)

    change_titles_in_secret(app, "Changed in secret")

    for url in LISTS:
        assert "Changed in secret" not in client.get(url).get_data(as_text=True), url


def test_a_changed_page_replaces_its_copy_rather_than_adding_one(layout, database_url, cache_url):
    app = make_app(layout, database_url, CACHE_REDIS_URL=cache_url)
    post_id = site_with_a_post(app)
    client = app.test_client()

    def edit_and_read(number: int) -> None:
        with app.app_context():
            post = db.session.get(Post, post_id)
            publishing.update_post(post, f"Engines, draft {number}", post.body, True)
        for url in LISTS:
            for headers in ({}, CHINESE):
                response = client.get(url, headers=headers)
                assert f"Engines, draft {number}" in response.get_data(as_text=True), url

    edit_and_read(0)
    copies = len(cache_keys(cache_url))
    assert copies == 2 * len(LISTS)  # a copy per list and language
    for number in range(1, 25):
        edit_and_read(number)
    assert len(cache_keys(cache_url)) == copies


def test_without_a_cache_every_page_is_drawn_in_full(layout, database_url):
    app = make_app(layout, database_url, CACHE_ENABLED=False)
    site_with_a_post(app)
    client = app.test_client()
    for url in LISTS:
        client.get(url)

    change_titles_in_secret(app, "Changed in secret")

    for url in LISTS:
        assert "Changed in secret" in client.get(url).get_data(as_text=True), url


def test_the_planted_pickle_would_run_if_unpickled(tmp_path):
    # The tests above could pass only because the payload is harmless: it is not.
    marker = tmp_path / "unpickled"
    pickle.loads(pickle.dumps(CreatesAFile(marker))).close()  # noqa: S301  (our own payload)
    assert marker.exists()


def test_a_copy_reads_back_only_for_the_version_it_was_drawn_for():
    html = "<li>Ünïcode, <em>markup</em> and a\nnewline</li>"
    copy = encode(7, html)

    assert copy.startswith(FORMAT + b" 7\n")
    assert decode(copy, 7) == html
    assert decode(copy, 8) is None and decode(copy, 70) is None
    assert decode(copy.replace(FORMAT, b"inkpot-page-cache/0"), 7) is None
    assert decode(FORMAT + b" 7\n\xff\xfe", 7) is None  # not UTF-8
    assert decode(None, 7) is None and decode("a str, not bytes", 7) is None


def test_each_process_keeps_at_most_its_memory_limit_least_recently_used_first():
    store = MemoryStore(max_bytes=1000, timeout=60)
    for number in range(3):
        store.set(f"copy {number}", b"x" * 300)
    store.get("copy 0")  # read: now the most recently used
    store.set("copy 3", b"x" * 300)

    assert store.size <= 1000
    assert store.get("copy 1") is None  # the least recently used went first
    assert all(store.get(f"copy {number}") for number in (0, 2, 3))
    store.set("copy 0", b"y" * 100)  # replaced, not added
    assert store.size == 700
