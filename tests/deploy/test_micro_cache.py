"""nginx's micro-cache of public pages: anonymous visitors share copies, signed-in ones never do.

The rules (deploy/nginx/inkpot.conf): the home page and everything under /sites/
is kept for a second for visitors without a session or remember-me cookie; a
request with one goes to the app and its answer is not stored; an answer that
sets a cookie is never stored either. X-Cache-Status tells how nginx answered.
Each page is kept once per language (the `locale` cookie, else Accept-Language),
worked out by nginx as the app works it out, so no visitor ever gets a copy in
another visitor's language.
"""

import gzip
import http.client
import re
import time
import uuid

import pytest

from deploy.processes import wait_until
from shared_web.config import Config
from tests.deploy.stacks import Visitor, start_stack
from tests.support.clients import PASSWORD
from tests.support.languages import app_language

pytestmark = pytest.mark.slow

CACHED_ANSWERS = {"HIT", "STALE", "UPDATING"}
# What a page shows only to a signed-in visitor (the navigation's sign-out form).
SIGNED_IN_MARKS = ["Sign out", 'name="csrf_token"']


@pytest.fixture(scope="module")
def site(stack):
    """A writer's site with one published post: (slug, post path) on the module's stack."""
    writer = Visitor(stack.url, mailbox=stack.config.mail_dir)
    writer.sign_up("cached-writer")
    assert writer.write_post("First cached post").status == 302
    return "cached-writer", "/sites/cached-writer/first-cached-post"


def signed_in_writer(stack, slug: str, **extra: str) -> Visitor:
    writer = Visitor(stack.url)
    fields = {"email": f"{slug}@example.com", "password": PASSWORD, **extra}
    assert writer.submit("/login", fields).status == 302
    return writer


def unique(path: str) -> str:
    """The same page under a URL no other request used: its own cache entry and log line."""
    return f"{path}?cache-test={uuid.uuid4().hex}"


def app_requests(stack, url: str) -> int:
    """How many times gunicorn served url, by its access log."""
    return stack.read_log("inkpot-access.log").count(f" {url} HTTP/1.1")


def public_urls(site) -> list[str]:
    slug, post = site
    return ["/", f"/sites/{slug}/", post, f"/sites/{slug}/feed.xml"]


def test_anonymous_visitors_share_one_copy_of_each_public_page(stack, site):
    for path in public_urls(site):
        url = unique(path)
        first, second = Visitor(stack.url).get(url), Visitor(stack.url).get(url)
        assert (first.status, second.status) == (200, 200), url
        assert first.headers["X-Cache-Status"] == "MISS", url
        assert second.headers["X-Cache-Status"] == "HIT", url
        assert second.body == first.body, url
        assert second.headers.get_all("Set-Cookie") is None, url
        wait_until(lambda url=url: app_requests(stack, url) >= 1, 10, f"{url} in the app's log")
        assert app_requests(stack, url) == 1, f"{url} reached the app twice"


def test_a_copy_from_the_cache_carries_each_security_header_once(stack, site):
    url = unique("/")
    Visitor(stack.url).get(url)
    cached = Visitor(stack.url).get(url)
    assert cached.headers["X-Cache-Status"] == "HIT"
    for name, value in Config.SECURITY_HEADERS.items():
        assert cached.headers.get_all(name) == [value], name


def test_a_copy_is_kept_for_about_a_second(stack, site):
    url = unique(site[1])
    Visitor(stack.url).get(url)
    assert Visitor(stack.url).get(url).headers["X-Cache-Status"] == "HIT"
    time.sleep(2.2)  # nginx counts whole seconds: a 1 s copy is gone within 2
    assert Visitor(stack.url).get(url).headers["X-Cache-Status"] not in CACHED_ANSWERS
    wait_until(lambda: app_requests(stack, url) == 2, 10, "the app to render the page again")


@pytest.mark.parametrize("path", ["/healthz", "/login", "/signup", "/dashboard/"])
def test_pages_outside_the_public_area_are_never_cached(stack, path):
    for _ in range(2):
        response = Visitor(stack.url).get(path)
        assert response.headers.get("X-Cache-Status") is None, path


def test_a_signed_in_writer_sees_their_new_post_at_once(stack, site):
    slug, _ = site
    writer = signed_in_writer(stack, slug)
    reader = Visitor(stack.url)
    # Readers fill the cache with the pages as they are before the new post.
    for path in ["/", f"/sites/{slug}/", f"/sites/{slug}/feed.xml"]:
        reader.get(path)
        assert reader.get(path).headers["X-Cache-Status"] in CACHED_ANSWERS

    assert writer.write_post("Fresh off the press").status == 302

    for path in ["/", f"/sites/{slug}/", f"/sites/{slug}/feed.xml"]:
        page = writer.get(path)
        assert page.headers["X-Cache-Status"] == "BYPASS", path
        assert "Fresh off the press" in page.text, path
    assert writer.get(f"/sites/{slug}/fresh-off-the-press").status == 200


