"""The admin area: platform counts, users (search, suspend, reactivate), posts and the audit log."""

import re

import pytest

from tests.support.pages import main_text, parse, post_links, redirect_target, table_rows, text

PAGES = ["/admin/", "/admin/users", "/admin/users?q=x", "/admin/posts", "/admin/audit"]
ACTIONS = [
    "/admin/users/{grace}/suspend",
    "/admin/users/{susan}/reactivate",
    "/admin/posts/{post}/delete",
]


@pytest.fixture
def targets(make_user, make_post):
    """What admin actions act on: an active writer with a post, and a suspended one (ids)."""
    grace = make_user("grace")
    post, _ = make_post(grace, "Grace's post")
    return {"grace": grace, "post": post, "susan": make_user("susan", suspended=True)}


@pytest.fixture
def nothing_changed(targets, find_user, find_post):
    """True while grace is active, susan suspended and grace's post still there."""

    def check():
        return (
            not find_user("grace").is_suspended
            and find_user("susan").is_suspended
            and find_post(targets["post"]) is not None
        )

    return check


# --- who may come in --------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in_first(client, url):
    response = client.get(url)

    assert redirect_target(response) == ("/login", {"next": url})


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_admin_actions_are_sent_to_sign_in_and_change_nothing(
    client, targets, nothing_changed, action
):
    response = client.submit(action.format(**targets))

    assert redirect_target(response)[0] == "/login"
    assert nothing_changed()


@pytest.mark.parametrize("url", PAGES)
def test_signed_in_non_admins_get_403_on_every_admin_page(client, auth, url):
    auth.signup("writer")

    response = client.get(url)

    assert response.status_code == 403
    assert "403" in main_text(response)


@pytest.mark.parametrize("action", ACTIONS)
def test_signed_in_non_admins_get_403_on_every_admin_action_and_change_nothing(
    client, auth, targets, nothing_changed, action
):
    auth.signup("writer")

    response = client.submit(action.format(**targets))

    assert response.status_code == 403
    assert nothing_changed()


def test_admins_see_the_admin_area_in_the_navigation(admin_client, client, auth):
    auth.signup("writer")

    assert "/admin/" in {a.attrs.get("href") for a in parse(admin_client.get("/")).find_all("a")}
    assert "/admin/" not in {a.attrs.get("href") for a in parse(client.get("/")).find_all("a")}


# --- the overview -----------------------------------------------------------------------


@pytest.mark.smoke
def test_overview_counts_users_sites_and_posts(admin_client, make_user, make_post):
    ada = make_user("ada")
    make_user("susan", suspended=True)
    make_post(ada, "One")
    make_post(ada, "Two")
    make_post(ada, "Draft", published=False)

    page = main_text(admin_client.get("/admin/"))

    # boss, ada and susan; each has a site.
    assert re.search(r"\bUsers (\d+)", page).group(1) == "3"
    assert re.search(r"\b(\d+) suspended", page).group(1) == "1"
    assert re.search(r"\bSites (\d+)", page).group(1) == "3"
    assert re.search(r"\bPosts (\d+)", page).group(1) == "3"
    assert re.search(r"\b(\d+) published", page).group(1) == "2"


def test_overview_shows_the_newest_audit_events(admin_client, auth, client):
    auth.signup("newcomer")

    rows = table_rows(admin_client.get("/admin/"))

    assert any("user.signup" in row and "newcomer" in " ".join(row) for row in rows)


# --- users ------------------------------------------------------------------------------


def test_users_page_lists_every_user(admin_client, make_user):
    make_user("ada")
    make_user("grace")

    page = text(admin_client.get("/admin/users"))

    for name in ("ada", "grace", "boss", "ada@example.com"):
        assert name in page


def test_users_page_marks_accounts_waiting_for_confirmation(admin_client, make_user):
    make_user("ada")
    make_user("newcomer", confirmed=False)

    response = admin_client.get("/admin/users")

    rows = {row[0]: row for row in table_rows(response)}
    assert "Unconfirmed" in rows["newcomer"]
    assert "Active" in rows["ada"]
    # No link to a site that is not public yet.
    assert parse(response).find("a", href="/sites/newcomer/") is None
    assert parse(response).find("a", href="/sites/ada/") is not None


@pytest.mark.parametrize(
    ("query", "found", "not_found"),
    [
        ("ad", {"ada"}, {"grace", "boss"}),
        ("GRACE", {"grace"}, {"ada", "boss"}),
        ("hopper.example", {"grace"}, {"ada", "boss"}),
        ("%", set(), {"ada", "grace", "boss"}),
        ("_", set(), {"ada", "grace", "boss"}),
        ("nobody", set(), {"ada", "grace", "boss"}),
    ],
    ids=[
        "username",
        "case-insensitive",
        "email",
        "percent-is-literal",
        "underscore-is-literal",
        "no-match",
    ],
)
def test_users_page_searches_by_username_or_email(admin_client, make_user, query, found, not_found):
    make_user("ada")
    make_user("grace", email="grace@hopper.example")

    response = admin_client.get("/admin/users", query_string={"q": query})

    assert response.status_code == 200
    listed = {row[0] for row in table_rows(response)}
    assert found <= listed
    assert not (not_found & listed)
    assert parse(response).find("input", name="q").attrs["value"] == query


