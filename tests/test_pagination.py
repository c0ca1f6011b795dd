"""Paginated pages: any `?page=` a visitor can type gives a page, never an error."""

import pytest

from shared_models import queries
from tests.support.pages import post_links, table_rows

PAGINATED = ["/", "/sites/boss/", "/dashboard/", "/admin/users", "/admin/posts", "/admin/audit"]

MEANS_FIRST_PAGE = ["", "abc", "0", "-1", "-99999", "1.5", "1e3", "0x10", "null", "[]"]
BEYOND_THE_END = ["3", "999999", str(10**30)]
# Too long for Python to read as a number at all; the page only has to answer.
ABSURD = ["9" * 5000, "1" * 100_000]


@pytest.fixture
def busy_site(admin_client, make_user, make_post, find_user):
    """The admin `boss` with enough posts for two public pages; returns the admin's browser."""
    boss = find_user("boss").id
    for n in range(queries.POSTS_PER_PAGE + 2):
        make_post(boss, f"Post {n}")
    return admin_client


def listing(response):
    """What a list page shows: its post links, or its table rows."""
    return post_links(response) or table_rows(response)


@pytest.mark.parametrize("url", PAGINATED)
def test_a_garbage_page_number_shows_the_first_page(busy_site, url):
    first_page = listing(busy_site.get(url))
    assert first_page

    for page in MEANS_FIRST_PAGE:
        response = busy_site.get(url, query_string={"page": page})
        assert response.status_code == 200, page
        assert listing(response) == first_page, page


@pytest.mark.parametrize("url", PAGINATED)
def test_a_page_beyond_the_end_is_an_empty_page_not_an_error(busy_site, url):
    for page in BEYOND_THE_END:
        response = busy_site.get(url, query_string={"page": page})
        assert response.status_code == 200, page[:40]
        assert listing(response) == [], page[:40]


@pytest.mark.parametrize("url", PAGINATED)
def test_an_absurdly_long_page_number_is_not_an_error(busy_site, url):
    for page in ABSURD:
        assert busy_site.get(url, query_string={"page": page}).status_code == 200


@pytest.mark.parametrize("url", ["/", "/sites/boss/", "/dashboard/"])
def test_the_second_page_continues_where_the_first_ended(busy_site, url):
    first = post_links(busy_site.get(url))
    second = post_links(busy_site.get(url, query_string={"page": "2"}))

    assert len(first) == queries.POSTS_PER_PAGE
    assert len(second) == 2
    assert not set(first) & set(second)


@pytest.mark.parametrize("url", ["/", "/sites/boss/"])
def test_anonymous_visitors_can_page_too(client, busy_site, url):
    for page in MEANS_FIRST_PAGE + BEYOND_THE_END + ABSURD:
        assert client.get(url, query_string={"page": page}).status_code == 200, page[:40]
