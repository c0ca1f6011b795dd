"""The control panel: a signed-in user's posts, site settings and password."""

import pytest

from tests.support.clients import PASSWORD, AuthActions
from tests.support.page_safety import live_script
from tests.support.pages import (
    field_has_error,
    form_value,
    parse,
    post_links,
    redirect_target,
    text,
)

NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture
def writer(auth, find_user):
    """Sign up as `writer` in the test's client; returns the user's id."""
    auth.signup("writer")
    return find_user("writer").id


@pytest.fixture
def others_post(make_user, make_post):
    """A published post and a draft of another user, `grace`: (published id, draft id)."""
    grace = make_user("grace")
    published, _ = make_post(grace, "Grace's post", body="Mine")
    draft, _ = make_post(grace, "Grace's draft", body="Mine too", published=False)
    return published, draft


# --- who may come in --------------------------------------------------------------------

PAGES = [
    "/dashboard/",
    "/dashboard/posts/new",
    "/dashboard/posts/1/edit",
    "/dashboard/posts/1/preview",
    "/dashboard/site",
    "/dashboard/account",
]
ACTIONS = [
    "/dashboard/posts/new",
    "/dashboard/posts/1/edit",
    "/dashboard/posts/1/delete",
    "/dashboard/site",
    "/dashboard/account",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in_first(client, url):
    response = client.get(url)

    assert redirect_target(response) == ("/login", {"next": url})


@pytest.mark.parametrize("url", ACTIONS)
def test_anonymous_posts_are_sent_to_sign_in_and_change_nothing(client, make_user, make_post, url):
    _, slug = make_post(make_user("grace"), "Keep me")

    response = client.submit(url, {"title": "Changed", "body": "x", "tagline": "x"})

    assert redirect_target(response)[0] == "/login"
    assert client.get(f"/sites/grace/{slug}").status_code == 200
    assert "Keep me" in text(client.get("/sites/grace/"))


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/dashboard/posts/{id}/edit"),
        ("post", "/dashboard/posts/{id}/edit"),
        ("get", "/dashboard/posts/{id}/preview"),
        ("post", "/dashboard/posts/{id}/delete"),
    ],
)
@pytest.mark.parametrize("which", ["published", "draft"])
def test_another_users_post_answers_404_and_is_left_alone(
    client, writer, others_post, find_post, method, url, which
):
    post_id = others_post[0] if which == "published" else others_post[1]
    before = find_post(post_id)

    if method == "get":
        response = client.get(url.format(id=post_id))
    else:
        response = client.submit(url.format(id=post_id), {"title": "Hijacked", "body": "Mine!"})

    assert response.status_code == 404
    after = find_post(post_id)
    assert (after.title, after.body, after.is_published) == (
        before.title,
        before.body,
        before.is_published,
    )
    assert "Grace" not in text(response)


@pytest.mark.parametrize(
    "url",
    ["/dashboard/posts/999/edit", "/dashboard/posts/999/preview", "/dashboard/posts/999/delete"],
)
def test_a_post_that_does_not_exist_answers_404(client, writer, url):
    response = client.submit(url) if url.endswith("delete") else client.get(url)

    assert response.status_code == 404


# --- the dashboard ----------------------------------------------------------------------


def test_dashboard_lists_own_posts_and_drafts_but_nobody_elses(
    client, writer, others_post, make_post
):
    make_post(writer, "My published post")
    make_post(writer, "My draft", published=False)

    page = text(client.get("/dashboard/"))

    assert "My published post" in page
    assert "My draft" in page
    assert "Grace's" not in page


# --- writing ----------------------------------------------------------------------------


def test_new_post_form_has_title_body_and_published(client, writer):
    page = client.get("/dashboard/posts/new")

    assert page.status_code == 200
    assert form_value(page, "title") == ""
    assert form_value(page, "body") == ""
    assert form_value(page, "published") == ""


@pytest.mark.smoke
def test_writing_a_published_post_puts_it_on_the_site(client, writer):
    response = client.submit(
        "/dashboard/posts/new", {"title": "Hello, World!", "body": "First *post*", "published": "y"}
    )

    path, _ = redirect_target(response)
    assert path.startswith("/dashboard/")
    post_page = client.get("/sites/writer/hello-world")
    assert post_page.status_code == 200
    assert "First post" in text(post_page)
    assert "Hello, World!" in text(client.get("/sites/writer/"))


def test_writing_a_draft_keeps_it_off_the_site(client, writer):
    response = client.submit("/dashboard/posts/new", {"title": "Just an idea", "body": "..."})

    assert response.status_code == 302
    assert client.get("/sites/writer/just-an-idea").status_code == 404
    assert "Just an idea" not in text(client.get("/sites/writer/"))
    assert "Just an idea" in text(client.get("/dashboard/"))


