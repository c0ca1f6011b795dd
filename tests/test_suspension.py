"""Suspension: a suspended user cannot sign in, and their site and posts leave every public page."""

import pytest

from tests.support.clients import PASSWORD, AuthActions
from tests.support.pages import redirect_target, text, without_csrf_tokens


@pytest.fixture
def grace(app, make_user, make_post):
    """A writer, signed in in her own browser, with a published post and a draft."""
    user_id = make_user("grace")
    _, slug = make_post(user_id, "Grace's published post")
    make_post(user_id, "Grace's draft", published=False)
    browser = app.test_client()
    AuthActions(browser).login("grace@example.com")
    return {"id": user_id, "slug": slug, "browser": browser}


def suspend(admin_client, user_id):
    response = admin_client.submit(f"/admin/users/{user_id}/suspend")
    assert response.status_code == 302
    return response


def test_a_suspended_user_cannot_sign_in(admin_client, client, auth, grace):
    suspend(admin_client, grace["id"])

    response = auth.login("grace@example.com", PASSWORD)

    assert response.status_code != 302
    assert client.get("/dashboard/").status_code == 302


def test_a_suspended_user_signing_in_gets_the_same_answer_as_a_wrong_password(
    admin_client, auth, grace
):
    suspend(admin_client, grace["id"])

    suspended = auth.login("grace@example.com", PASSWORD)
    wrong = auth.login("grace@example.com", "not-her-password")

    assert suspended.status_code == wrong.status_code
    assert without_csrf_tokens(suspended) == without_csrf_tokens(wrong)


def test_a_suspended_users_session_stops_working(admin_client, grace):
    assert grace["browser"].get("/dashboard/").status_code == 200

    suspend(admin_client, grace["id"])

    assert redirect_target(grace["browser"].get("/dashboard/"))[0] == "/login"
    response = grace["browser"].submit("/dashboard/posts/new", {"title": "Still here?"})
    assert redirect_target(response)[0] == "/login"
    assert "Still here?" not in text(admin_client.get("/admin/posts"))


@pytest.mark.parametrize("url", ["/sites/grace/", "/sites/grace/{slug}", "/sites/grace/feed.xml"])
def test_a_suspended_users_site_and_posts_answer_404(admin_client, client, grace, url):
    url = url.format(slug=grace["slug"])
    assert client.get(url).status_code == 200

    suspend(admin_client, grace["id"])

    assert client.get(url).status_code == 404


def test_a_suspended_users_posts_leave_the_home_page(
    admin_client, client, grace, make_user, make_post
):
    make_post(make_user("ada"), "Ada's post")
    assert "Grace's published post" in text(client.get("/"))

    suspend(admin_client, grace["id"])

    page = text(client.get("/"))
    assert "Grace's published post" not in page
    assert "Ada's post" in page


def test_reactivating_brings_the_site_back_and_lets_the_user_sign_in(
    admin_client, client, auth, grace
):
    suspend(admin_client, grace["id"])

    response = admin_client.submit(f"/admin/users/{grace['id']}/reactivate")

    assert response.status_code == 302
    assert client.get("/sites/grace/").status_code == 200
    assert client.get(f"/sites/grace/{grace['slug']}").status_code == 200
    assert "Grace's published post" in text(client.get("/"))
    assert "Grace's draft" not in text(client.get("/"))
    assert auth.login("grace@example.com", PASSWORD).status_code == 302


def test_a_suspended_users_posts_stay_listed_for_admins(admin_client, grace):
    suspend(admin_client, grace["id"])

    page = text(admin_client.get("/admin/posts"))

    assert "Grace's published post" in page
    assert "grace" in text(admin_client.get("/admin/users"))
