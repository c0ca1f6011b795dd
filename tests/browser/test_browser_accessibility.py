"""Every kind of page passes the page checks, pagination works, and keyboard focus is visible.

In every language: each test runs once per language of the visitors' browsers.
"""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

NOTES = 12  # more than a page of posts (POSTS_PER_PAGE is 10)


@pytest.fixture
def busy_site(live_server):
    """An admin, and a writer whose site has more than a page of posts and a draft."""
    live_server.create_user("boss", admin=True)
    live_server.create_user(
        "ada",
        posts=[
            (f"Note {n}", f"Note {n} says *hello* with `code` and a [link](/sites/ada/).")
            for n in range(1, NOTES + 1)
        ],
    )
    return live_server


def test_every_kind_of_page_passes_the_page_checks(busy_site, open_visitor):
    reader = open_visitor()
    page, say = reader.page, reader.say
    for path in ["/", "/sites/ada/", "/sites/ada/note-3", "/login", "/signup", "/?page=99"]:
        reader.open(path)
    for path in ["/no-such-page", "/sites/nobody/"]:
        reader.open(path, status=404)

    # Pagination: newer and older, with where you are in between (no page count: the
    # lists read one row ahead instead of counting every post).
    reader.open("/")
    pages = page.get_by_role("navigation", name=say("Pages"))
    expect(pages).to_contain_text(say("Page %(page)s", page=1))
    expect(pages.get_by_role("link", name=say("← Newer"))).to_have_count(0)
    reader.follow(pages.get_by_role("link", name=say("Older →")))
    expect(pages).to_contain_text(say("Page %(page)s", page=2))
    expect(pages.get_by_role("link", name=say("Older →"))).to_have_count(0)
    expect(page.locator(".post-summary")).to_have_count(NOTES - 10)
    reader.follow(pages.get_by_role("link", name=say("← Newer")))
    expect(page.locator(".post-summary")).to_have_count(10)

    writer = open_visitor()
    page = writer.page
    writer.sign_in("ada@example.com")
    pages = page.get_by_role("navigation", name=say("Pages"))
    writer.follow(pages.get_by_role("link", name=say("Older →")))
    writer.follow(page.get_by_role("link", name="Note 1", exact=True))
    writer.follow(page.get_by_role("link", name=say("Preview")))
    for path in [
        "/dashboard/posts/new",
        "/dashboard/site",
        "/dashboard/account",
        "/dashboard/tokens",
        "/api/v1/docs",
    ]:
        writer.open(path)
    writer.open("/admin/", status=403)

    admin = open_visitor(scheme="dark")
    admin.sign_in("boss@example.com")
    for path in [
        "/admin/",
        "/admin/users",
        "/admin/users?q=nobody",
        "/admin/posts",
        "/admin/audit",
    ]:
        admin.open(path)
    expect(admin.page.get_by_role("main")).to_contain_text("user.promoted")
    for visitor in (reader, writer, admin):
        visitor.check_nothing_was_missed()


def test_keyboard_focus_is_clearly_visible_at_every_stop(busy_site, visitor):
    page = visitor.page
    problems = []
    for path in ["/", "/signup", "/sites/ada/note-1"]:
        visitor.open(path)
        problems += visitor.tab_through()
    visitor.sign_in("boss@example.com")
    problems += visitor.tab_through()
    for path in ["/dashboard/posts/new", "/admin/users"]:
        visitor.open(path)
        problems += visitor.tab_through()
    assert not problems, "\n".join(problems)

    # The first stop is the skip link, shown when focused, and it leads to the content.
    visitor.open("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=visitor.say("Skip to content"))
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    visitor.check_nothing_was_missed()


LONG_CHINESE_TITLE = "湿地清晨的苍鹭与芦苇：一整年的观察笔记、照片目录和每一次出行的详细记录" * 2
LONG_CHINESE_BODY = (
    "清晨六点，薄雾还没有散去，一只灰鹭站在浅水里一动不动，像一根插在水中的木桩。" * 12
    + "\n\n参考：https://example.com/"
    + "herons" * 25
)


def test_long_chinese_text_wraps_on_a_phone(live_server, open_visitor):
    # Chinese has no spaces to break at: a title, a paragraph and a long address must
    # still fit a 375 px screen (the page checks fail on any sideways scroll).
    live_server.create_user("heron", posts=[(LONG_CHINESE_TITLE, LONG_CHINESE_BODY)])
    reader = open_visitor()
    reader.open("/")
    reader.open("/sites/heron/")
    reader.follow(reader.page.get_by_role("link", name=LONG_CHINESE_TITLE))
    expect(reader.page.get_by_role("heading", level=1)).to_have_text(LONG_CHINESE_TITLE)
    reader.check_nothing_was_missed()
