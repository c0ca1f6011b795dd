"""No user-controlled text reaches a page, the dashboard, the admin area or a feed as script."""

import html
import re
from urllib.parse import quote

import pytest

from shared_models.publishing import render_markdown, sanitize_html
from tests.support.clients import PASSWORD
from tests.support.page_safety import live_script, live_script_in_feed
from tests.support.pages import parse

HTML_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112'
    '&#0000116&#0000058alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{display:none}</style>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<input autofocus onfocus=alert(1)>",
    "<img src=x:alert(1) onerror=eval(src)>",
    "<img/src=x/onerror=alert(1)>",
    "<a href=javascript&colon;alert(1)>x</a>",
    "]]></content><script>alert(1)</script>",
]
MARKDOWN_PAYLOADS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](vbscript:msgbox(1))",
    "[x]: javascript:alert(1)\n\nA [x] reference.",
    "<javascript:alert(1)>",
    "```\n</code><script>alert(1)</script>\n```",
    '[x](http://example.com"onmouseover="alert(1))',
    '![x](http://example.com/x.png"onerror="alert(1))',
    '[x](http://example.com "title" onmouseover=alert(1))',
    "*<img src=x onerror=alert(1)>*",
]
PAYLOADS = HTML_PAYLOADS + MARKDOWN_PAYLOADS


@pytest.mark.parametrize(
    "live",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href=" data:text/html,x">x</a>',
        '<img srcset="a.png 1x, vbscript:x 2x">',
        "<svg></svg>",
        '<p style="color: red">x</p>',
        '<meta http-equiv="Refresh" content="0;url=/">',
    ],
)
def test_the_page_check_catches_live_script(live):
    # The instrument first: every assertion below relies on it.
    assert live_script(f"<p>{live}</p>")


def test_the_page_check_passes_escaped_text_and_ordinary_links():
    assert not live_script(
        '<p>&lt;script&gt;alert(1)&lt;/script&gt; <a href="/x">javascript:</a></p>'
    )


def test_the_feed_check_reads_the_html_inside_the_feed():
    feed = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="html">'
        "&lt;img src=x onerror=alert(1)&gt;</content></entry></feed>"
    )
    assert live_script_in_feed(feed)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_markdown_renderer_never_lets_script_through(payload):
    rendered = render_markdown(payload)
    assert not live_script(rendered), rendered


def test_the_markdown_renderer_keeps_ordinary_links_and_images():
    rendered = render_markdown("[site](https://example.com) ![pic](https://example.com/a.png)")
    assert 'href="https://example.com"' in rendered
    assert 'src="https://example.com/a.png"' in rendered


# --- classes: a writer's text must not wear the site's own --------------------------------

DRESSED_UP = (
    '<code class="button flash flash-error">Your session has ended: sign in again</code>\n\n'
    '<p class="flash flash-success">Payment received</p>\n\n'
    "```python\nprint('a code block keeps its language')\n```\n"
)


def classes_in_the_post(response) -> set[str]:
    """Every class on an element of the post's own text, on its page or its preview."""
    prose = parse(response).find("div", class_="prose")
    return {name for element in prose.find_all() for name in element.attrs.get("class", "").split()}


def test_a_writers_classes_are_stripped_but_a_code_blocks_language_stays(
    client, auth, make_user, make_post
):
    post_id, slug = make_post(make_user("writer"), "Dressed up", body=DRESSED_UP)
    auth.login()

    for url in (f"/sites/writer/{slug}", f"/dashboard/posts/{post_id}/preview"):
        assert classes_in_the_post(client.get(url)) == {"language-python"}, url


def test_the_sanitizer_keeps_no_class_but_a_code_language():
    html = '<code class="button language-python flash">x</code><p class="flash-error">y</p>'

    assert sanitize_html(html) == '<code class="language-python">x</code><p>y</p>'


def checked(response, where, problems: dict) -> str:
    """Record what, if anything, on this page could run; return its HTML."""
    assert response.status_code < 500, (where, response.status_code)
    page = response.get_data(as_text=True)
    is_feed = response.mimetype == "application/atom+xml"
    found = live_script_in_feed(page) if is_feed else live_script(page)
    if found:
        problems[where] = found
    return page


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def signed_in(app, email: str):
    client = app.test_client()
    assert client.submit("/login", {"email": email, "password": PASSWORD}).status_code == 302
    return client


