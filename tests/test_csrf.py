"""CSRF: every POST form has a token; a POST without a valid one gets 400 and changes nothing."""

from dataclasses import dataclass

import pytest

from shared_models import accounts, db
from shared_models.models import Post, User
from tests.support.apps import IDLE_BROKER_URL, make_app
from tests.support.clients import PASSWORD, AuthActions
from tests.support.pages import main_text, parse


@dataclass
class Scene:
    """A visitor, a signed-in writer with a post, an admin, and two users for the admin."""

    app: object
    visitor: object
    writer: object
    admin: object
    post_id: int
    grace_id: int
    susan_id: int


@pytest.fixture
def scene(app, client, admin_client, make_user, make_post):
    writer_id = make_user("writer")
    AuthActions(client).login("writer@example.com")
    post_id, _ = make_post(writer_id, "Untouched", body="Original body")
    return Scene(
        app=app,
        visitor=app.test_client(),
        writer=client,
        admin=admin_client,
        post_id=post_id,
        grace_id=make_user("grace"),
        susan_id=make_user("susan", suspended=True),
    )


def in_db(scene, read):
    with scene.app.app_context():
        return read()


def user(username):
    return db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()


# (who posts, URL, form data, what must still hold afterwards)
FORMS = {
    "signup": (
        "visitor",
        "/signup",
        {"username": "newcomer", "email": "newcomer@example.com", "password": PASSWORD},
        lambda s: in_db(s, lambda: user("newcomer")) is None,
    ),
    "login": (
        "visitor",
        "/login",
        {"email": "writer@example.com", "password": PASSWORD},
        lambda s: s.visitor.get("/dashboard/").status_code == 302,
    ),
    "logout": ("writer", "/logout", {}, lambda s: s.writer.get("/dashboard/").status_code == 200),
    "new-post": (
        "writer",
        "/dashboard/posts/new",
        {"title": "Forged", "body": "x", "published": "y"},
        lambda s: (
            in_db(s, lambda: db.session.execute(db.select(db.func.count(Post.id))).scalar()) == 1
        ),
    ),
    "edit-post": (
        "writer",
        "/dashboard/posts/{post}/edit",
        {"title": "Forged", "body": "x", "published": "y"},
        lambda s: in_db(s, lambda: db.session.get(Post, s.post_id).title) == "Untouched",
    ),
    "delete-post": (
        "writer",
        "/dashboard/posts/{post}/delete",
        {},
        lambda s: in_db(s, lambda: db.session.get(Post, s.post_id)) is not None,
    ),
    "site-settings": (
        "writer",
        "/dashboard/site",
        {"title": "Forged", "tagline": "x"},
        lambda s: in_db(s, lambda: user("writer").site.title) == "writer's blog",
    ),
    "change-password": (
        "writer",
        "/dashboard/account",
        {"current_password": PASSWORD, "new_password": "forged-password-1"},
        lambda s: (
            in_db(s, lambda: accounts.authenticate("writer@example.com", PASSWORD)) is not None
        ),
    ),
    "language": (
        "writer",
        "/locale",
        {"locale": "zh-Hans"},
        lambda s: in_db(s, lambda: user("writer").locale) is None,
    ),
    # A visitor's switch may come without a token only when the browser vouches for the
    # site (tests/test_languages.py); this one, like a forged form, says nothing.
    "language-visitor": (
        "visitor",
        "/locale",
        {"locale": "zh-Hans"},
        lambda s: s.visitor.get_cookie("locale") is None,
    ),
    "admin-suspend": (
        "admin",
        "/admin/users/{grace}/suspend",
        {},
        lambda s: not in_db(s, lambda: user("grace").is_suspended),
    ),
    "admin-reactivate": (
        "admin",
        "/admin/users/{susan}/reactivate",
        {},
        lambda s: in_db(s, lambda: user("susan").is_suspended),
    ),
    "admin-delete-post": (
        "admin",
        "/admin/posts/{post}/delete",
        {},
        lambda s: in_db(s, lambda: db.session.get(Post, s.post_id)) is not None,
    ),
}


