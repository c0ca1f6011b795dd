"""The JSON API's throttles: writes per token before any work, anonymous reads per address."""

import pytest

from shared_models import db
from tests.support.clients import PASSWORD


@pytest.fixture
def api_app(throttled_app):
    """The throttled app with small API limits, and `writer` with a write token: (app, secret)."""
    from shared_models import accounts, api_tokens

    throttled_app.config["API_READ_RATE_LIMIT"] = "5 per minute"
    throttled_app.config["API_WRITE_RATE_LIMIT"] = "3 per minute"
    with throttled_app.app_context():
        writer = accounts.sign_up("writer", "writer@example.com", PASSWORD, confirmed=True)
        _, secret = api_tokens.create_token(writer, "script", "write")
    return throttled_app, secret


def api_token(app, username):
    from shared_models import accounts, api_tokens

    with app.app_context():
        user = accounts.sign_up(username, f"{username}@example.com", PASSWORD, confirmed=True)
        return api_tokens.create_token(user, "script", "write")[1]


def assert_throttled_problem(response):
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60


def write(client, secret, title="A post", address="127.0.0.1"):
    return client.post(
        "/api/v1/me/posts",
        json={"title": title},
        headers={"Authorization": f"Bearer {secret}"},
        environ_base={"REMOTE_ADDR": address},
    )


def count_posts(app):
    from shared_models.models import Post

    with app.app_context():
        return db.session.execute(db.select(db.func.count(Post.id))).scalar()


def test_api_writes_are_throttled_per_token_before_any_work(api_app):
    app, secret = api_app
    client = app.test_client()
    for n in range(3):
        assert write(client, secret, f"Post {n}", address=f"192.0.2.{n}").status_code == 201

    assert_throttled_problem(write(client, secret, "One too many", address="192.0.2.99"))
    assert count_posts(app) == 3
    # Another token is another count; reads are counted apart from writes.
    assert write(client, api_token(app, "grace")).status_code == 201
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_anonymous_api_reads_are_throttled_per_address(api_app):
    app, _ = api_app
    client = app.test_client()
    for _ in range(5):
        assert client.get("/api/v1/sites/writer").status_code == 200

    assert_throttled_problem(client.get("/api/v1/sites/writer/posts"))
    other = client.get("/api/v1/sites/writer", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200


def test_made_up_tokens_count_against_their_address(api_app):
    app, secret = api_app
    client = app.test_client()
    for n in range(5):
        guess = {"Authorization": f"Bearer inkpot_{n:043d}"}
        assert client.get("/api/v1/me", headers=guess).status_code == 401

    assert_throttled_problem(client.get("/api/v1/sites/writer"))
    # A real token has a count of its own.
    real = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert real.status_code == 200
