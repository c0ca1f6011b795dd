"""A page of posts carries excerpts, not bodies: its size and its cost have a bound, in UTF-8.

The worst case is the largest page (100 posts) of the longest posts, in the
characters that take the most bytes: a 200-character title and a
100,000-character body of emoji, four bytes each in UTF-8 (twelve, escaped to
ASCII). With bodies, one such page was 240 MB of JSON.
"""

import tracemalloc
from datetime import timedelta

import pytest

from shared_models import db, publishing
from shared_models.models import (
    EXCERPT_MAX,
    POST_BODY_MAX,
    POST_SLUG_MAX,
    POST_TITLE_MAX,
    Post,
    User,
    utcnow,
)

EMOJI = "\U0001f600"
LARGEST_PAGE = 100
UTF8_BYTES_MAX = 4
# All an item holds besides its title, excerpt and slug: the names of its fields, its id,
# its times, `published`, the public URL around the slug, JSON's punctuation.
ITEM_OVERHEAD = 500
ITEM_BYTES_MAX = UTF8_BYTES_MAX * (POST_TITLE_MAX + EXCERPT_MAX) + 2 * POST_SLUG_MAX + ITEM_OVERHEAD
PAGE_BYTES_MAX = LARGEST_PAGE * ITEM_BYTES_MAX  # 234,400 bytes
# What answering may allocate at its peak, in Python: a few copies of the page as it is
# built (rows, dicts, the JSON text, its UTF-8 bytes), but nothing the size of the bodies.
PEAK_MEMORY_MAX = 10 * PAGE_BYTES_MAX

LISTS = ["/api/v1/sites/writer/posts", "/api/v1/me/posts"]


@pytest.fixture
def largest_posts(app, writer):
    """A full page of published posts of the longest title and body, in emoji."""
    title, body = EMOJI * POST_TITLE_MAX, EMOJI * POST_BODY_MAX
    # Rendered once, as saving a post renders it, then stored for each of them.
    rendered = publishing.rendered(body)
    assert len(rendered["excerpt"]) == EXCERPT_MAX
    moment = utcnow()
    with app.app_context():
        site = db.session.get(User, writer).site
        for n in range(LARGEST_PAGE):
            at = moment + timedelta(seconds=n)
            db.session.add(
                Post(
                    site=site,
                    title=title,
                    slug=f"post-{n}",
                    body=body,
                    **rendered,
                    is_published=True,
                    published_at=at,
                    updated_at=at,
                )
            )
        db.session.commit()


@pytest.mark.parametrize("url", LISTS)
def test_the_largest_page_of_the_longest_posts_is_bounded_in_bytes(api, largest_posts, url):
    response = api.get(f"{url}?limit={LARGEST_PAGE}")

    assert response.status_code == 200
    assert len(response.get_json()) == LARGEST_PAGE
    assert len(response.data) < PAGE_BYTES_MAX


@pytest.mark.parametrize("url", LISTS)
def test_the_largest_page_of_the_longest_posts_is_bounded_in_memory(api, largest_posts, url):
    api.get(f"{url}?limit=1")  # what the first request does once (imports, caches)
    tracemalloc.start()
    try:
        response = api.get(f"{url}?limit={LARGEST_PAGE}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 200
    assert peak < PEAK_MEMORY_MAX, f"{peak:,} bytes at the peak"


@pytest.mark.parametrize("url", LISTS)
def test_list_items_carry_the_excerpt_and_the_post_itself_its_body(api, make_post, writer, url):
    body = "A *first* paragraph.\n\n" + "More words. " * 50
    post_id, slug = make_post(writer, "Long", body=body)

    [item] = api.get(url).get_json()
    post = api.get(f"/api/v1/me/posts/{post_id}").get_json()

    assert item["excerpt"].startswith("A first paragraph. More words.")
    assert item["excerpt"].endswith("…")
    assert "body" not in item and "body_html" not in item
    assert (post["body"], post["body_html"][:22]) == (body, "<p>A <em>first</em> pa")
    assert api.get(f"/api/v1/sites/writer/posts/{slug}").get_json() == post
    shared = {"id", "title", "slug", "published", "published_at", "updated_at", "url"}
    assert {name: item[name] for name in shared} == {name: post[name] for name in shared}


def test_the_api_writes_utf8_not_escapes(api, make_post, writer):
    post_id, _ = make_post(writer, f"Smile {EMOJI}", body=f"Café {EMOJI}")

    for response in (api.get(f"/api/v1/me/posts/{post_id}"), api.get("/api/v1/me/posts")):
        assert f"Smile {EMOJI}".encode() in response.data
        assert b"\\u" not in response.data
    problem = api.post("/api/v1/me/posts", json={"title": "Hi", f"caf\u00e9{EMOJI}": 1})
    assert problem.status_code == 422
    assert f"caf\u00e9{EMOJI}".encode() in problem.data
