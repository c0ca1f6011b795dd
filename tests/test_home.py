"""The home area: the landing page, signing up, signing in and out, and the health check."""

import os
from urllib.parse import urlencode

import pytest

from shared_models import db, queries
from tests.support.apps import make_app
from tests.support.clients import PASSWORD
from tests.support.mail import Outbox
from tests.support.pages import (
    field_has_error,
    form_value,
    main_text,
    parse,
    redirect_target,
    text,
    without_csrf_tokens,
)

# --- the landing page ---------------------------------------------------------------------


def test_home_page_lists_published_posts_from_every_site_newest_first(client, make_user, make_post):
    ada, grace = make_user("ada"), make_user("grace")
    make_post(ada, "Ada's first")
    make_post(grace, "Grace's first")
    make_post(ada, "Ada's second")

    page = main_text(client.get("/"))

    positions = [page.index(title) for title in ("Ada's second", "Grace's first", "Ada's first")]
    assert positions == sorted(positions)


def test_home_page_never_shows_drafts(client, make_user, make_post):
    ada = make_user("ada")
    make_post(ada, "Secret plans", body="Not yet", published=False)
    make_post(ada, "Public notes")

    page = text(client.get("/"))

    assert "Public notes" in page
    assert "Secret plans" not in page


def test_home_page_links_each_post_to_its_site(client, make_user, make_post):
    make_post(make_user("ada"), "Engines")

    links = {a.attrs["href"] for a in parse(client.get("/")).find_all("a")}

    assert "/sites/ada/engines" in links
    assert "/sites/ada/" in links


# --- signing up -------------------------------------------------------------------------


def test_signup_page_shows_the_form(client):
    page = client.get("/signup")

    assert page.status_code == 200
    for name in ("username", "email", "password"):
        assert form_value(page, name) is not None, name


def test_signup_creates_the_account_and_its_site_and_asks_to_confirm_the_address(
    client, auth, find_user
):
    response = auth.signup("newcomer", confirm=False)

    assert redirect_target(response)[0] == "/confirm/resend"
    page = client.get("/confirm/resend")
    assert "We sent an email to newcomer@example.com" in main_text(page)
    assert "Check your email" in main_text(page)
    # Not signed in, and the site waits for the confirmation.
    assert client.get("/dashboard/").status_code == 302
    assert client.get("/sites/newcomer/").status_code == 404
    user = find_user("newcomer")
    assert user.email == "newcomer@example.com"
    assert not user.is_admin
    assert not user.is_confirmed


@pytest.mark.smoke
def test_the_emailed_link_confirms_the_account_signs_in_and_opens_the_site(client, auth, find_user):
    response = auth.signup("newcomer")

    assert redirect_target(response)[0] == "/dashboard/"
    assert "Welcome to Inkpot!" in main_text(client.get("/dashboard/"))
    assert find_user("newcomer").is_confirmed
    assert client.get("/sites/newcomer/").status_code == 200


def test_signup_stores_username_and_email_lower_cased(client, auth, find_user):
    response = auth.signup("NewComer", email="New.Comer@Example.COM")

    assert response.status_code == 302
    user = find_user("newcomer")
    assert user is not None
    assert user.email == "new.comer@example.com"
    assert client.get("/sites/newcomer/").status_code == 200


@pytest.mark.parametrize("username", ["abc", "a" * 30, "x-1-2"])
def test_signup_accepts_3_to_30_letters_digits_and_hyphens(auth, find_user, username):
    assert auth.signup(username).status_code == 302
    assert find_user(username) is not None


# A sample of each kind; test_accounts.py checks the rules on many more names.
BAD_USERNAMES = ["ab", "a" * 31, "under_score", "émile", ""]
RESERVED_USERNAMES = ["admin", "Dashboard", "login", "sites", "healthz"]


@pytest.mark.parametrize("username", BAD_USERNAMES + RESERVED_USERNAMES)
def test_signup_refuses_a_bad_or_reserved_username_and_keeps_what_was_typed(
    client, auth, app, username
):
    response = auth.signup(username, email="someone@example.com")

    assert response.status_code == 200 or 400 <= response.status_code < 500
    assert field_has_error(response, "username")
    assert form_value(response, "username") == username
    assert form_value(response, "email") == "someone@example.com"
    assert user_count(app) == 0
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize("username", ["writer", "Writer"])
def test_signup_refuses_a_username_already_taken(auth, app, make_user, username):
    # Usernames are public (they name sites), so a taken one may be said so.
    make_user("writer")

    response = auth.signup(username, email="other@example.com")

    assert response.status_code == 200
    assert field_has_error(response, "username")
    assert form_value(response, "username") == username
    assert form_value(response, "email") == "other@example.com"
    assert user_count(app) == 1


@pytest.mark.parametrize("email", ["writer@example.com", "WRITER@Example.com"])
def test_signup_with_a_registered_email_creates_nothing_and_tells_its_owner(
    client, auth, app, make_user, email
):
    # Addresses are private: the form answers as for a new one (test_enumeration.py
    # compares the two answers byte for byte); the owner gets a note instead of a link.
    make_user("writer")

    response = auth.signup("other", email=email)

    assert redirect_target(response)[0] == "/confirm/resend"
    assert user_count(app) == 1
    note = Outbox.of(app).last(to="writer@example.com")
    assert note.subject == "You already have an Inkpot account"
    assert note.path("/confirm/") is None
    assert note.path("/login") == "/login"
    assert note.path("/password/forgot") == "/password/forgot"


@pytest.mark.parametrize("email", ["not-an-email", "", "a@", "@example.com"])
def test_signup_refuses_a_bad_email(auth, app, email):
    response = auth.signup("newcomer", email=email or " ")

    assert field_has_error(response, "email")
    assert form_value(response, "username") == "newcomer"
    assert user_count(app) == 0


