"""Bad input is refused cleanly: too long, too big, NUL, broken UTF-8, reserved or look-alike."""

from urllib.parse import unquote_to_bytes, urlencode

import pytest
from sqlalchemy import select

from shared_models import RuleViolation, accounts, db, publishing
from shared_models.accounts import RESERVED_USERNAMES
from shared_models.models import OutboundEmail, Post, Site, User
from tests.support.apps import make_app
from tests.support.clients import PASSWORD, TokenReusingClient
from tests.support.page_safety import live_script
from tests.support.pages import field_has_error

TOO_LONG = {
    ("/signup", "username"): "a" * 31,
    ("/signup", "email"): "a" * 243 + "@example.com",
    ("/signup", "password"): "p" * 129,
    ("/login", "email"): "a" * 243 + "@example.com",
    ("/login", "password"): "p" * 129,
    ("/dashboard/posts/new", "title"): "t" * 201,
    ("/dashboard/posts/new", "body"): "b" * 100_001,
    ("EDIT", "title"): "t" * 201,
    ("EDIT", "body"): "b" * 100_001,
    ("/dashboard/site", "title"): "s" * 101,
    ("/dashboard/site", "tagline"): "g" * 201,
    ("/dashboard/account", "current_password"): "p" * 129,
    ("/dashboard/account", "new_password"): "p" * 129,
    ("/password/forgot", "email"): "a" * 243 + "@example.com",
    ("/confirm/resend", "email"): "a" * 243 + "@example.com",
    ("/dashboard/account/email", "new_email"): "a" * 243 + "@example.com",
    ("/dashboard/account/email", "current_password"): "p" * 129,
}
# What each form needs to be valid; one field at a time is then spoiled.
VALID = {
    "/signup": {"username": "newcomer", "email": "new@example.com", "password": PASSWORD},
    "/login": {"email": "writer@example.com", "password": PASSWORD},
    "/dashboard/posts/new": {"title": "A title", "body": "A body", "published": "y"},
    "EDIT": {"title": "An edited title", "body": "An edited body", "published": "y"},
    "/dashboard/site": {"title": "My site", "tagline": "My tagline"},
    "/dashboard/account": {"current_password": PASSWORD, "new_password": "another-passphrase"},
    "/password/forgot": {"email": "writer@example.com"},
    "/confirm/resend": {"email": "writer@example.com"},
    "/dashboard/account/email": {
        "new_email": "new-writer@example.com",
        "current_password": PASSWORD,
    },
}
SIGNED_OUT_FORMS = {"/signup", "/login", "/password/forgot", "/confirm/resend"}


def snapshot(app):
    """Everything a form could change, to prove a refused one changed nothing."""
    with app.app_context():
        users = db.session.execute(select(User.username, User.email, User.password_hash)).all()
        sites = db.session.execute(select(Site.slug, Site.title, Site.tagline)).all()
        posts = db.session.execute(select(Post.title, Post.body, Post.is_published)).all()
        emails = db.session.execute(select(OutboundEmail.kind, OutboundEmail.to_address)).all()
    return sorted(users), sorted(sites), sorted(posts), sorted(emails)


@pytest.fixture
def writer(app, make_user, make_post):
    """The user `writer` with one post; the post's edit URL."""
    user_id = make_user("writer")
    post_id, _ = make_post(user_id, title="First post", body="Hello")
    return f"/dashboard/posts/{post_id}/edit"


def browser_for(app, url: str):
    """A browser for the form at url: the writer's, signed in, unless the form is for visitors."""
    client = app.test_client()
    if url not in SIGNED_OUT_FORMS:
        response = client.submit("/login", {"email": "writer@example.com", "password": PASSWORD})
        assert response.status_code == 302
    return client


def browsers(app):
    """One browser per kind of form, reused by tests that only ever get refused."""
    signed_in, visitor = browser_for(app, "/dashboard/"), app.test_client()
    return lambda url: visitor if url in SIGNED_OUT_FORMS else signed_in