def test_a_page_rendered_for_a_signed_in_visitor_is_never_served_to_anyone_else(stack, site):
    slug, _ = site
    writer = signed_in_writer(stack, slug)
    for path in public_urls(site):
        url = unique(path)
        own = writer.get(url)
        assert own.headers["X-Cache-Status"] == "BYPASS", url
        if path != f"/sites/{slug}/feed.xml":
            assert all(mark in own.text for mark in SIGNED_IN_MARKS), url

        anonymous = Visitor(stack.url).get(url)
        assert anonymous.headers["X-Cache-Status"] == "MISS", url  # nothing was stored
        assert not any(mark in anonymous.text for mark in SIGNED_IN_MARKS), url
        assert anonymous.headers.get_all("Set-Cookie") is None, url


def stored_pages(stack) -> list[str]:
    """Every answer in nginx's cache folder, as text."""
    folder = stack.config.run_dir / "nginx" / "cache"
    files = [path for path in folder.rglob("*") if path.is_file()]
    return [path.read_bytes().decode("utf-8", "replace") for path in files]


def test_nothing_rendered_for_a_signed_in_visitor_is_ever_stored(stack, site):
    slug, _ = site
    writer = signed_in_writer(stack, slug)
    urls = [unique(path) for path in public_urls(site)]
    for url in urls:
        Visitor(stack.url).get(url)  # an anonymous copy of each: the cache is in use
        assert writer.get(url).headers["X-Cache-Status"] == "BYPASS", url

    for url in urls:
        wait_until(
            lambda url=url: any(url in page for page in stored_pages(stack)),
            10,
            f"the anonymous copy of {url} in the cache",
        )
    assert not [page for page in stored_pages(stack) if "Sign out" in page]


def test_a_remember_me_cookie_alone_also_goes_past_the_cache(stack, site):
    slug, _ = site
    visitor = signed_in_writer(stack, slug, remember="y")
    remember = [name for name in visitor.cookies if name.endswith("_remember")]
    assert remember, visitor.cookies
    # The browser was closed: the session cookie is gone, the remember-me cookie stays.
    visitor.cookies = {name: visitor.cookies[name] for name in remember}
    url = unique(f"/sites/{slug}/")

    page = visitor.get(url)

    assert page.headers["X-Cache-Status"] == "BYPASS"
    assert "Sign out" in page.text  # signed in again from the remember-me cookie
    anonymous = Visitor(stack.url).get(url)
    assert anonymous.headers["X-Cache-Status"] == "MISS"
    assert "Sign out" not in anonymous.text


def test_cookie_names_of_both_layouts_and_flasks_defaults_bypass_the_cache(stack, site):
    names = [
        "functional_layout_session",
        "divisional_layout_session",
        "functional_layout_remember",
        "divisional_layout_remember",
        "session",
        "remember_token",
    ]
    for name in names:
        url = unique("/")
        for cookies in (f"{name}=x", f"theme=dark; {name}=x"):
            response = Visitor(stack.url).get(url, headers={"Cookie": cookies})
            assert response.headers["X-Cache-Status"] == "BYPASS", cookies
        assert Visitor(stack.url).get(url).headers["X-Cache-Status"] == "MISS", name


def test_other_cookies_do_not_count_as_a_session(stack, site):
    url = unique("/")
    for cookies in ("theme=dark", "sessionless=1", "my_session_id=1"):
        response = Visitor(stack.url).get(url, headers={"Cookie": cookies})
        assert response.headers["X-Cache-Status"] != "BYPASS", cookies


@pytest.fixture(scope="module")
def probe_stack(tmp_path_factory):
    """The functional stack serving tests/deploy/session_probe_app.py: a page sets a cookie."""
    run_dir = tmp_path_factory.mktemp("cache-probe")
    running = start_stack("functional", run_dir, wsgi_app="tests.deploy.session_probe_app:app")
    try:
        yield running
    finally:
        running.stop(graceful=False)


def test_an_answer_that_sets_a_cookie_is_never_stored(probe_stack):
    url = "/sites/_probe/starts-a-session"
    answers = [Visitor(probe_stack.url).get(url) for _ in range(3)]

    for answer in answers:
        assert answer.status == 200
        assert answer.headers["X-Cache-Status"] == "MISS"
        assert answer.headers.get_all("Set-Cookie"), "the probe page sets a cookie"
    wait_until(lambda: app_requests(probe_stack, url) == 3, 10, "three requests in the app's log")