def test_signup_refuses_a_short_password_and_never_echoes_it(auth, app):
    response = auth.signup("newcomer", password="short7!")

    assert field_has_error(response, "password")
    assert form_value(response, "password") == ""
    assert "short7!" not in response.get_data(as_text=True)
    assert form_value(response, "username") == "newcomer"
    assert user_count(app) == 0


def test_signup_while_signed_in_goes_to_the_dashboard(client, auth):
    auth.signup("writer")

    assert redirect_target(client.get("/signup"))[0] == "/dashboard/"


def user_count(app):
    with app.app_context():
        return queries.platform_counts().users


# --- signing in -------------------------------------------------------------------------


def test_login_page_shows_the_form(client):
    page = client.get("/login")

    assert page.status_code == 200
    for name in ("email", "password", "remember"):
        assert form_value(page, name) is not None, name


@pytest.mark.smoke
def test_login_signs_in_and_goes_to_the_dashboard(client, auth, make_user):
    make_user("writer")

    response = auth.login("writer@example.com")

    assert redirect_target(response)[0] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_login_email_is_case_insensitive(client, auth, make_user):
    make_user("writer")

    assert auth.login("  Writer@EXAMPLE.com ").status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_login_with_a_wrong_password_shows_an_error_and_keeps_the_email(client, auth, make_user):
    make_user("writer")

    response = auth.login("writer@example.com", password="wrong-password")

    assert response.status_code == 200 or 400 <= response.status_code < 500
    assert form_value(response, "email") == "writer@example.com"
    assert form_value(response, "password") == ""
    assert "wrong-password" not in response.get_data(as_text=True)
    assert parse(response).find(role="alert") is not None
    assert client.get("/dashboard/").status_code == 302


def test_login_with_an_unknown_email_answers_like_a_wrong_password(auth, make_user):
    make_user("writer")

    unknown = auth.login("nobody@example.com", password="wrong-password")
    wrong = auth.login("writer@example.com", password="wrong-password")

    assert unknown.status_code == wrong.status_code
    assert without_csrf_tokens(unknown).replace("nobody@", "writer@") == without_csrf_tokens(wrong)


def test_login_with_remember_sets_a_lasting_cookie(app, client, make_user):
    make_user("writer")

    client.submit("/login", {"email": "writer@example.com", "password": PASSWORD, "remember": "y"})

    assert client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]) is not None


def test_login_without_remember_sets_no_lasting_cookie(app, client, auth, make_user):
    make_user("writer")

    auth.login("writer@example.com")

    assert client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]) is None


@pytest.mark.parametrize(
    "next_path", ["/dashboard/posts/new", "/dashboard/?page=2", "/admin/users?q=a%20b", "/"]
)
def test_login_follows_a_same_site_next_path(client, auth, make_user, next_path):
    make_user("writer")

    response = sign_in_heading_to(client, next_path)

    assert response.headers["Location"] in {next_path, f"http://localhost{next_path}"}


def sign_in_heading_to(client, next_path):
    """Sign in as writer from the login page a redirect to `next_path` would show."""
    return client.submit(
        "/login?" + urlencode({"next": next_path}),
        {"email": "writer@example.com", "password": PASSWORD},
    )


# A sample; tests/security/test_redirects.py tries many more.
EVIL_NEXTS = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",
]


@pytest.mark.parametrize("next_path", EVIL_NEXTS)
def test_login_never_follows_next_to_another_site(client, auth, make_user, next_path):
    make_user("writer")

    response = sign_in_heading_to(client, next_path)

    assert response.status_code == 302
    assert redirect_target(response)[0] == "/dashboard/"
    assert "evil" not in response.headers["Location"]


@pytest.mark.parametrize("next_path", EVIL_NEXTS)
def test_login_form_drops_a_next_to_another_site(client, next_path):
    page = client.get("/login", query_string={"next": next_path})

    (form,) = [f for f in parse(page).find_all("form") if f.find("input", name="password")]
    assert "evil" not in form.attrs.get("action", "")
    assert "javascript" not in form.attrs.get("action", "")


@pytest.mark.parametrize("next_path", ["/dashboard/site", "//evil.example"])
def test_signed_in_visitor_on_the_login_page_moves_on(client, auth, next_path):
    auth.signup("writer")

    response = client.get("/login", query_string={"next": next_path})

    expected = next_path if next_path.startswith("/dashboard") else "/dashboard/"
    assert redirect_target(response)[0] == expected


# --- signing out ------------------------------------------------------------------------


def test_logout_signs_out_and_goes_home(client, auth):
    auth.signup("writer")

    response = auth.logout()

    assert redirect_target(response)[0] == "/"
    assert client.get("/dashboard/").status_code == 302


def test_logout_is_not_a_get(client, auth):
    auth.signup("writer")

    assert client.get("/logout").status_code == 405
    assert client.get("/dashboard/").status_code == 200


# --- the health check -------------------------------------------------------------------


@pytest.mark.smoke
def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_does_not(layout, tmp_path):
    unreachable = tmp_path / "no-such-folder" / "inkpot.sqlite3"
    app = make_app(layout, f"sqlite:///{unreachable}")

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["status"] != "ok"
    with app.app_context():
        db.engine.dispose()


def test_healthz_answers_503_when_the_database_goes_away(app, client, database_url):
    assert client.get("/healthz").status_code == 200
    path = database_url.removeprefix("sqlite:///")
    with app.app_context():
        db.engine.dispose()
    for leftover in (path, f"{path}-wal", f"{path}-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    os.mkdir(path)  # a folder where the database file was: SQLite cannot open it

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["status"] != "ok"
