"""The JSON API's pages of posts: keyset cursors, Link headers, statements per page."""

import pytest

from tests.support.api import (
    assert_problem,
    bearer,
    next_url,
    read_all,
    write_posts,
)

# --- pages of posts ------------------------------------------------------------------------


def test_a_sites_posts_come_newest_first_a_page_at_a_time(client, app, writer):
    write_posts(app, writer, [f"Post {n}" for n in range(7)])

    pages = read_all(client, "/api/v1/sites/writer/posts?limit=3")

    assert pages == [["Post 6", "Post 5", "Post 4"], ["Post 3", "Post 2", "Post 1"], ["Post 0"]]


def test_posts_saved_in_the_same_instant_are_neither_skipped_nor_repeated(client, app, writer):
    write_posts(app, writer, [f"Post {n}" for n in range(5)], same_instant=True)

    pages = read_all(client, "/api/v1/sites/writer/posts?limit=2")

    assert sorted(title for page in pages for title in page) == [f"Post {n}" for n in range(5)]
    assert [len(page) for page in pages] == [2, 2, 1]


def test_the_last_page_has_no_next_link(client, app, writer):
    write_posts(app, writer, ["Only", "Two"])

    assert client.get("/api/v1/sites/writer/posts?limit=2").headers.get("Link") is None
    assert client.get("/api/v1/sites/writer/posts").headers.get("Link") is None


def test_the_next_page_stays_put_while_posts_are_added(client, app, writer):
    write_posts(app, writer, [f"Post {n}" for n in range(6)])
    first = client.get("/api/v1/sites/writer/posts?limit=3")
    assert [post["title"] for post in first.get_json()] == ["Post 5", "Post 4", "Post 3"]

    write_posts(app, writer, ["Newer A", "Newer B"], later=1)
    second = client.get(next_url(first))

    assert [post["title"] for post in second.get_json()] == ["Post 2", "Post 1", "Post 0"]


def test_my_posts_include_drafts_most_recently_changed_first(api, app, writer):
    write_posts(app, writer, ["Old published", "Middle published"])
    write_posts(app, writer, ["Newest draft"], published=False, later=1)

    pages = read_all(api, "/api/v1/me/posts?limit=2")

    assert pages == [["Newest draft", "Middle published"], ["Old published"]]


def test_the_next_link_keeps_the_page_size_and_the_site(client, app, writer):
    write_posts(app, writer, [f"Post {n}" for n in range(4)])

    url = next_url(client.get("/api/v1/sites/writer/posts?limit=3"))

    assert url.startswith("/api/v1/sites/writer/posts?")
    assert "limit=3" in url and "cursor=" in url


@pytest.mark.parametrize(
    "query",
    [
        "cursor=not-a-cursor",
        "cursor=" + "0" * 28,
        "cursor=" + "G" * 29,
        "cursor=%FF",
        "limit=0",
        "limit=101",
        "limit=ten",
    ],
)
def test_a_malformed_cursor_or_limit_is_a_422_problem(client, api, writer, query):
    for response in (
        client.get(f"/api/v1/sites/writer/posts?{query}"),
        api.get(f"/api/v1/me/posts?{query}"),
    ):
        if query == "cursor=%FF":
            assert_problem(response, 400)  # not even UTF-8
        else:
            problem = assert_problem(response, 422)
            assert set(problem["errors"]) <= {"cursor", "limit"}


def test_any_well_formed_cursor_is_a_place_in_the_list(client, app, writer):
    write_posts(app, writer, ["Post"])

    after_everything = client.get("/api/v1/sites/writer/posts?cursor=" + "0" * 29)
    before_everything = client.get("/api/v1/sites/writer/posts?cursor=" + "f" * 29)

    assert after_everything.get_json() == []
    assert [post["title"] for post in before_everything.get_json()] == ["Post"]


# --- how many statements a page of the API costs -------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/v1/sites/writer/posts?limit={n}", "/api/v1/me/posts?limit={n}"]
)
def test_a_page_of_posts_runs_as_many_statements_for_50_posts_as_for_5(
    client, app, writer, token, count_queries, url
):
    write_posts(app, writer, [f"Post {n}" for n in range(60)])
    counts = {}
    for n in (5, 50):
        client.get(url.format(n=n), headers=bearer(token))  # warm: last-used written once
        with count_queries() as statements:
            response = client.get(url.format(n=n), headers=bearer(token))
        assert len(response.get_json()) == n
        counts[n] = len(statements)

    assert counts[5] == counts[50]
    # The token (with its owner and site), the site for a public list, the page itself.
    assert counts[50] <= 3