def test_gzipped_and_plain_copies_are_kept_apart_and_each_drawn_once(stack, site):
    """The app gzips a page once; nginx keeps that copy for readers who take gzip."""
    url = unique(f"/sites/{site[0]}/feed.xml")
    gzip_asked = {"Accept-Encoding": "gzip, deflate, br"}
    first, second = Visitor(stack.url).get(url, gzip_asked), Visitor(stack.url).get(url, gzip_asked)
    plain = Visitor(stack.url).get(url)

    assert [r.headers["X-Cache-Status"] for r in (first, second, plain)] == ["MISS", "HIT", "MISS"]
    assert first.headers["Content-Encoding"] == second.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(second.body) == plain.body
    wait_until(lambda: app_requests(stack, url) >= 2, 10, f"{url} twice in the app's log")
    assert app_requests(stack, url) == 2


def page_language(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.text).group(1)


CHINESE_BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}


def test_visitors_reading_different_languages_never_get_each_others_copy(stack, site):
    for path in public_urls(site)[:3]:
        url = unique(path)
        chinese = Visitor(stack.url).get(url, headers=CHINESE_BROWSER)
        english = Visitor(stack.url).get(url, headers=ENGLISH_BROWSER)
        assert (chinese.headers["X-Cache-Status"], page_language(chinese)) == ("MISS", "zh-Hans")
        assert (english.headers["X-Cache-Status"], page_language(english)) == ("MISS", "en")

        # Each language's next reader gets that language's copy, however they asked for it.
        for headers, language in [
            ({"Accept-Language": "zh"}, "zh-Hans"),
            ({"Cookie": "locale=zh-Hans", **ENGLISH_BROWSER}, "zh-Hans"),
            ({}, "en"),
            ({"Cookie": "locale=en", **CHINESE_BROWSER}, "en"),
            ({"Accept-Language": "zh-TW"}, "en"),
        ]:
            again = Visitor(stack.url).get(url, headers=headers)
            assert again.headers["X-Cache-Status"] == "HIT", (url, headers)
            assert page_language(again) == language, (url, headers)
        wait_until(lambda url=url: app_requests(stack, url) >= 2, 10, f"{url} in the app's log")
        assert app_requests(stack, url) == 2, f"{url}: one render per language"


def straight_to_the_app(stack, path: str, headers: dict) -> str:
    """The page's language when gunicorn is asked directly, as the app works it out alone."""
    connection = http.client.HTTPConnection("127.0.0.1", stack.config.app_ports[0], timeout=15)
    try:
        host = stack.url.removeprefix("http://")
        connection.request("GET", path, headers={"Host": host, **headers})
        body = connection.getresponse().read().decode()
    finally:
        connection.close()
    return re.search(r'<html lang="([^"]+)"', body).group(1)


# Requests spelled as no browser would: nginx's maps and the app must still agree.
ODD_REQUESTS = [
    ("", "zh-TW,zh;q=0.9"),
    ("", "fr, zh ; q=0.4, en;q=0.3"),
    ("", "zh;q=0, en;q=0.5"),
    ("", "EN;q=0.5,zh-cn"),
    ("", "zh;q=1.5, en"),
    ("locale=fr", "zh"),
    ("locale=ZH-HANS", "en"),
    ('locale="zh-Hans"', "en"),
    (" locale = zh-Hans ", "en"),
    ('a="x;locale=zh-Hans;"', "en"),
    ("locale=en; locale=zh-Hans", "zh"),
    ("xlocale=zh-Hans; localex=zh-Hans", "en"),
    ("theme=dark;locale=zh-Hans", ""),
]


@pytest.mark.parametrize(("cookie", "accept_language"), ODD_REQUESTS)
def test_the_cached_copy_is_in_the_language_the_app_would_choose(
    stack, site, cookie, accept_language
):
    headers = {
        name: value
        for name, value in [("Cookie", cookie), ("Accept-Language", accept_language)]
        if value
    }
    expected = app_language(cookie, accept_language)
    url = unique("/")

    # Twice: the second answer comes from the copy the first one stored.
    answers = [Visitor(stack.url).get(url, headers=headers) for _ in range(2)]

    assert [page_language(answer) for answer in answers] == [expected, expected]
    assert answers[1].headers["X-Cache-Status"] == "HIT"
    assert straight_to_the_app(stack, url, headers) == expected


def test_a_visitor_switches_language_through_nginx_without_a_session(stack, site):
    visitor = Visitor(stack.url)
    url = unique("/")
    assert page_language(visitor.get(url)) == "en"

    switched = visitor.request(
        "POST",
        "/locale",
        body=f"locale=zh-Hans&next={url.replace('?', '%3F').replace('=', '%3D')}".encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": stack.url,
            "Sec-Fetch-Site": "same-origin",
        },
    )

    assert switched.status == 302
    assert visitor.cookies == {"locale": "zh-Hans"}
    back = visitor.get(url)
    assert page_language(back) == "zh-Hans"
    assert back.headers["X-Cache-Status"] == "MISS"  # no Chinese copy of it yet