@pytest.mark.parametrize("form", VALID)
def test_a_field_over_its_maximum_length_gets_a_form_error(app, writer, form):
    url = writer if form == "EDIT" else form
    client = browser_for(app, url)
    before = snapshot(app)
    for (in_form, field), value in TOO_LONG.items():
        if in_form == form:
            response = client.submit(url, {**VALID[form], field: value})
            assert response.status_code == 200, field
            assert field_has_error(response, field), field
    assert snapshot(app) == before


AT_THE_MAXIMUM = [
    ("/signup", {"username": "a" * 30}),
    ("/signup", {"password": "p" * 128}),
    ("/dashboard/posts/new", {"title": "t" * 200, "body": "b" * 100_000}),
    ("/dashboard/site", {"title": "s" * 100, "tagline": "g" * 200}),
    ("/dashboard/account", {"new_password": "p" * 128}),
]


@pytest.mark.parametrize(("form", "fields"), AT_THE_MAXIMUM)
def test_a_field_at_its_maximum_length_is_accepted(app, writer, form, fields):
    client = browser_for(app, form)
    response = client.submit(form, {**VALID[form], **fields})
    assert response.status_code == 302


@pytest.mark.parametrize("url", ["/dashboard/posts/new", "/dashboard/site", "/signup", "/login"])
def test_a_request_body_over_one_mebibyte_answers_a_styled_413(app, writer, url):
    client = browser_for(app, url)
    before = snapshot(app)
    response = client.submit(url, {**VALID.get(url, {}), "body": "x" * (1024 * 1024)})
    assert response.status_code == 413
    assert 'class="site-header"' in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_a_body_just_under_one_mebibyte_is_read(app, writer):
    client = browser_for(app, "/dashboard/posts/new")
    response = client.submit("/dashboard/posts/new", {"title": "Big", "body": "x" * 1_000_000})
    # Read and refused by the form (posts are at most 100,000 characters), not by the server.
    assert response.status_code == 200
    assert field_has_error(response, "body")


def every_form_field(writer):
    for form, fields in VALID.items():
        for field in fields:
            if field != "published":
                yield (writer if form == "EDIT" else form), form, field


NUL_VALUES = ["\x00", "a\x00b", "%00", "x" * 10 + "\x00"]


@pytest.mark.parametrize("value", NUL_VALUES)
def test_nul_bytes_in_any_field_are_refused_with_400(app, writer, value, statements_with_nul):
    before = snapshot(app)
    browser = browsers(app)
    for url, form, field in every_form_field(writer):
        response = browser(url).submit(url, {**VALID[form], field: value})
        if value == "%00":
            # Only the text "%00", which is harmless.
            assert response.status_code in (200, 302), (url, field, response.status_code)
        else:
            assert response.status_code == 400, (url, field, response.status_code)
            assert snapshot(app) == before, (url, field)
    users, sites, posts, emails = snapshot(app)
    assert not any("\x00" in text for row in users + sites + posts + emails for text in row[:2])
    assert not statements_with_nul


BROKEN_UTF8 = [b"%FF", b"%C3%28", b"%C0%AF", b"%ED%A0%80", b"%F8%88%80%80%80", b"abc%E2%82"]


@pytest.mark.parametrize("raw", BROKEN_UTF8)
def test_broken_utf8_in_any_field_is_refused_with_400(app, writer, raw):
    before = snapshot(app)
    browser = browsers(app)
    for url, form, field in every_form_field(writer):
        client = browser(url)
        fields = {**VALID[form], "csrf_token": client.csrf_token()}
        fields.pop(field)
        body = urlencode(fields).encode() + b"&" + field.encode() + b"=" + raw
        response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400, (url, field, response.status_code)
    assert snapshot(app) == before


