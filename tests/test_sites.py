"""The sites area: a site's front page, its post pages and its Atom feed."""

import html
from datetime import UTC, datetime, timedelta

import pytest

from shared_models import db, queries
from shared_models.models import Post
from tests.support.page_safety import live_script
from tests.support.pages import main_text, parse, parse_xml, post_links, text

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def backdate(app):
    """Set when a post was first published, to order posts by date rather than by id."""

    def set_published_at(post_id, moment):
        with app.app_context():
            db.session.get(Post, post_id).published_at = moment
            db.session.commit()

    return set_published_at


# --- the front page ---------------------------------------------------------------------


@pytest.mark.smoke
def test_front_page_shows_the_sites_title_tagline_and_published_posts(
    client, auth, make_post, find_user
):
    auth.signup("ada")
    client.submit("/dashboard/site", {"title": "Notes from the Engine", "tagline": "Looms."})
    make_post(find_user("ada").id, "On the Engine")

    response = client.get("/sites/ada/")

    assert response.status_code == 200
    page = main_text(response)
    assert "Notes from the Engine" in page
    assert "Looms." in page
    assert "On the Engine" in page


def test_front_page_lists_posts_by_publication_date_newest_first(
    client, make_user, make_post, backdate
):
    ada = make_user("ada")
    now = datetime.now(UTC)
    for days_ago, title in [(1, "Yesterday"), (3, "Three days ago"), (2, "Two days ago")]:
        post_id, _ = make_post(ada, title)
        backdate(post_id, now - timedelta(days=days_ago))

    page = main_text(client.get("/sites/ada/"))

    positions = [page.index(t) for t in ("Yesterday", "Two days ago", "Three days ago")]
    assert positions == sorted(positions)


def test_front_page_shows_only_its_own_sites_posts(client, make_user, make_post):
    make_post(make_user("ada"), "Ada writes")
    make_post(make_user("grace"), "Grace writes")

    page = text(client.get("/sites/ada/"))

    assert "Ada writes" in page
    assert "Grace writes" not in page


def test_front_page_never_shows_drafts(client, make_user, make_post):
    make_post(make_user("ada"), "Unfinished thoughts", published=False)

    response = client.get("/sites/ada/")

    assert response.status_code == 200
    assert "Unfinished thoughts" not in text(response)


def test_front_page_of_an_unknown_site_is_404(client):
    assert client.get("/sites/nobody/").status_code == 404


def test_front_page_paginates_its_posts(client, make_user, make_post):
    ada = make_user("ada")
    for n in range(queries.POSTS_PER_PAGE + 1):
        make_post(ada, f"Post number {n}")

    first = post_links(client.get("/sites/ada/"))
    second = post_links(client.get("/sites/ada/?page=2"))

    assert len(first) == queries.POSTS_PER_PAGE
    assert f"/sites/ada/post-number-{queries.POSTS_PER_PAGE}" in first
    assert second == ["/sites/ada/post-number-0"]


# --- a post page ------------------------------------------------------------------------


@pytest.mark.smoke
def test_post_page_renders_markdown(client, make_user, make_post):
    _, slug = make_post(make_user("ada"), "Rendered", body="Hello *world*\n\n- one\n- two")

    response = client.get(f"/sites/ada/{slug}")

    assert response.status_code == 200
    tree = parse(response)
    assert [em.words for em in tree.find_all("em")] == ["world"]
    assert [li.words for li in tree.find_all("li") if li.words in {"one", "two"}] == ["one", "two"]


def test_a_draft_has_no_public_page(client, make_user, make_post):
    _, slug = make_post(make_user("ada"), "Not yet", published=False)

    assert client.get(f"/sites/ada/{slug}").status_code == 404


def test_an_unpublished_post_leaves_every_public_page(client, auth, find_user, make_post):
    auth.signup("ada")
    post_id, slug = make_post(find_user("ada").id, "Second thoughts")
    assert client.get(f"/sites/ada/{slug}").status_code == 200

    response = client.submit(
        f"/dashboard/posts/{post_id}/edit", {"title": "Second thoughts", "body": "Hmm"}
    )

    assert response.status_code == 302
    assert client.get(f"/sites/ada/{slug}").status_code == 404
    assert "Second thoughts" not in text(client.get("/sites/ada/"))
    assert "Second thoughts" not in text(client.get("/"))
    assert "Second thoughts" not in client.get("/sites/ada/feed.xml").get_data(as_text=True)


def test_a_post_is_only_found_under_its_own_site(client, make_user, make_post):
    make_user("grace")
    _, slug = make_post(make_user("ada"), "Only on Ada's site")

    assert client.get(f"/sites/ada/{slug}").status_code == 200
    assert client.get(f"/sites/grace/{slug}").status_code == 404


def test_an_unknown_post_is_404(client, make_user):
    make_user("ada")

    assert client.get("/sites/ada/no-such-post").status_code == 404


# --- user content never runs as script ---------------------------------------------------

# One of each kind; test_publishing.py feeds the sanitizer many more.
HOSTILE_MARKDOWN = {
    "script-tag": "<script>alert(1)</script>",
    "img-onerror": '<img src="x" onerror="alert(1)">',
    "svg-onload": "<svg onload=alert(1)><circle r=1></circle></svg>",
    "markdown-link-javascript": "[click me](javascript:alert(1))",
    "entity-encoded-javascript": '<a href="&#106;avascript:alert(1)">click me</a>',
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "object-and-embed": '<object data="x.swf"></object><embed src="x.swf">',
    "form-action": '<form action="javascript:alert(1)"><button>go</button></form>',
    "style-expression": '<p style="background:url(javascript:alert(1))">styled</p>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
}


