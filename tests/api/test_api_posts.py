"""The JSON API's own posts of a token's owner, and its public sites and posts."""

import re

import pytest

from shared_models import db
from shared_models.models import Post, User
from tests.support.api import (
    assert_problem,
    bearer,
)
from tests.support.apps import make_app

# --- the token's owner and their posts -----------------------------------------------------


def test_me_is_the_tokens_owner_and_their_site(api):
    response = api.get("/api/v1/me")

    assert response.status_code == 200
    me = response.get_json()
    assert me["username"] == "writer"
    assert me["site"]["slug"] == "writer"
    assert me["site"]["url"] == "http://localhost/sites/writer/"
    assert "email" not in me and "password_hash" not in me


@pytest.mark.smoke
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
