"""The page cache: every write that changes a public page makes its next view fresh.

Each test first views the pages a write changes (so their lists are in the
cache), makes the write the way a person or a script would, and views them
again: anonymous readers and a signed-in reader must both see the change at
once. One test proves the cache is really used (a change made behind the
domain's back is not seen), so the others could fail. tests/deploy/
test_page_cache_in_redis.py does the same through nginx, gunicorn and Redis.
"""

import pytest
from sqlalchemy import update

from shared_models import db
from shared_models.models import Post
from tests.support.apps import make_app
from tests.support.clients import CSRF_FIELD, AuthActions
from tests.support.machine import free_port
from tests.support.pages import main_text, text


@pytest.fixture
def ada(app, make_user, make_post):
    """A writer with a published post and a draft, signed in in her own browser."""
    user_id = make_user("ada")
    published_id, slug = make_post(user_id, "Analytical engine notes")
    draft_id, _ = make_post(user_id, "Unfinished letter", published=False)
    browser = app.test_client()
    assert AuthActions(browser).login("ada@example.com").status_code == 302
    return {
        "id": user_id,
        "browser": browser,
        "post": published_id,
        "slug": slug,
        "draft": draft_id,
    }


@pytest.fixture
def reader(app, make_user):
    """Another signed-in user, reading the public pages: their navigation is their own."""
    make_user("reader")
    browser = app.test_client()
    assert AuthActions(browser).login("reader@example.com").status_code == 302
    return browser


PUBLIC_LISTS = ["/", "/sites/ada/", "/sites/ada/feed.xml"]


def what_readers_see(client, reader, urls=PUBLIC_LISTS) -> dict:
    """Each list as an anonymous visitor and as a signed-in reader sees it (fills the cache)."""
    seen = {}
    for url in urls:
        for who, browser in (("anonymous", client), ("reader", reader)):
            response = browser.get(url)
            seen[(url, who)] = (response.status_code, text(response))
    return seen


def everyone_sees(seen: dict, words: str) -> bool:
    return all(status == 200 and words in page for status, page in seen.values())


def no_one_sees(seen: dict, words: str) -> bool:
    return all(words not in page for _, page in seen.values())


def test_a_change_behind_the_domains_back_is_not_seen_so_the_cache_is_used(
    app, client, reader, ada
):
    assert everyone_sees(what_readers_see(client, reader), "Analytical engine notes")

    with app.app_context():
        # A bulk UPDATE bypasses the ORM's flush, where versions go up: no new version.
        db.session.execute(update(Post).values(title="Changed in secret"))
        db.session.commit()

    assert no_one_sees(what_readers_see(client, reader), "Changed in secret")


def test_a_new_post_is_on_the_lists_at_once(client, reader, ada):
    what_readers_see(client, reader)

    response = ada["browser"].submit(
        "/dashboard/posts/new", {"title": "Difference engine", "body": "Gears.", "published": "y"}
    )

    assert response.status_code == 302
    assert everyone_sees(what_readers_see(client, reader), "Difference engine")


def test_an_edited_post_shows_its_new_title_at_once(client, reader, ada):
    what_readers_see(client, reader)

    response = ada["browser"].submit(
        f"/dashboard/posts/{ada['post']}/edit",
        {"title": "Engine notes, revised", "body": "More.", "published": "y"},
    )

    assert response.status_code == 302
    seen = what_readers_see(client, reader)
    assert everyone_sees(seen, "Engine notes, revised")
    assert no_one_sees(seen, "Analytical engine notes")


def test_a_published_draft_appears_and_an_unpublished_post_leaves(client, reader, ada):
    what_readers_see(client, reader)

    ada["browser"].submit(
        f"/dashboard/posts/{ada['draft']}/edit",
        {"title": "Unfinished letter", "body": "Done now.", "published": "y"},
    )
    assert everyone_sees(what_readers_see(client, reader), "Unfinished letter")

    ada["browser"].submit(
        f"/dashboard/posts/{ada['post']}/edit",
        {"title": "Analytical engine notes", "body": "Hidden again."},
    )
    assert no_one_sees(what_readers_see(client, reader), "Analytical engine notes")


def test_a_post_deleted_by_its_owner_leaves_the_lists(client, reader, ada):
    what_readers_see(client, reader)

    assert ada["browser"].submit(f"/dashboard/posts/{ada['post']}/delete").status_code == 302

    assert no_one_sees(what_readers_see(client, reader), "Analytical engine notes")


def test_a_post_deleted_by_an_admin_leaves_the_lists(client, reader, ada, admin_client):
    what_readers_see(client, reader)

    assert admin_client.submit(f"/admin/posts/{ada['post']}/delete").status_code == 302

    assert no_one_sees(what_readers_see(client, reader), "Analytical engine notes")


def test_posts_written_changed_and_deleted_through_the_api_show_at_once(app, client, reader, ada):
    from shared_models import api_tokens
    from shared_models.models import User

    with app.app_context():
        _, secret = api_tokens.create_token(db.session.get(User, ada["id"]), "script", "write")
    api = {"headers": {"Authorization": f"Bearer {secret}"}}
    what_readers_see(client, reader)

    created = client.post(
        "/api/v1/me/posts", json={"title": "From a script", "published": True}, **api
    )
    assert created.status_code == 201
    assert everyone_sees(what_readers_see(client, reader), "From a script")

    post_id = created.get_json()["id"]
    changed = client.patch(f"/api/v1/me/posts/{post_id}", json={"title": "Scripted again"}, **api)
    assert changed.status_code == 200
    seen = what_readers_see(client, reader)
    assert everyone_sees(seen, "Scripted again")
    assert no_one_sees(seen, "From a script")

    assert client.delete(f"/api/v1/me/posts/{post_id}", **api).status_code == 204
    assert no_one_sees(what_readers_see(client, reader), "Scripted again")


