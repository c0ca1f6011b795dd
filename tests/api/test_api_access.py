"""Who may do what through the JSON API: tokens, scopes, suspension, and no session."""

import pytest

from shared_models import api_tokens, db
from shared_models.models import Post, User
from tests.support.api import (
    assert_problem,
    bearer,
)
from tests.support.clients import PASSWORD, AuthActions

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