@pytest.mark.parametrize(
    ("title", "body"),
    [("", "Body I typed"), ("   ", "Body I typed"), ("T" * 201, "Body I typed")],
    ids=["empty-title", "blank-title", "title-too-long"],
)
def test_a_refused_post_re_renders_the_form_with_what_was_typed(client, writer, title, body):
    response = client.submit(
        "/dashboard/posts/new", {"title": title, "body": body, "published": "y"}
    )

    assert response.status_code == 200 or 400 <= response.status_code < 500
    assert field_has_error(response, "title")
    assert form_value(response, "title") == title
    assert form_value(response, "body") == body
    assert form_value(response, "published") == "y"
    assert "Body I typed" not in text(client.get("/dashboard/"))


def test_a_too_long_body_is_refused(client, writer):
    response = client.submit("/dashboard/posts/new", {"title": "Epic", "body": "x" * 100_001})

    assert field_has_error(response, "body")
    assert "Epic" not in text(client.get("/dashboard/"))


def test_two_posts_with_one_title_get_distinct_slugs(client, writer):
    for _ in range(3):
        client.submit("/dashboard/posts/new", {"title": "Same", "body": "x", "published": "y"})

    for slug in ("same", "same-2", "same-3"):
        assert client.get(f"/sites/writer/{slug}").status_code == 200, slug


def test_long_titles_that_collide_still_get_distinct_slugs_within_80_characters(client, writer):
    title = "A very long title " * 10
    for _ in range(3):
        response = client.submit(
            "/dashboard/posts/new", {"title": title, "body": "x", "published": "y"}
        )
        assert response.status_code == 302

    links = post_links(client.get("/dashboard/"))
    assert len(links) == 3
    for link in links:
        assert len(link.rsplit("/", 1)[1]) <= 80
        assert client.get(link).status_code == 200


def test_a_title_that_folds_to_nothing_still_gets_a_page(client, writer):
    client.submit("/dashboard/posts/new", {"title": "日本語 ✨", "body": "x", "published": "y"})

    (link,) = post_links(client.get("/dashboard/"))
    response = client.get(link)

    assert response.status_code == 200
    assert "日本語 ✨" in text(response)


# --- editing ----------------------------------------------------------------------------


def test_edit_form_shows_the_post(client, writer, make_post):
    post_id, _ = make_post(writer, "Original", body="Original body", published=True)

    page = client.get(f"/dashboard/posts/{post_id}/edit")

    assert page.status_code == 200
    assert form_value(page, "title") == "Original"
    assert form_value(page, "body") == "Original body"
    assert form_value(page, "published") == "y"


@pytest.mark.smoke
def test_editing_a_post_saves_it_and_redirects(client, writer, make_post, find_post):
    post_id, slug = make_post(writer, "Original", body="Old words")

    response = client.submit(
        f"/dashboard/posts/{post_id}/edit",
        {"title": "Original", "body": "New *words*", "published": "y"},
    )

    assert redirect_target(response)[0] == f"/dashboard/posts/{post_id}/edit"
    assert find_post(post_id).body == "New *words*"
    assert "New words" in text(client.get(f"/sites/writer/{slug}"))


def test_a_published_posts_slug_stays_when_its_title_changes(client, writer, make_post):
    post_id, slug = make_post(writer, "First title")

    client.submit(
        f"/dashboard/posts/{post_id}/edit", {"title": "Better title", "body": "x", "published": "y"}
    )

    page = client.get(f"/sites/writer/{slug}")
    assert page.status_code == 200
    assert "Better title" in text(page)
    assert client.get("/sites/writer/better-title").status_code == 404


def test_an_unpublished_posts_slug_stays_too(client, writer, make_post):
    post_id, slug = make_post(writer, "First title")
    client.submit(f"/dashboard/posts/{post_id}/edit", {"title": "First title", "body": "x"})

    client.submit(
        f"/dashboard/posts/{post_id}/edit", {"title": "Better title", "body": "x", "published": "y"}
    )

    assert client.get(f"/sites/writer/{slug}").status_code == 200


def test_a_drafts_slug_follows_its_title_until_published(client, writer, make_post):
    post_id, _ = make_post(writer, "Working title", published=False)

    client.submit(
        f"/dashboard/posts/{post_id}/edit", {"title": "Final title", "body": "x", "published": "y"}
    )

    assert client.get("/sites/writer/final-title").status_code == 200
    assert client.get("/sites/writer/working-title").status_code == 404


def test_a_refused_edit_keeps_what_was_typed_and_changes_nothing(
    client, writer, make_post, find_post
):
    post_id, _ = make_post(writer, "Original", body="Old words")

    response = client.submit(
        f"/dashboard/posts/{post_id}/edit", {"title": "", "body": "Unsaved words", "published": "y"}
    )

    assert response.status_code == 200 or 400 <= response.status_code < 500
    assert field_has_error(response, "title")
    assert form_value(response, "body") == "Unsaved words"
    assert (find_post(post_id).title, find_post(post_id).body) == ("Original", "Old words")


# --- previewing -------------------------------------------------------------------------


def test_the_owner_can_preview_a_draft(client, writer, make_post):
    post_id, _ = make_post(writer, "Draft title", body="Draft *body*", published=False)

    response = client.get(f"/dashboard/posts/{post_id}/preview")

    assert response.status_code == 200
    assert "Draft title" in text(response)
    assert [em.words for em in parse(response).find("article").find_all("em")] == ["body"]