@pytest.mark.parametrize("body", HOSTILE_MARKDOWN.values(), ids=HOSTILE_MARKDOWN.keys())
def test_post_markdown_never_reaches_the_page_as_live_script(client, make_user, make_post, body):
    _, slug = make_post(make_user("ada"), "Hostile", body=f"Intro\n\n{body}\n\nOutro")

    response = client.get(f"/sites/ada/{slug}")

    assert response.status_code == 200
    assert live_script(response) == []
    assert "Intro" in parse(response).find("article").words


def test_post_markdown_in_the_feed_is_sanitized_too(client, make_user, make_post):
    make_post(make_user("ada"), "Hostile", body="<script>alert(1)</script><img src=x onerror=y>")

    feed = parse_xml(client.get("/sites/ada/feed.xml"))

    (content,) = feed.iter(f"{ATOM}content")
    assert live_script(content.text) == []


def test_safe_markdown_keeps_its_links_and_images(client, make_user, make_post):
    body = "[docs](https://example.com/docs) and ![logo](https://example.com/logo.png)"
    _, slug = make_post(make_user("ada"), "Links", body=body)

    tree = parse(client.get(f"/sites/ada/{slug}")).find("article")

    assert "https://example.com/docs" in [a.attrs.get("href") for a in tree.find_all("a")]
    assert "https://example.com/logo.png" in [i.attrs.get("src") for i in tree.find_all("img")]


HOSTILE_TEXT = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


def test_titles_and_taglines_are_escaped_on_every_page(client, auth, find_user, make_post):
    auth.signup("ada")
    client.submit("/dashboard/site", {"title": HOSTILE_TEXT, "tagline": HOSTILE_TEXT})
    post_id, slug = make_post(find_user("ada").id, HOSTILE_TEXT)
    shown_as_text = ["/", "/sites/ada/", f"/sites/ada/{slug}", "/dashboard/"]
    shown_in_forms = ["/dashboard/site", f"/dashboard/posts/{post_id}/edit"]

    for url in shown_as_text + shown_in_forms:
        response = client.get(url)
        assert response.status_code == 200, url
        assert live_script(response) == [], url
    for url in shown_as_text:
        assert HOSTILE_TEXT in text(client.get(url)), url


def test_titles_are_escaped_in_the_feed(client, auth, find_user, make_post):
    auth.signup("ada")
    client.submit("/dashboard/site", {"title": "Fish & <Chips>", "tagline": "1 < 2 & 3 > 2"})
    make_post(find_user("ada").id, HOSTILE_TEXT)

    feed = parse_xml(client.get("/sites/ada/feed.xml"))

    assert feed.findtext(f"{ATOM}title") == "Fish & <Chips>"
    assert feed.findtext(f"{ATOM}subtitle") == "1 < 2 & 3 > 2"
    assert [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")] == [HOSTILE_TEXT]


# --- the Atom feed ----------------------------------------------------------------------


@pytest.mark.smoke
def test_feed_is_atom_xml(client, make_user, make_post):
    make_post(make_user("ada"), "First", body="Hello *world*")

    response = client.get("/sites/ada/feed.xml")

    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = parse_xml(response)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.findtext(f"{ATOM}{required}"), required
    (entry,) = feed.iter(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "First"
    assert entry.findtext(f"{ATOM}id")
    assert entry.findtext(f"{ATOM}updated")
    link = entry.find(f"{ATOM}link").attrib["href"]
    assert link.endswith("/sites/ada/first")
    assert "<em>world</em>" in html.unescape(entry.findtext(f"{ATOM}content"))


def test_feed_of_a_site_without_posts_is_valid(client, make_user):
    make_user("ada")

    feed = parse_xml(client.get("/sites/ada/feed.xml"))

    assert feed.tag == f"{ATOM}feed"
    assert list(feed.iter(f"{ATOM}entry")) == []


def test_feed_has_the_newest_published_posts_only(client, make_user, make_post, backdate):
    ada = make_user("ada")
    now = datetime.now(UTC)
    titles_newest_first = [f"Post {n}" for n in range(queries.FEED_LENGTH + 2)]
    # Written newest first, so the order of ids and the order of dates disagree.
    for days_ago, title in enumerate(titles_newest_first, start=1):
        post_id, _ = make_post(ada, title)
        backdate(post_id, now - timedelta(days=days_ago))
    make_post(ada, "A draft", published=False)
    make_post(make_user("grace"), "Someone else's")

    feed = parse_xml(client.get("/sites/ada/feed.xml"))

    entries = [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]
    assert entries == titles_newest_first[: queries.FEED_LENGTH]


def test_feed_of_an_unknown_site_is_404(client):
    assert client.get("/sites/nobody/feed.xml").status_code == 404


def test_front_page_links_to_its_feed(client, make_user):
    make_user("ada")

    links = parse(client.get("/sites/ada/")).find_all("link", rel="alternate")

    assert [link.attrs["href"] for link in links] == ["/sites/ada/feed.xml"]
    assert links[0].attrs["type"] == "application/atom+xml"