def test_new_site_settings_show_at_once(client, reader, ada):
    what_readers_see(client, reader)

    response = ada["browser"].submit(
        "/dashboard/site", {"title": "Notes on the Engine", "tagline": "Numbers woven."}
    )

    assert response.status_code == 302
    # The home page names each post's site; the feed carries the title and tagline.
    assert everyone_sees(what_readers_see(client, reader), "Notes on the Engine")
    assert "Numbers woven." in client.get("/sites/ada/feed.xml").get_data(as_text=True)


def test_a_suspended_writers_posts_leave_the_home_page_and_come_back(
    client, reader, ada, admin_client
):
    assert "Analytical engine notes" in main_text(client.get("/"))
    what_readers_see(client, reader)

    assert admin_client.submit(f"/admin/users/{ada['id']}/suspend").status_code == 302
    seen = what_readers_see(client, reader)
    assert no_one_sees(seen, "Analytical engine notes")
    assert {status for (url, _), (status, _) in seen.items() if url != "/"} == {404}

    assert admin_client.submit(f"/admin/users/{ada['id']}/reactivate").status_code == 302
    assert everyone_sees(what_readers_see(client, reader), "Analytical engine notes")


def test_a_confirmed_address_puts_the_site_on_the_home_page(
    client, reader, auth, make_post, find_user
):
    auth.signup("newcomer", confirm=False)
    make_post(find_user("newcomer").id, "Hello from a newcomer")
    what_readers_see(client, reader, ["/"])

    auth.confirm(auth.outbox.last(to="newcomer@example.com").path("/confirm/"))

    assert everyone_sees(what_readers_see(client, reader, ["/"]), "Hello from a newcomer")


def test_a_password_reset_that_confirms_the_address_puts_the_site_on_the_home_page(
    app, client, reader, auth, make_post, find_user
):
    auth.signup("newcomer", confirm=False)
    make_post(find_user("newcomer").id, "Hello after a reset")
    what_readers_see(client, reader, ["/"])

    stranger = app.test_client()
    stranger.submit("/password/forgot", {"email": "newcomer@example.com"})
    link = auth.outbox.last(to="newcomer@example.com").path("/password/reset/")
    assert stranger.submit(link, {"new_password": "a-new-password"}).status_code == 302

    assert everyone_sees(what_readers_see(client, reader, ["/"]), "Hello after a reset")


def test_a_cached_list_keeps_each_readers_page_their_own(app, client, reader, ada):
    """The list comes from the cache; the navigation, the CSRF token and the owner's view do not."""
    # An empty site: its owner is invited to write, anyone else is told to come back.
    ada["browser"].submit(f"/dashboard/posts/{ada['post']}/delete")
    for_ada = ada["browser"].get("/sites/ada/").get_data(as_text=True)
    for_reader = reader.get("/sites/ada/").get_data(as_text=True)
    anonymous = client.get("/sites/ada/").get_data(as_text=True)

    assert "write your first" in for_ada and "write your first" not in for_reader
    assert "Check back soon" in for_reader and "Check back soon" in anonymous
    assert "(ada)" in for_ada and "(reader)" in for_reader and "Sign out" not in anonymous
    # Every form on the page (sign-out, the language switcher) carries the reader's own token.
    ada_tokens, reader_tokens = (
        set(CSRF_FIELD.findall(for_ada)),
        set(CSRF_FIELD.findall(for_reader)),
    )
    assert len(ada_tokens) == len(reader_tokens) == 1 and ada_tokens != reader_tokens


def test_each_language_gets_its_own_copy_of_a_cached_list(client, ada):
    """A list drawn for an English reader is not served to a Chinese one, nor back."""
    chinese = {"Accept-Language": "zh-CN"}
    for _ in range(2):  # the second round reads the copies the first one kept
        english_home, chinese_home = client.get("/"), client.get("/", headers=chinese)
        english_site = client.get("/sites/ada/")
        chinese_site = client.get("/sites/ada/", headers=chinese)
        for english, in_chinese in ((english_home, chinese_home), (english_site, chinese_site)):
            # The list's dates are drawn in the page's language.
            assert main_text(english).count("年") == 0
            assert "年" in main_text(in_chinese) and "Analytical engine notes" in text(in_chinese)


def test_pages_are_drawn_without_a_cache_that_is_down(layout, database_url):
    """A Redis that does not answer: every page is drawn in full, never a 500."""
    app = make_app(layout, database_url, CACHE_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        from shared_models import accounts, publishing

        user = accounts.sign_up("grace", "grace@example.com", "a-password-1", confirmed=True)
        publishing.create_post(user, "Drawn without a cache", "Body.", True)
    client = app.test_client()
    for url in (
        "/",
        "/sites/grace/",
        "/sites/grace/feed.xml",
        "/sites/grace/drawn-without-a-cache",
    ):
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, url
            assert "Drawn without a cache" in response.get_data(as_text=True), url