def test_preview_is_sanitized_like_the_site(client, writer, make_post):
    post_id, _ = make_post(writer, "Draft", body="<script>alert(1)</script>[x](javascript:1)")

    assert live_script(client.get(f"/dashboard/posts/{post_id}/preview")) == []


# --- deleting ---------------------------------------------------------------------------


def test_deleting_a_post_removes_it_and_goes_to_the_dashboard(client, writer, make_post, find_post):
    post_id, slug = make_post(writer, "Regrettable")

    response = client.submit(f"/dashboard/posts/{post_id}/delete")

    assert redirect_target(response)[0] == "/dashboard/"
    assert find_post(post_id) is None
    assert client.get(f"/sites/writer/{slug}").status_code == 404
    assert "Regrettable" not in text(client.get("/dashboard/"))


def test_delete_is_not_a_get(client, writer, make_post, find_post):
    post_id, _ = make_post(writer, "Keep me")

    assert client.get(f"/dashboard/posts/{post_id}/delete").status_code == 405
    assert find_post(post_id) is not None


# --- the site's settings ----------------------------------------------------------------


def test_site_settings_show_the_current_title_and_tagline(client, writer):
    page = client.get("/dashboard/site")

    assert page.status_code == 200
    assert form_value(page, "title")
    assert form_value(page, "tagline") == ""


def test_changing_the_sites_title_and_tagline(client, writer):
    response = client.submit("/dashboard/site", {"title": "Compile Time", "tagline": "Bugs."})

    assert redirect_target(response)[0] == "/dashboard/site"
    front_page = text(client.get("/sites/writer/"))
    assert "Compile Time" in front_page
    assert "Bugs." in front_page


@pytest.mark.parametrize(
    ("title", "tagline", "field"),
    [
        ("", "Kept tagline", "title"),
        ("T" * 101, "Kept tagline", "title"),
        ("Ok", "x" * 201, "tagline"),
    ],
    ids=["empty-title", "title-too-long", "tagline-too-long"],
)
def test_refused_site_settings_keep_what_was_typed(client, writer, title, tagline, field):
    response = client.submit("/dashboard/site", {"title": title, "tagline": tagline})

    assert response.status_code == 200 or 400 <= response.status_code < 500
    assert field_has_error(response, field)
    assert form_value(response, "title") == title
    assert form_value(response, "tagline") == tagline
    assert "Kept tagline" not in text(client.get("/sites/writer/"))


# --- the password -----------------------------------------------------------------------


def change_password(client, current=PASSWORD, new=NEW_PASSWORD):
    return client.submit("/dashboard/account", {"current_password": current, "new_password": new})


def test_account_page_has_the_password_form(client, writer):
    page = client.get("/dashboard/account")

    assert page.status_code == 200
    assert form_value(page, "current_password") == ""
    assert form_value(page, "new_password") == ""


def test_changing_the_password_keeps_this_session_signed_in(client, writer):
    response = change_password(client)

    assert redirect_target(response)[0] == "/dashboard/account"
    assert client.get("/dashboard/").status_code == 200


def test_after_a_password_change_only_the_new_password_signs_in(client, auth, writer):
    change_password(client)
    auth.logout()

    assert auth.login("writer@example.com", PASSWORD).status_code == 200
    assert auth.login("writer@example.com", NEW_PASSWORD).status_code == 302


def test_changing_the_password_signs_out_other_sessions(app, client, writer):
    laptop = app.test_client()
    AuthActions(laptop).login("writer@example.com")
    assert laptop.get("/dashboard/").status_code == 200

    change_password(client)

    assert redirect_target(laptop.get("/dashboard/"))[0] == "/login"
    assert client.get("/dashboard/").status_code == 200


def test_a_remember_me_cookie_stops_working_after_a_password_change(app, client, writer):
    cookie_name = app.config["REMEMBER_COOKIE_NAME"]
    phone = app.test_client()
    phone.submit("/login", {"email": "writer@example.com", "password": PASSWORD, "remember": "y"})
    remembered = phone.get_cookie(cookie_name).value
    # A browser restarted later: only the remember-me cookie is left.
    restarted = app.test_client()
    restarted.set_cookie(cookie_name, remembered)
    assert restarted.get("/dashboard/").status_code == 200

    change_password(client)

    later = app.test_client()
    later.set_cookie(cookie_name, remembered)
    assert redirect_target(later.get("/dashboard/"))[0] == "/login"


@pytest.mark.parametrize(
    ("current", "new", "field"),
    [("wrong-password", NEW_PASSWORD, "current_password"), (PASSWORD, "short", "new_password")],
    ids=["wrong-current-password", "new-password-too-short"],
)
def test_a_refused_password_change_changes_nothing(client, auth, writer, current, new, field):
    response = change_password(client, current, new)

    assert response.status_code == 200 or 400 <= response.status_code < 500
    assert field_has_error(response, field)
    assert form_value(response, "current_password") == ""
    assert form_value(response, "new_password") == ""
    auth.logout()
    assert auth.login("writer@example.com", PASSWORD).status_code == 302
