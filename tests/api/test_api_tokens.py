"""Personal API tokens: made at /dashboard/tokens and shown once, stored hashed, revocable."""

import hashlib
import re
from datetime import timedelta

import pytest

from shared_models import api_tokens, db
from shared_models.models import ApiToken, User
from tests.support.clients import PASSWORD, AuthActions
from tests.support.pages import field_has_error, main_text, parse, redirect_target

SECRET = re.compile(r"inkpot_[A-Za-z0-9_-]{43}")


@pytest.fixture
def writer(client, make_user):
    """`writer`, signed in in the test's client; their id."""
    user_id = make_user("writer")
    AuthActions(client).login("writer@example.com")
    return user_id


def stored_tokens(app, user_id=None):
    with app.app_context():
        query = db.select(ApiToken).order_by(ApiToken.id)
        if user_id is not None:
            query = query.where(ApiToken.user_id == user_id)
        return list(db.session.execute(query).scalars())


def make_token(client, name="Laptop script", scope="write", password=PASSWORD):
    """Make a token on the tokens page (with the password); the response and the secret shown."""
    form = {"name": name, "scope": scope, "current_password": password}
    response = client.submit("/dashboard/tokens", form)
    found = SECRET.findall(response.get_data(as_text=True))
    return response, (found[0] if found else None)


def test_the_tokens_page_offers_a_form_and_lists_nothing_yet(client, writer):
    response = client.get("/dashboard/tokens")

    assert response.status_code == 200
    page = parse(response)
    assert page.find("input", name="name") is not None
    options = [option.attrs["value"] for option in page.find("select").find_all("option")]
    assert options == ["read", "write"]
    assert "No tokens yet" in main_text(response)


def test_the_dashboard_and_the_account_page_link_to_the_tokens(client, writer):
    for url in ("/dashboard/", "/dashboard/account"):
        assert parse(client.get(url)).find("a", href="/dashboard/tokens") is not None, url


def test_making_a_token_shows_it_once_and_keeps_only_its_hash(app, client, writer):
    response, secret = make_token(client)

    assert response.status_code == 200
    assert secret is not None
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers or secret not in response.headers["Set-Cookie"]
    (token,) = stored_tokens(app, writer)
    assert (token.name, token.scope) == ("Laptop script", "write")
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    # Never again: not on the list, not in the session.
    again = client.get("/dashboard/tokens")
    assert secret not in again.get_data(as_text=True)
    assert "Laptop script" in main_text(again)
    assert secret not in str(client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)


def test_a_made_token_works_on_the_api(client, writer):
    _, secret = make_token(client, scope="read")

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})

    assert response.get_json()["username"] == "writer"


def test_tokens_are_random(client, writer):
    secrets = {make_token(client, name=f"Token {n}")[1] for n in range(5)}

    assert len(secrets) == 5


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "scope": "read"}, "name"),
        ({"name": "   ", "scope": "read"}, "name"),
        ({"name": "x" * 101, "scope": "read"}, "name"),
        ({"name": "Admin", "scope": "admin"}, "scope"),
    ],
)
def test_a_refused_token_form_says_why_and_makes_nothing(app, client, writer, data, field):
    response = client.submit("/dashboard/tokens", data)

    assert response.status_code == 200
    assert field_has_error(response, field)
    assert SECRET.search(response.get_data(as_text=True)) is None
    assert stored_tokens(app) == []


@pytest.mark.parametrize("password", ["", "not-my-password"])
def test_a_write_token_asks_for_the_accounts_password(app, client, writer, audit_events, password):
    """A copy of a session must not be enough to make a key that outlives it."""
    response, secret = make_token(client, scope="write", password=password)

    assert response.status_code == 200
    assert secret is None
    assert field_has_error(response, "current_password")
    assert stored_tokens(app) == []
    if password:
        assert ("user.password_change_failed", "writer", "") in audit_events()


def test_a_read_token_needs_no_password(app, client, writer):
    _, secret = make_token(client, scope="read", password="")

    assert secret is not None
    assert [token.scope for token in stored_tokens(app, writer)] == ["read"]


def test_a_user_cannot_hoard_tokens(app, client, writer):
    with app.app_context():
        user = db.session.get(User, writer)
        for n in range(api_tokens.MAX_LIVE_TOKENS):
            api_tokens.create_token(user, f"Token {n}", "read")

    response, secret = make_token(client)

    assert secret is None
    assert "Revoke one" in main_text(response)


def test_revoking_a_token_stops_it_and_lists_it_no_more(app, client, writer):
    _, secret = make_token(client)
    (token,) = stored_tokens(app, writer)

    response = client.submit(f"/dashboard/tokens/{token.id}/revoke")

    assert redirect_target(response)[0] == "/dashboard/tokens"
    assert "is revoked" in main_text(client.get("/dashboard/tokens"))
    assert "Laptop script" not in main_text(client.get("/dashboard/tokens")).split("Your tokens")[1]
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


def test_another_users_token_cannot_be_revoked(app, client, writer, make_user):
    grace = make_user("grace")
    with app.app_context():
        token, _ = api_tokens.create_token(db.session.get(User, grace), "Grace's", "read")
        token_id = token.id

    assert client.submit(f"/dashboard/tokens/{token_id}/revoke").status_code == 404
    assert stored_tokens(app, grace)[0].revoked_at is None
    assert "Grace's" not in main_text(client.get("/dashboard/tokens"))


def test_making_and_revoking_tokens_is_audited(app, client, writer, audit_events):
    make_token(client, name="CI")
    (token,) = stored_tokens(app, writer)
    client.submit(f"/dashboard/tokens/{token.id}/revoke")

    events = [event for event in audit_events() if event[0].startswith("token.")]
    assert events == [
        ("token.created", "writer", "CI (write)"),
        ("token.revoked", "writer", "CI (write)"),
    ]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/dashboard/tokens"),
        ("post", "/dashboard/tokens"),
        ("post", "/dashboard/tokens/1/revoke"),
    ],
)
def test_the_token_pages_are_for_signed_in_users(client, method, url):
    response = client.get(url) if method == "get" else client.submit(url)

    assert redirect_target(response)[0] == "/login"


def test_the_token_forms_need_a_csrf_token(app, client, writer):
    forged = {"name": "Forged", "scope": "write", "current_password": PASSWORD}
    assert client.post("/dashboard/tokens", data=forged).status_code == 400
    assert stored_tokens(app) == []
    make_token(client)
    (token,) = stored_tokens(app, writer)

    assert client.post(f"/dashboard/tokens/{token.id}/revoke").status_code == 400
    assert stored_tokens(app)[0].revoked_at is None


# --- the domain ----------------------------------------------------------------------------


def test_last_used_is_written_at_most_every_few_minutes(domain_app):
    from shared_models import accounts

    user = accounts.sign_up("writer", "writer@example.com", "correct-horse-battery")
    token, secret = api_tokens.create_token(user, "script", "read")
    assert token.last_used_at is None

    first = api_tokens.authenticate(secret).last_used_at
    assert first is not None
    assert api_tokens.authenticate(secret).last_used_at == first

    token.last_used_at = first - api_tokens.LAST_USED_PRECISION - timedelta(seconds=1)
    db.session.commit()
    assert api_tokens.authenticate(secret).last_used_at > first - timedelta(seconds=1)


@pytest.mark.parametrize("text", ["", "inkpot_", "inkpot_" + "x" * 42, "x" * 50, "inkpot_\x00" * 6])
def test_text_that_is_no_token_is_never_looked_up(domain_app, text):
    assert api_tokens.authenticate(text) is None
