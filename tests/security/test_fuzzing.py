"""Arbitrary text in every form field and query parameter: no 500, nothing stored unshowable."""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.clients import PASSWORD
from tests.support.page_safety import live_script, live_script_in_feed

# Modest budgets: the whole security suite should stay well under a minute.
FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TRICKY = [
    # Nothing, blanks, control characters and odd code points.
    *["", " ", "\x00", "a\x00b", "\t\n\r", "\x1b[0m", "\ufeff", "\u202e", "\ufffd", "\uffff"],
    # Encodings and paths that lead somewhere else.
    *["%00", "%FF", "%2F%2Fevil", "//evil", "/\\evil", "javascript:alert(1)", "../../etc/passwd"],
    # Markup, templates and SQL.
    *["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{ 7*7 }}", "{% raw %}"],
    "' OR 1=1 --",
    # LIKE wildcards, taken and look-alike names, an over-long one, an email.
    *["\\", "%", "_", "admin", "ADMIN", "ａｄａ", "\u212aate", "a" * 201, "x@example.com"],
    # Numbers, for page= and ids.
    *["1", "-1", "0", "99999999999999999999", "1e9", "NaN"],
]
texts = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="ascii"), max_size=80),
    st.sampled_from(TRICKY),
    st.text(min_size=95, max_size=260),
)


def inert_page(client, url: str) -> None:
    """The page answers (not a 500) and nothing on it could run."""
    response = client.get(url)
    assert response.status_code in (200, 302, 308, 400, 404), (url, response.status_code)
    if response.status_code == 200:
        page = response.get_data(as_text=True)
        if response.mimetype == "application/atom+xml":
            assert not live_script_in_feed(page), url  # the feed must also parse as XML
        else:
            assert not live_script(page), url


@pytest.fixture
def writer(app, make_user, make_post):
    """A signed-in writer with one post, and where that post is edited."""
    user_id = make_user("writer")
    post_id, _ = make_post(user_id, title="First post")
    client = app.test_client()
    assert (
        client.submit("/login", {"email": "writer@example.com", "password": PASSWORD}).status_code
        == 302
    )
    return client, f"/dashboard/posts/{post_id}/edit"


def everything_the_writer_shows(client, post_path=None):
    for url in ["/", "/sites/writer/", "/sites/writer/feed.xml", "/dashboard/", "/dashboard/site"]:
        inert_page(client, url)
    if post_path:
        inert_page(client, post_path)


@FUZZ
@given(title=texts, body=texts, published=st.booleans())
def test_any_new_post_is_refused_or_renders(statements_with_nul, writer, title, body, published):
    client, _ = writer
    data = {"title": title, "body": body}
    if published:
        data["published"] = "y"
    response = client.submit("/dashboard/posts/new", data)
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 302:
        edit_url = response.headers["Location"]
        post_id = edit_url.split("/")[3]
        inert_page(client, edit_url)
        inert_page(client, f"/dashboard/posts/{post_id}/preview")
        everything_the_writer_shows(client)
    assert not statements_with_nul


@FUZZ
@given(title=texts, body=texts)
def test_any_edit_is_refused_or_renders(statements_with_nul, writer, title, body):
    client, edit_url = writer
    response = client.submit(edit_url, {"title": title, "body": body, "published": "y"})
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 302:
        inert_page(client, edit_url)
        everything_the_writer_shows(client, "/sites/writer/first-post")
    assert not statements_with_nul


@FUZZ
@given(title=texts, tagline=texts)
def test_any_site_settings_are_refused_or_render(statements_with_nul, writer, title, tagline):
    client, _ = writer
    response = client.submit("/dashboard/site", {"title": title, "tagline": tagline})
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 302:
        everything_the_writer_shows(client)
    assert not statements_with_nul


@FUZZ
@given(current=texts, new=texts)
def test_any_password_change_is_refused_or_done(statements_with_nul, writer, current, new):
    client, _ = writer
    response = client.submit(
        "/dashboard/account", {"current_password": current, "new_password": new}
    )
    assert response.status_code in (200, 400), response.status_code
    inert_page(client, "/dashboard/account")
    assert not statements_with_nul


@FUZZ
@given(
    username=texts | st.from_regex(r"[A-Za-z0-9-]{1,32}", fullmatch=True),
    email=texts | st.emails(),
    password=texts,
)
def test_any_sign_up_is_refused_or_renders(app, statements_with_nul, username, email, password):
    client = app.test_client()
    data = {"username": username, "email": email, "password": password}
    response = client.submit("/signup", data)
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 200:
        assert not live_script(response.get_data(as_text=True))
    if response.status_code == 302:
        slug = username.strip().lower()
        for url in [f"/sites/{slug}/", f"/sites/{slug}/feed.xml", "/dashboard/", "/"]:
            inert_page(client, url)
    assert not statements_with_nul


@FUZZ
@given(email=texts, password=texts, remember=st.booleans(), next_path=texts)
def test_any_sign_in_is_refused(app, statements_with_nul, email, password, remember, next_path):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    response = app.test_client().submit("/login?next=" + quote(next_path, safe=""), data)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        assert not live_script(response.get_data(as_text=True))
    assert not statements_with_nul


@pytest.fixture
def admin(app, make_user, make_post):
    """An admin's browser, on a site with one writer and one post."""
    make_post(make_user("writer"), title="First post")
    make_user("boss", admin=True)
    client = app.test_client()
    assert (
        client.submit("/login", {"email": "boss@example.com", "password": PASSWORD}).status_code
        == 302
    )
    return client


@FUZZ
@given(
    value=texts,
    segment=texts,
    paginated=st.sampled_from(
        ["/", "/sites/writer/", "/dashboard/", "/admin/posts", "/admin/audit"]
    ),
)
def test_any_query_parameter_or_path_segment_is_answered(
    statements_with_nul, admin, value, segment, paginated
):
    encoded, part = quote(value, safe=""), quote(segment, safe="")
    for url in [
        f"{paginated}?page={encoded}",
        f"/admin/users?q={encoded}&page={encoded}",
        f"/login?next={encoded}",
        f"/sites/{part}/",
        f"/sites/{part}/feed.xml",
        f"/sites/writer/{part}",
        f"/{part}",
    ]:
        inert_page(admin, url)
    assert not statements_with_nul


@FUZZ
@given(raw=st.binary(max_size=200), field=st.sampled_from(["title", "body"]))
def test_any_bytes_in_a_form_are_refused_or_render(statements_with_nul, writer, raw, field):
    client, _ = writer
    other = "body" if field == "title" else "title"
    prefix = f"csrf_token={client.csrf_token()}&published=y&{other}=fine&{field}="
    response = client.post(
        "/dashboard/posts/new",
        data=prefix.encode() + raw,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 302:
        everything_the_writer_shows(client)
    assert not statements_with_nul
