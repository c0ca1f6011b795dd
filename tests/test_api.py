"""The JSON API: every endpoint, who may use it, its pages of posts, and its errors."""

import re
from datetime import timedelta

import pytest

from shared_models import api_tokens, db
from shared_models.models import Post, User, utcnow
from tests.support.apps import make_app
from tests.support.clients import PASSWORD, AuthActions

ONE_MIB = 1024 * 1024
PROBLEM = "application/problem+json"
NEXT_LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def make_token(app):
    """Give a user (by id) an API token; returns its secret."""

    def make(user_id, scope="write", name="script"):
        with app.app_context():
            _, secret = api_tokens.create_token(db.session.get(User, user_id), name, scope)
            return secret

    return make


@pytest.fixture
def writer(make_user):
    return make_user("writer")


@pytest.fixture
def token(make_token, writer):
    """A write token of `writer`."""
    return make_token(writer)


@pytest.fixture
def api(client, token):
    """Calls to the API as `writer`, with their write token."""

    class Caller:
        def __getattr__(self, method):
            def call(url, **kwargs):
                headers = {**bearer(token), **kwargs.pop("headers", {})}
                return getattr(client, method)(url, headers=headers, **kwargs)

            return call

    return Caller()


def assert_problem(response, status):
    """An RFC 9457 problem with this status; its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    problem = response.get_json(force=True)
    assert problem["status"] == status
    assert problem["type"] == "about:blank"
    assert problem["title"] and problem["detail"]
    return problem


# --- the token's owner and their posts -----------------------------------------------------


def test_me_is_the_tokens_owner_and_their_site(api):
    response = api.get("/api/v1/me")

    assert response.status_code == 200
    me = response.get_json()
    assert me["username"] == "writer"
    assert me["site"]["slug"] == "writer"
    assert me["site"]["url"] == "http://localhost/sites/writer/"
    assert "email" not in me and "password_hash" not in me


def test_creating_a_post_answers_201_with_its_location_and_all_its_fields(api):
    response = api.post("/api/v1/me/posts", json={"title": "Hello, API", "body": "Some *Markdown*"})

    assert response.status_code == 201
    post = response.get_json()
    assert response.headers["Location"] == f"http://localhost/api/v1/me/posts/{post['id']}"
    assert post["title"] == "Hello, API"
    assert post["slug"] == "hello-api"
    assert post["body"] == "Some *Markdown*"
    assert post["body_html"] == "<p>Some <em>Markdown</em></p>\n"
    assert post["published"] is False
    assert post["published_at"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", post["updated_at"])
    assert "url" not in post  # a draft has no public page
    assert api.get(response.headers["Location"]).get_json() == post


def test_a_published_post_carries_its_public_address(api, client):
    post = api.post("/api/v1/me/posts", json={"title": "Out now", "published": True}).get_json()

    assert post["published"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", post["published_at"])
    assert post["url"] == "http://localhost/sites/writer/out-now"
    assert client.get("/sites/writer/out-now").status_code == 200


def test_public_addresses_are_built_from_public_url_when_it_is_set(
    layout, database_url, writer, token
):
    app = make_app(layout, database_url, PUBLIC_URL="https://inkpot.example.com")
    client = app.test_client()
    headers = {**bearer(token), "Host": "inkpot.example.com"}

    response = client.post(
        "/api/v1/me/posts", json={"title": "Far away", "published": True}, headers=headers
    )

    assert response.get_json()["url"] == "https://inkpot.example.com/sites/writer/far-away"
    assert response.headers["Location"].startswith("https://inkpot.example.com/api/v1/me/posts/")


def test_a_post_is_written_by_the_same_rules_as_the_form(api):
    first = api.post("/api/v1/me/posts", json={"title": "Same title"}).get_json()
    second = api.post("/api/v1/me/posts", json={"title": "Same title"}).get_json()

    assert (first["slug"], second["slug"]) == ("same-title", "same-title-2")


def test_changing_a_post_changes_only_the_fields_sent(api):
    post = api.post("/api/v1/me/posts", json={"title": "Draft", "body": "Old"}).get_json()

    response = api.patch(f"/api/v1/me/posts/{post['id']}", json={"body": "New *body*"})

    assert response.status_code == 200
    changed = response.get_json()
    assert (changed["title"], changed["body"], changed["published"]) == (
        "Draft",
        "New *body*",
        False,
    )
    assert changed["body_html"] == "<p>New <em>body</em></p>\n"


def test_publishing_through_the_api_keeps_the_slug_when_the_title_changes(api):
    post = api.post("/api/v1/me/posts", json={"title": "First title"}).get_json()
    api.patch(f"/api/v1/me/posts/{post['id']}", json={"published": True})

    renamed = api.patch(f"/api/v1/me/posts/{post['id']}", json={"title": "Better title"})

    assert renamed.get_json()["slug"] == "first-title"
    assert renamed.get_json()["url"] == "http://localhost/sites/writer/first-title"


def test_deleting_a_post_answers_204_and_it_is_gone(api, find_post):
    post = api.post("/api/v1/me/posts", json={"title": "Short-lived"}).get_json()

    response = api.delete(f"/api/v1/me/posts/{post['id']}")

    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert find_post(post["id"]) is None
    assert_problem(api.get(f"/api/v1/me/posts/{post['id']}"), 404)


@pytest.mark.parametrize(
    ("sent", "field", "message"),
    [
        ({"title": "   "}, "title", "A post needs a title."),
        ({"title": "x" * 201}, "title", "Keep this under 200 characters."),
        ({"title": "Bell \x07"}, "title", "Remove the invisible control characters"),
        ({"title": "Fine", "body": "x" * 100_001}, "body", "Keep this under 100,000 characters."),
        ({"title": "Fine", "body": "Null \x00 byte"}, "body", "Remove the invisible control"),
        ({}, "title", "Missing data for required field."),
        ({"title": "Fine", "published": "yes"}, "published", "Not a valid boolean."),
        ({"title": "Fine", "published": 1}, "published", "Not a valid boolean."),
        ({"title": "Fine", "author": "someone"}, "author", "Unknown field."),
    ],
)
def test_a_refused_post_answers_422_with_the_fields_message(api, app, sent, field, message):
    response = api.post("/api/v1/me/posts", json=sent)

    problem = assert_problem(response, 422)
    assert problem["errors"][field][0].startswith(message)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Post.id))).scalar() == 0


def test_a_refused_change_answers_422_and_changes_nothing(api):
    post = api.post("/api/v1/me/posts", json={"title": "Keep me"}).get_json()

    problem = assert_problem(api.patch(f"/api/v1/me/posts/{post['id']}", json={"title": ""}), 422)

    assert problem["errors"] == {"title": ["A post needs a title."]}
    assert api.get(f"/api/v1/me/posts/{post['id']}").get_json()["title"] == "Keep me"


# --- who may do what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "body"), [("get", None), ("patch", {"title": "Mine now"}), ("delete", None)]
)
def test_another_users_post_is_404_and_left_alone(
    api, make_user, make_post, find_post, method, body
):
    grace = make_user("grace")
    for published in (True, False):
        post_id, _ = make_post(grace, "Grace's", published=published)

        response = getattr(api, method)(f"/api/v1/me/posts/{post_id}", json=body)

        assert_problem(response, 404)
        assert find_post(post_id).title == "Grace's"


def test_another_users_posts_are_not_in_my_list(api, make_user, make_post):
    make_post(make_user("grace"), "Grace's", published=True)

    assert api.get("/api/v1/me/posts").get_json() == []


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/v1/me/posts", {"title": "Nope"}),
        ("patch", "/api/v1/me/posts/{post}", {"title": "Nope"}),
        ("delete", "/api/v1/me/posts/{post}", None),
    ],
)
def test_a_read_token_reads_but_cannot_write(
    client, writer, make_token, make_post, find_post, method, url, body
):
    post_id, _ = make_post(writer, "Untouched")
    reader = bearer(make_token(writer, scope="read"))

    assert client.get(f"/api/v1/me/posts/{post_id}", headers=reader).status_code == 200
    response = getattr(client, method)(url.format(post=post_id), json=body, headers=reader)

    assert "write" in assert_problem(response, 403)["detail"]
    assert find_post(post_id).title == "Untouched"
    with client.application.app_context():
        assert db.session.execute(db.select(db.func.count(Post.id))).scalar() == 1


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/me/posts"),
        ("post", "/api/v1/me/posts"),
        ("get", "/api/v1/me/posts/1"),
        ("patch", "/api/v1/me/posts/1"),
        ("delete", "/api/v1/me/posts/1"),
    ],
)
def test_without_a_token_me_answers_401_with_a_bearer_challenge(client, method, url):
    response = getattr(client, method)(url, json={"title": "x"})

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer inkpot_" + "x" * 43,
        "Bearer not-even-the-shape",
        "Bearer ",
        "Basic d3JpdGVyOnBhc3N3b3Jk",
        "inkpot_" + "x" * 43,
    ],
)
def test_a_token_that_does_not_work_answers_401_even_on_public_endpoints(client, writer, header):
    for url in ("/api/v1/me", "/api/v1/sites/writer"):
        response = client.get(url, headers={"Authorization": header})

        assert_problem(response, 401)
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_revoked_token_answers_401(client, writer, make_token, app):
    secret = make_token(writer)
    with app.app_context():
        user = db.session.get(User, writer)
        (token,) = api_tokens.live_tokens(user)
        api_tokens.revoke_token(user, token)

    assert_problem(client.get("/api/v1/me", headers=bearer(secret)), 401)


def test_a_suspended_users_tokens_answer_401_until_reactivation(
    client, admin_client, writer, token
):
    admin_client.submit(f"/admin/users/{writer}/suspend")
    assert_problem(client.get("/api/v1/me", headers=bearer(token)), 401)
    assert_problem(client.post("/api/v1/me/posts", json={"title": "x"}, headers=bearer(token)), 401)

    admin_client.submit(f"/admin/users/{writer}/reactivate")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_a_browser_signed_in_to_the_site_is_anonymous_to_the_api(client, writer, make_post):
    make_post(writer, "Mine", published=False)
    AuthActions(client).login("writer@example.com", PASSWORD)
    assert client.get("/dashboard/").status_code == 200  # the cookie works on the site

    assert_problem(client.get("/api/v1/me"), 401)
    assert_problem(client.get("/api/v1/me/posts"), 401)
    assert_problem(client.post("/api/v1/me/posts", json={"title": "Riding a cookie"}), 401)
    assert client.get("/api/v1/sites/writer").status_code == 200
    with client.application.app_context():
        assert db.session.execute(db.select(db.func.count(Post.id))).scalar() == 1


API_URLS = [
    "/api/v1/me",
    "/api/v1/me/posts",
    "/api/v1/sites/writer",
    "/api/v1/sites/writer/posts",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/no-such-thing",
]


def test_the_api_neither_reads_nor_writes_the_session(client, writer, token):
    # Kept signed in: a session cookie and a remember-me cookie, either of which
    # would sign the browser in again on a page that looked.
    client.submit("/login", {"email": "writer@example.com", "password": PASSWORD, "remember": "y"})
    assert client.get_cookie(client.application.config["REMEMBER_COOKIE_NAME"])

    for url in API_URLS:
        for headers in ({}, bearer(token)):
            response = client.get(url, headers=headers)
            assert "Set-Cookie" not in response.headers, url
            assert "Cookie" not in response.headers.get("Vary", ""), url
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "Sign out" not in page  # the reference page knows nobody


def test_nothing_under_the_api_is_csrf_protected_or_needs_a_form(api):
    # The CSRF exemption is what lets a script POST at all: no cookie, no form token.
    assert api.post("/api/v1/me/posts", json={"title": "No CSRF token"}).status_code == 201


# --- public sites and posts ----------------------------------------------------------------


def test_a_public_site(client, writer):
    response = client.get("/api/v1/sites/writer")

    assert response.status_code == 200
    assert response.get_json() == {
        "slug": "writer",
        "title": "writer's blog",
        "tagline": "",
        "url": "http://localhost/sites/writer/",
    }


def test_a_published_post_by_its_slug(client, writer, make_post):
    post_id, slug = make_post(writer, "Public one", body="*Hi*")

    post = client.get(f"/api/v1/sites/writer/posts/{slug}").get_json()

    assert (post["id"], post["title"], post["body_html"]) == (
        post_id,
        "Public one",
        "<p><em>Hi</em></p>\n",
    )


def test_drafts_never_appear_on_public_endpoints(client, writer, make_post, token):
    make_post(writer, "Published one")
    _, draft_slug = make_post(writer, "Secret draft", published=False)

    listed = client.get("/api/v1/sites/writer/posts", headers=bearer(token)).get_json()

    assert [post["title"] for post in listed] == ["Published one"]
    assert_problem(client.get(f"/api/v1/sites/writer/posts/{draft_slug}"), 404)
    # Not even to their owner, on the public endpoints.
    assert_problem(
        client.get(f"/api/v1/sites/writer/posts/{draft_slug}", headers=bearer(token)), 404
    )


@pytest.mark.parametrize(
    "url", ["/api/v1/sites/{site}", "/api/v1/sites/{site}/posts", "/api/v1/sites/{site}/posts/hi"]
)
def test_a_suspended_users_site_and_an_unknown_one_are_404(client, make_user, make_post, url):
    suspended = make_user("gone")
    make_post(suspended, "Hi")
    with client.application.app_context():
        db.session.get(User, suspended).is_suspended = True
        db.session.commit()

    for site in ("gone", "nobody", "Not-A-Slug"):
        assert_problem(client.get(url.format(site=site)), 404)


def test_a_post_made_through_the_api_can_be_deleted_by_an_admin(
    api, admin_client, audit_events, find_post
):
    post = api.post("/api/v1/me/posts", json={"title": "Spam", "published": True}).get_json()

    assert admin_client.submit(f"/admin/posts/{post['id']}/delete").status_code == 302

    assert find_post(post["id"]) is None
    assert audit_events()[-1][:2] == ("post.deleted_by_admin", "boss")
    assert_problem(api.get("/api/v1/sites/writer/posts/spam"), 404)


# --- pages of posts ------------------------------------------------------------------------


def next_url(response):
    link = response.headers.get("Link")
    return NEXT_LINK.match(link)["url"].removeprefix("http://localhost") if link else None


def read_all(client, url, headers=None):
    """Every page of a list, following its Link headers: [[titles of page 1], …]."""
    pages = []
    while url:
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200
        pages.append([post["title"] for post in response.get_json()])
        url = next_url(response)
    return pages


def write_posts(app, user_id, titles, published=True, same_instant=False, later=0):
    """Posts in one go, a second apart in this order (or all at one moment), `later` minutes on."""
    moment = utcnow() + timedelta(minutes=later)
    with app.app_context():
        site = db.session.get(User, user_id).site
        for n, title in enumerate(titles):
            at = moment if same_instant else moment + timedelta(seconds=n)
            db.session.add(
                Post(
                    site=site,
                    title=title,
                    slug=f"{title.lower().replace(' ', '-')}",
                    is_published=published,
                    published_at=at if published else None,
                    updated_at=at,
                )
            )
        db.session.commit()


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


# --- errors: problem details for everything under /api/ ------------------------------------


def test_an_unknown_api_url_is_a_404_problem_but_the_site_keeps_its_pages(client):
    assert_problem(client.get("/api/v1/no-such-thing"), 404)
    assert_problem(client.get("/api/v2/me"), 404)
    assert_problem(client.get("/api"), 404)
    assert client.get("/no-such-page").mimetype == "text/html"


def test_a_wrong_method_is_a_405_problem_with_the_allowed_ones(client):
    response = client.put("/api/v1/me/posts")

    assert_problem(response, 405)
    assert {"GET", "POST"} <= set(response.headers["Allow"].replace(" ", "").split(","))


@pytest.mark.parametrize("number", ["1000000000", "2147483648", "99999999999999999999999"])
def test_an_id_too_large_for_the_database_is_a_404_for_every_method(api, client, number):
    for method in ("get", "patch", "delete"):
        assert_problem(getattr(api, method)(f"/api/v1/me/posts/{number}", json={}), 404)
    # The site's own pages are bounded alike.
    assert client.get(f"/dashboard/posts/{number}/edit").status_code in {302, 404}
    assert client.post(f"/admin/users/{number}/suspend").status_code in {302, 400, 404}


def test_a_body_over_1_mib_is_a_413_problem(api):
    response = api.post(
        "/api/v1/me/posts",
        data='{"title": "Big", "body": "' + "x" * ONE_MIB + '"}',
        content_type="application/json",
    )

    assert_problem(response, 413)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("title=Form-encoded", "application/x-www-form-urlencoded"),
        ('{"title": "JSON, but not said so"}', "text/plain"),
        ("", None),
    ],
)
def test_a_body_that_is_not_json_is_a_415_problem(api, data, content_type):
    response = api.post("/api/v1/me/posts", data=data, content_type=content_type)

    assert_problem(response, 415)


@pytest.mark.parametrize("data", ["{", '{"title": "x"', "nul\x00", "\xff"])
def test_json_that_does_not_parse_is_a_400_problem(api, data):
    response = api.post("/api/v1/me/posts", data=data, content_type="application/json")

    assert "JSON" in assert_problem(response, 400)["detail"]


def test_a_body_that_is_json_but_not_an_object_is_a_422_problem(api):
    for data in ("[]", '"title"', "42", "null"):
        assert_problem(
            api.post("/api/v1/me/posts", data=data, content_type="application/json"), 422
        )


@pytest.fixture
def crashing_app(app):
    """The app with a test-only API URL that crashes, answered as production would."""

    @app.get("/api/v1/test-only/crash")
    def crash():
        db.session.execute(db.text("SELECT 1"))
        raise RuntimeError("secret internal detail: password=hunter2 at /srv/inkpot/app.py")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_a_crash_is_a_500_problem_with_nothing_internal_shown(crashing_app):
    response = crashing_app.test_client().get("/api/v1/test-only/crash")

    assert_problem(response, 500)
    body = response.get_data(as_text=True)
    for internal in ("secret internal detail", "hunter2", "RuntimeError", "Traceback", "/srv/"):
        assert internal not in body
    assert crashing_app.test_client().get("/api/v1/sites/nobody").status_code == 404


def test_api_errors_keep_the_sites_security_headers(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


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