# Nine payloads a test: one page of every list shows them all (home and site
# pages show 10 posts, the feed 20, the admin lists 25).
CHUNK = 9
CHUNKS = [PAYLOADS[start : start + CHUNK] for start in range(0, len(PAYLOADS), CHUNK)]


@pytest.mark.parametrize(
    "payloads",
    CHUNKS,
    ids=[f"payloads-{n * CHUNK}-to-{n * CHUNK + len(c) - 1}" for n, c in enumerate(CHUNKS)],
)
def test_no_payload_runs_anywhere_it_is_shown(app, make_user, payloads):
    make_user("writer")
    make_user("boss", admin=True)
    writer, admin = signed_in(app, "writer@example.com"), signed_in(app, "boss@example.com")
    visitor = app.test_client()
    problems = {}
    post_ids = []
    for payload in payloads:
        # Everything a writer controls: a post's title and body, the site's title and tagline.
        created = writer.submit(
            "/dashboard/posts/new",
            {"title": payload[:200], "body": payload, "published": "y"},
            follow_redirects=True,
        )
        checked(created, ("saved post, with its flash", payload), problems)
        # That was the edit form (title in an attribute, body in a textarea); now the post
        # itself, which the owner's preview renders the same way.
        post_ids.append(int(created.request.path.split("/")[3]))
        post_url = re.search(r'href="(/sites/writer/[^"]+)"', created.get_data(as_text=True))[1]
        post_page = checked(writer.get(post_url), (post_url, payload), problems)
        # Escaped, not mangled: the title reads as it was typed.
        assert payload[:200].strip() in text_of(post_page)

        site = {"title": payload[:100], "tagline": payload[:200]}
        saved = writer.submit("/dashboard/site", site, follow_redirects=True)
        checked(saved, ("site settings", payload), problems)
        for url in ("/sites/writer/", "/sites/writer/feed.xml"):
            checked(writer.get(url), (url, payload), problems)

        # What visitors type is shown back to them, and to admins in the audit log.
        attempts = [
            ("/login", {"email": payload, "password": "wrong-password"}),
            ("/signup", {"username": payload, "email": "x@example.com", "password": PASSWORD}),
        ]
        for url, data in attempts:
            checked(visitor.submit(url, data), (url, payload), problems)
        checked(visitor.get("/login?next=" + quote(payload)), ("/login?next=", payload), problems)
        search = admin.get("/admin/users?q=" + quote(payload))
        checked(search, ("/admin/users?q=", payload), problems)

    # Every list that shows the lot, then the admin deleting each post (a flash and an audit event).
    lists = ["/", "/sites/writer/", "/sites/writer/feed.xml", "/dashboard/"]
    for url in lists + [f"/dashboard/posts/{post_id}/preview" for post_id in post_ids[-2:]]:
        checked(writer.get(url), url, problems)
    for url in ["/admin/", "/admin/users", "/admin/posts", "/admin/audit"]:
        checked(admin.get(url), url, problems)
    for post_id in post_ids:
        deleted = admin.submit(f"/admin/posts/{post_id}/delete", follow_redirects=True)
        checked(deleted, ("admin deleted post", post_id), problems)
    checked(admin.get("/admin/audit"), "/admin/audit after the deletions", problems)
    assert not problems


# Character references for characters XML 1.0 cannot carry: rendered raw, each one
# would leave the Atom feed unreadable to every feed reader.
UNCARRIABLE_REFERENCES = ["&#1;", "&#x1;", "&#xB;", "&#12;", "&#xFFFF;", "&#xFFFE;", "&#x8D;"]


@pytest.mark.parametrize("reference", UNCARRIABLE_REFERENCES)
def test_a_character_reference_xml_cannot_carry_leaves_the_feed_well_formed(
    client, auth, make_user, reference
):
    import xml.etree.ElementTree as ET

    make_user("writer")
    auth.login()
    body = f"a {reference} b"
    saved = client.submit("/dashboard/posts/new", {"title": "Refs", "body": body, "published": "y"})
    assert saved.status_code == 302

    feed = client.get("/sites/writer/feed.xml")
    assert feed.status_code == 200
    entry = ET.fromstring(feed.data).find("{http://www.w3.org/2005/Atom}entry")  # noqa: S314
    assert "a" in entry.find("{http://www.w3.org/2005/Atom}content").text