def forged_tokens(scene):
    """No token, a made-up one, and a real token that belongs to somebody else's session."""
    stranger = scene.app.test_client()
    return {"missing": None, "made-up": "not-a-real-token", "someone-elses": stranger.csrf_token()}


CASES = [(form, "missing") for form in FORMS] + [
    (form, token)
    for form in ("login", "new-post", "admin-suspend")
    for token in ("made-up", "someone-elses")
]


@pytest.mark.parametrize(("form", "token"), CASES)
def test_a_post_without_a_valid_csrf_token_gets_400_and_changes_nothing(scene, form, token):
    who, url, data, still_holds = FORMS[form]
    browser = getattr(scene, who)
    url = url.format(post=scene.post_id, grace=scene.grace_id, susan=scene.susan_id)
    forged = forged_tokens(scene)[token]
    if forged is not None:
        data = {**data, "csrf_token": forged}

    response = browser.post(url, data=data)

    assert response.status_code == 400
    assert "400" in main_text(response)
    assert still_holds(scene)


@pytest.mark.parametrize("form", FORMS.keys())
def test_the_same_post_with_a_valid_token_goes_through(scene, form):
    who, url, data, still_holds = FORMS[form]
    browser = getattr(scene, who)
    url = url.format(post=scene.post_id, grace=scene.grace_id, susan=scene.susan_id)

    response = browser.submit(url, data)

    assert response.status_code == 302
    assert not still_holds(scene)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("visitor", "/signup"),
        ("visitor", "/login"),
        ("writer", "/"),
        ("writer", "/dashboard/posts/new"),
        ("writer", "/dashboard/posts/{post}/edit"),
        ("writer", "/dashboard/site"),
        ("writer", "/dashboard/account"),
        ("admin", "/admin/users"),
        ("admin", "/admin/posts"),
    ],
)
def test_every_post_form_carries_a_csrf_token(scene, who, url):
    page = getattr(scene, who).get(url.format(post=scene.post_id))

    forms = [f for f in parse(page).find_all("form") if f.attrs.get("method", "").lower() == "post"]
    assert forms
    for form in forms:
        (token,) = form.find_all("input", name="csrf_token")
        assert token.attrs["value"]


# Production's cookies are Secure: over plain http:// a browser never sends the
# session back, so no form can pass its CSRF check there.
PRODUCTION = {
    "APP_ENV": "production",
    "PUBLIC_URL": "https://blog.example.com",
    "CELERY_BROKER_URL": IDLE_BROKER_URL,
}
HTTPS_HINT = "this site's forms only work over HTTPS"


def expired_form_page(app, base_url: str, headers: dict | None = None) -> str:
    """The text of the 400 page a sign-in without its CSRF token gets."""
    response = app.test_client().post(
        "/login", data={"email": "writer@example.com"}, base_url=base_url, headers=headers
    )
    assert response.status_code == 400
    return main_text(response)


@pytest.fixture
def production_app(layout, database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    return make_app(layout, database_url, **PRODUCTION)


@pytest.mark.parametrize(
    ("base_url", "headers"),
    [
        ("http://blog.example.com", None),
        # nginx's own server on port 80 tells the app the visitor's scheme.
        ("http://blog.example.com", {"X-Forwarded-Proto": "http"}),
    ],
)
def test_in_production_over_plain_http_the_expired_form_page_says_forms_need_https(
    production_app, base_url, headers
):
    assert HTTPS_HINT in expired_form_page(production_app, base_url, headers)


@pytest.mark.parametrize(
    ("base_url", "headers"),
    [
        ("https://blog.example.com", None),
        ("http://blog.example.com", {"X-Forwarded-Proto": "https"}),
    ],
)
def test_in_production_over_https_the_expired_form_page_gives_no_https_hint(
    production_app, base_url, headers
):
    page = expired_form_page(production_app, base_url, headers)
    assert "This form has expired" in page
    assert "HTTPS" not in page


@pytest.mark.parametrize("environment", ["development", "testing"])
def test_outside_production_plain_http_gets_no_https_hint(
    layout, database_url, environment, monkeypatch
):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    app = make_app(layout, database_url, APP_ENV=environment)
    page = expired_form_page(app, "http://localhost")
    assert "This form has expired" in page
    assert "HTTPS" not in page
