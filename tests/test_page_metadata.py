"""What search engines and screen readers read first: each page's description and headings."""

import itertools
import re

import pytest

from tests.support.pages import parse

HEADING = re.compile(r"h([1-6])")


@pytest.fixture
def published(make_user, make_post):
    """ada's site with a tagline and one published post; (site path, post path)."""
    user_id = make_user("ada")
    body = "The engine *weaves algebraic patterns* just as the Jacquard loom weaves flowers. " * 5
    _, slug = make_post(user_id, title="On the Analytical Engine", body=body)
    return "/sites/ada/", f"/sites/ada/{slug}"


def description(page) -> str:
    meta = parse(page.get_data(as_text=True)).find("meta", name="description")
    assert meta is not None, "the page has no <meta name=description>"
    return meta.attrs["content"]


def heading_levels(page) -> list[int]:
    root = parse(page.get_data(as_text=True))
    levels = []

    def walk(element):
        for child in element.children:
            if HEADING.fullmatch(child.tag):
                levels.append(int(child.tag[1]))
            walk(child)

    walk(root)
    return levels


def test_the_home_page_describes_inkpot(client):
    assert "a blog of your own" in description(client.get("/"))


def test_a_site_is_described_by_its_tagline_or_its_title(client, app, published):
    from shared_models import db, publishing
    from shared_models.models import Site

    site_path, _ = published
    assert description(client.get(site_path)) == "ada's blog, a blog on Inkpot."
    with app.app_context():
        site = db.session.execute(db.select(Site)).scalar_one()
        publishing.update_site(site, "Notes from the Engine", "Analytical musings.")
    assert description(client.get(site_path)) == "Analytical musings."


def test_a_post_is_described_by_the_start_of_its_text(client, published):
    _, post_path = published
    text = description(client.get(post_path))

    assert text.startswith("The engine weaves algebraic patterns just as")
    assert "<" not in text and "*" not in text
    assert len(text) <= 221 and text.endswith("…")


@pytest.mark.parametrize("page", ["home", "site", "post"])
def test_public_pages_never_skip_a_heading_level(client, published, page):
    site_path, post_path = published
    levels = heading_levels(client.get({"home": "/", "site": site_path, "post": post_path}[page]))

    assert levels[0] == 1
    for previous, level in itertools.pairwise(levels):
        assert level <= previous + 1, f"h{previous} is followed by h{level}: {levels}"