def test_a_raw_non_utf8_body_is_refused(app, writer):
    client = browser_for(app, "/dashboard/posts/new")
    body = f"csrf_token={client.csrf_token()}&title=".encode() + b"\xff\xfe&body=x"
    response = client.post(
        "/dashboard/posts/new", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


def test_nul_in_a_multipart_form_is_refused(app, writer):
    client = browser_for(app, "/dashboard/posts/new")
    before = snapshot(app)
    response = client.post(
        "/dashboard/posts/new",
        data={"csrf_token": client.csrf_token(), "title": "a\x00b", "body": "x"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert snapshot(app) == before


BAD_URLS = [
    "/?page=%00",
    "/?page=%FF",
    "/sites/writer/?page=%00",
    "/login?next=%00",
    "/login?next=%FF",
    "/admin/users?q=%00",
    "/admin/users?q=%FF",
    "/dashboard/?page=%00",
    "/sites/writer/first-post%00",
    "/sites/writer/%FF",
    "/sites/%00/",
    "/sites/%FF/",
    "/sites/wri%00ter/feed.xml",
    "/%00",
    "/healthz?%00=%00",
]


def test_nul_and_broken_utf8_in_a_url_are_refused(app, make_user, statements_with_nul):
    make_user("writer")
    make_user("boss", admin=True)
    client = app.test_client()
    client.submit("/login", {"email": "boss@example.com", "password": PASSWORD})
    for url in BAD_URLS:
        # As a real server passes it: the path's bytes undecoded (the test client would
        # turn %FF into U+FFFD). 400 even where a blueprint reads the URL first (/sites/…).
        path = unquote_to_bytes(url.partition("?")[0]).decode("latin-1")
        assert client.get(url, environ_overrides={"PATH_INFO": path}).status_code == 400, url
    assert not statements_with_nul


CONTROL_CHARACTERS = [
    "\x01",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\ufffe",
    "\uffff",
]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/dashboard/posts/new", "title"),
        ("/dashboard/posts/new", "body"),
        ("/dashboard/site", "title"),
        ("/dashboard/site", "tagline"),
        ("/signup", "email"),
    ],
)
def test_control_characters_get_a_form_error(app, writer, url, field):
    client = browser_for(app, url)
    before = snapshot(app)
    for character in CONTROL_CHARACTERS:
        value = f"new{character}@example.com" if field == "email" else f"new{character}text"
        response = client.submit(url, {**VALID[url], field: value})
        assert response.status_code == 200, repr(character)
        assert field_has_error(response, field), repr(character)
    assert snapshot(app) == before


def test_tabs_and_line_breaks_are_welcome_in_a_post(app, writer):
    client = browser_for(app, "/dashboard/posts/new")
    body = "line one\r\nline two\n\n\tcode\n"
    response = client.submit("/dashboard/posts/new", {"title": "Lines", "body": body})
    assert response.status_code == 302


# The site's own first path segments, and names people would take for the site's own.
OWN_PATHS = ["admin", "dashboard", "login", "logout", "signup", "sites", "static", "healthz"]
WELL_KNOWN_NAMES = ["api", "www"]
# Reserved however they are typed: a username is lower-cased before it is checked.
OTHER_CASES = ["Admin", "ADMIN", "Static"]
RESERVED_NAMES = [*OWN_PATHS, *WELL_KNOWN_NAMES, *OTHER_CASES, "root", "settings", "feed"]


def signup_refuses_the_username(app, username: str) -> bool:
    response = app.test_client().submit(
        "/signup", {"username": username, "email": "new@example.com", "password": PASSWORD}
    )
    return response.status_code == 200 and field_has_error(response, "username")


def test_reserved_usernames_are_refused(app):
    before = snapshot(app)
    accepted = [name for name in RESERVED_NAMES if not signup_refuses_the_username(app, name)]
    assert not accepted
    assert snapshot(app) == before


def test_the_sites_own_paths_and_well_known_names_are_reserved():
    assert {*OWN_PATHS, *WELL_KNOWN_NAMES} <= RESERVED_USERNAMES


# Usernames are ASCII a-z, 0-9 and hyphens only, so every look-alike is
# refused rather than folded into an existing name.
LOOK_ALIKE_NAMES = [
    "ÄDA",  # Latin capital A with diaeresis
    "ａｄａ",  # fullwidth letters, which NFKC would fold to "ada"
    "\u212aate",  # Kelvin sign: lower-cases to an ASCII "k"
    "\u0430da",  # Cyrillic a
    "ada\u0301",  # a combining accent
    "\u0130nkwell",  # Latin capital I with dot above
    "ad\u200ba",  # a zero-width space
    "ada\u00a0",  # a no-break space
]


def test_look_alike_unicode_usernames_are_refused_by_the_form(app, make_user):
    make_user("ada")
    make_user("kate")
    before = snapshot(app)
    accepted = [name for name in LOOK_ALIKE_NAMES if not signup_refuses_the_username(app, name)]
    assert not accepted
    assert snapshot(app) == before


@pytest.mark.parametrize("username", LOOK_ALIKE_NAMES)
def test_look_alike_unicode_usernames_are_refused_by_the_domain(username):
    with pytest.raises(RuleViolation):
        accounts.check_username(username)


def test_upper_case_ascii_usernames_are_stored_lower_cased_and_then_taken(app):
    client = app.test_client()
    first = client.submit(
        "/signup", {"username": "Ada-Lovelace", "email": "ada@example.com", "password": PASSWORD}
    )
    assert first.status_code == 302
    with app.app_context():
        assert db.session.execute(select(User.username)).scalars().all() == ["ada-lovelace"]
    again = app.test_client().submit(
        "/signup", {"username": "ADA-LOVELACE", "email": "other@example.com", "password": PASSWORD}
    )
    assert again.status_code == 200
    assert field_has_error(again, "username")


UNSTORABLE_POSTS = [
    ("a\x00b", "body"),
    ("title", "a\x00b"),
    ("a\x1bb", "body"),
    ("t" * 201, "body"),
    ("x", "b" * 100_001),
]
UNSTORABLE_SITE_SETTINGS = [
    ("a\x00b", ""),
    ("title", "a\x00b"),
    ("title", "\ufffe"),
    ("s" * 101, ""),
    ("x", "g" * 201),
]


def test_the_domain_refuses_unstorable_text_on_every_database(domain_app):
    user = accounts.sign_up("writer", "writer@example.com", PASSWORD)
    post = publishing.create_post(user, "Fine", "Fine", published=True)
    for title, body in UNSTORABLE_POSTS:
        with pytest.raises(RuleViolation):
            publishing.create_post(user, title, body, published=True)
        with pytest.raises(RuleViolation):
            publishing.update_post(post, title, body, published=True)
    for title, tagline in UNSTORABLE_SITE_SETTINGS:
        with pytest.raises(RuleViolation):
            publishing.update_site(user.site, title, tagline)
    with pytest.raises(RuleViolation):
        accounts.sign_up("other", "oth\x00er@example.com", PASSWORD)


def test_nul_in_every_form_and_url_never_breaks_postgresql(
    layout, postgresql_database_url, tmp_path
):
    """The same attacks against the database that rejects NUL: refused, never a 500."""
    app = make_app(layout, postgresql_database_url, MAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    app.test_client_class = TokenReusingClient
    with app.app_context():
        user = accounts.sign_up("writer", "writer@example.com", PASSWORD, confirmed=True)
        post = publishing.create_post(user, "First post", "Hello", published=True)
        edit_url = f"/dashboard/posts/{post.id}/edit"
    browser = browsers(app)
    for url, form, field in every_form_field(edit_url):
        response = browser(url).submit(url, {**VALID[form], field: "a\x00b"})
        assert response.status_code == 400, (url, field)
    client = browser("/dashboard/")
    for url in BAD_URLS:
        assert client.get(url).status_code in (400, 403, 404), url
    assert client.get("/sites/writer/").status_code == 200
    assert not live_script(client.get("/sites/writer/").get_data(as_text=True))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