def test_users_page_paginates(admin_client, make_user):
    for n in range(30):
        make_user(f"user-{n:02}")

    first = {row[0] for row in table_rows(admin_client.get("/admin/users"))}
    second = {row[0] for row in table_rows(admin_client.get("/admin/users?page=2"))}

    assert first
    assert second
    assert not first & second
    assert len(first | second) == 31


@pytest.fixture
def grace(make_user, make_post):
    """A writer with a published post: (user id, post id, post slug)."""
    user_id = make_user("grace")
    post_id, slug = make_post(user_id, "Grace's post")
    return user_id, post_id, slug


def test_suspending_a_user_redirects_back_to_the_users_page(admin_client, grace, find_user):
    response = admin_client.submit(f"/admin/users/{grace[0]}/suspend")

    assert redirect_target(response)[0] == "/admin/users"
    assert find_user("grace").is_suspended


def test_suspending_from_a_search_keeps_the_search(admin_client, grace):
    response = admin_client.submit(f"/admin/users/{grace[0]}/suspend?q=gra")

    assert redirect_target(response) == ("/admin/users", {"q": "gra"})


def test_reactivating_a_user_redirects_back_to_the_users_page(admin_client, grace, find_user):
    admin_client.submit(f"/admin/users/{grace[0]}/suspend")

    response = admin_client.submit(f"/admin/users/{grace[0]}/reactivate")

    assert redirect_target(response)[0] == "/admin/users"
    assert not find_user("grace").is_suspended


def test_suspend_and_reactivate_are_not_gets(admin_client, grace, find_user):
    assert admin_client.get(f"/admin/users/{grace[0]}/suspend").status_code == 405
    assert not find_user("grace").is_suspended


def test_an_admin_cannot_suspend_themselves(admin_client, find_user, audit_events):
    response = admin_client.submit(f"/admin/users/{find_user('boss').id}/suspend")

    assert response.status_code == 302
    assert not find_user("boss").is_suspended
    assert admin_client.get("/admin/").status_code == 200
    assert "user.suspended" not in [action for action, _, _ in audit_events()]


def test_an_admin_cannot_suspend_another_admin(admin_client, make_user, find_user, audit_events):
    other = make_user("chief", admin=True)

    response = admin_client.submit(f"/admin/users/{other}/suspend")

    assert response.status_code == 302
    assert not find_user("chief").is_suspended
    assert "user.suspended" not in [action for action, _, _ in audit_events()]


def test_a_refused_suspension_says_why(admin_client, find_user):
    response = admin_client.submit(
        f"/admin/users/{find_user('boss').id}/suspend", follow_redirects=True
    )

    assert parse(response).find(role="status") is not None


@pytest.mark.parametrize("action", ["suspend", "reactivate"])
def test_suspending_an_unknown_user_is_404(admin_client, action):
    assert admin_client.submit(f"/admin/users/999/{action}").status_code == 404


# --- posts ------------------------------------------------------------------------------


def test_posts_page_lists_every_post_drafts_included(admin_client, make_user, make_post):
    make_post(make_user("ada"), "Ada's post")
    make_post(make_user("grace"), "Grace's draft", published=False)

    page = text(admin_client.get("/admin/posts"))

    assert "Ada's post" in page
    assert "Grace's draft" in page


def test_posts_page_lists_newest_first(admin_client, make_user, make_post):
    ada = make_user("ada")
    for title in ("Oldest", "Middle", "Newest"):
        make_post(ada, title)

    page = main_text(admin_client.get("/admin/posts"))

    assert page.index("Newest") < page.index("Middle") < page.index("Oldest")


def test_posts_page_paginates(admin_client, make_user, make_post):
    ada = make_user("ada")
    for n in range(30):
        make_post(ada, f"Post {n:02}")

    first = post_links(admin_client.get("/admin/posts"))
    second = post_links(admin_client.get("/admin/posts?page=2"))

    assert "/sites/ada/post-29" in first
    assert "/sites/ada/post-00" in second
    assert not set(first) & set(second)
    assert len(first) + len(second) == 30


@pytest.mark.smoke
def test_an_admin_deletes_any_post(admin_client, grace, find_post, client):
    _, post_id, slug = grace

    response = admin_client.submit(f"/admin/posts/{post_id}/delete")

    assert redirect_target(response)[0] == "/admin/posts"
    assert find_post(post_id) is None
    assert client.get(f"/sites/grace/{slug}").status_code == 404


def test_deleting_an_unknown_post_is_404(admin_client):
    assert admin_client.submit("/admin/posts/999/delete").status_code == 404


def test_admin_delete_is_not_a_get(admin_client, grace, find_post):
    assert admin_client.get(f"/admin/posts/{grace[1]}/delete").status_code == 405
    assert find_post(grace[1]) is not None


# --- the audit log ----------------------------------------------------------------------


def test_audit_log_lists_newest_events_first(admin_client, grace, auth):
    auth.login("grace@example.com", password="wrong-password")
    admin_client.submit(f"/admin/users/{grace[0]}/suspend")

    actions = [row[1] for row in table_rows(admin_client.get("/admin/audit"))]

    assert actions.index("user.suspended") < actions.index("user.login_failed")
    assert actions.index("user.login_failed") < actions.index("user.signup")


def test_audit_log_paginates(admin_client, make_user, audit_events):
    for n in range(30):
        make_user(f"user-{n:02}")

    first = table_rows(admin_client.get("/admin/audit"))
    second = table_rows(admin_client.get("/admin/audit?page=2"))

    assert len(first) + len(second) == len(audit_events())
    assert "user-29" in " ".join(first[0])
