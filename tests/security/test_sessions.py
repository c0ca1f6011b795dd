"""Sessions end on the server: at sign-out, password change and suspension, copies included."""

import pytest

from tests.support.clients import PASSWORD

NEW_PASSWORD = "a-brand-new-passphrase"


def signed_in(client) -> bool:
    return client.get("/dashboard/").status_code == 200


def sign_in(app, email="writer@example.com", password=PASSWORD, remember=False):
    client = app.test_client()
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    assert client.submit("/login", data).status_code == 302
    return client


def remember_cookie(app, client) -> str:
    cookie = client.get_cookie(app.config["REMEMBER_COOKIE_NAME"])
    assert cookie is not None, "no remember-me cookie was set"
    return cookie.value


def replay(app, remember_value: str):
    """A fresh browser holding nothing but a remember-me cookie."""
    client = app.test_client()
    client.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember_value)
    return client


def change_password(client):
    response = client.submit(
        "/dashboard/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 302


@pytest.fixture
def writer(app, make_user):
    return make_user("writer")


@pytest.fixture
def admin(app, make_user):
    make_user("boss", admin=True)
    return sign_in(app, "boss@example.com")


def test_a_remember_me_cookie_alone_signs_in(app, writer):
    value = remember_cookie(app, sign_in(app, remember=True))
    assert signed_in(replay(app, value))


def test_changing_the_password_signs_out_the_other_sessions(app, writer):
    here, elsewhere = sign_in(app), sign_in(app)
    change_password(here)
    assert signed_in(here), "the session that changed the password stays signed in"
    assert not signed_in(elsewhere)


def test_changing_the_password_kills_remember_me_cookies(app, writer):
    value = remember_cookie(app, sign_in(app, remember=True))
    change_password(sign_in(app))
    assert not signed_in(replay(app, value))
    # The new password works; the old one does not.
    sign_in(app, password=NEW_PASSWORD)
    assert (
        app.test_client()
        .submit("/login", {"email": "writer@example.com", "password": PASSWORD})
        .status_code
        == 200
    )


def test_a_refused_password_change_keeps_the_other_sessions(app, writer):
    here, elsewhere = sign_in(app), sign_in(app)
    response = here.submit(
        "/dashboard/account", {"current_password": "wrong-password", "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert signed_in(elsewhere)


def test_suspension_ends_existing_sessions_at_the_next_request(app, writer, admin):
    client = sign_in(app)
    assert signed_in(client)
    assert admin.submit(f"/admin/users/{writer}/suspend").status_code == 302
    assert not signed_in(client)


def test_a_suspension_made_outside_the_admin_area_also_ends_sessions(app, writer):
    # An operator may flip the flag in the database; being suspended is enough.
    from shared_models import db
    from shared_models.models import User

    client = sign_in(app)
    value = remember_cookie(app, sign_in(app, remember=True))
    with app.app_context():
        db.session.get(User, writer).is_suspended = True
        db.session.commit()
    assert not signed_in(client)
    assert not signed_in(replay(app, value))


def test_suspension_kills_remember_me_cookies_even_after_reactivation(app, writer, admin):
    value = remember_cookie(app, sign_in(app, remember=True))
    admin.submit(f"/admin/users/{writer}/suspend")
    assert not signed_in(replay(app, value))
    admin.submit(f"/admin/users/{writer}/reactivate")
    # Whoever held the cookie (perhaps the reason for the suspension) must sign in again.
    assert not signed_in(replay(app, value))
    assert signed_in(sign_in(app))


def test_signing_out_drops_the_remember_me_cookie(app, writer):
    client = sign_in(app, remember=True)
    client.submit("/logout")
    assert client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]) is None
    assert not signed_in(client)


def test_a_forged_session_id_signs_in_nobody(app, writer):
    # The remember cookie holds "<session row>.<secret>|<signature>": another row's
    # number, or a guessed secret, fails the signature or the secret's hash.
    value = remember_cookie(app, sign_in(app, remember=True))
    session_id, _, digest = value.partition("|")
    number, _, secret = session_id.partition(".")
    for forged in (f"{int(number) + 1}.{secret}|{digest}", f"{number}.{secret[:-2]}xx|{digest}"):
        assert not signed_in(replay(app, forged))


def session_cookie(app, client) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "no session cookie was set"
    return cookie.value


def copy_of(app, name: str, value: str):
    """Another browser holding a copy of one cookie (stolen, or from a shared computer)."""
    client = app.test_client()
    client.set_cookie(app.config[name], value)
    return client


@pytest.mark.parametrize("remember", [False, True])
def test_a_copied_cookie_stops_working_at_sign_out(app, writer, remember):
    browser = sign_in(app, remember=remember)
    copies = [copy_of(app, "SESSION_COOKIE_NAME", session_cookie(app, browser))]
    if remember:
        copies.append(copy_of(app, "REMEMBER_COOKIE_NAME", remember_cookie(app, browser)))
    assert all(signed_in(copy) for copy in copies)

    browser.submit("/logout")

    assert not any(signed_in(copy) for copy in copies)


def test_a_copied_session_cookie_stops_working_after_a_password_change(app, writer):
    browser = sign_in(app)
    copy = copy_of(app, "SESSION_COOKIE_NAME", session_cookie(app, browser))

    change_password(sign_in(app))

    assert not signed_in(copy)


def test_the_account_page_lists_the_signed_in_browsers(app, writer):
    sign_in(app, remember=True)
    here = sign_in(app)

    page = here.get("/dashboard/account").get_data(as_text=True)

    assert page.count("<li>") >= 2
    assert "This browser" in page
    assert "kept signed in" in page
    assert "Sign out everywhere else" in page


def test_signing_out_everywhere_else_keeps_only_this_browser(app, writer, audit_events):
    others = [sign_in(app, remember=True), sign_in(app)]
    here = sign_in(app)

    response = here.submit("/dashboard/account", {"sign_out_others": "Sign out everywhere else"})

    assert response.status_code == 302
    assert "Signed out of 2 other sessions." in here.get("/dashboard/account").get_data(True)
    assert signed_in(here)
    assert not any(signed_in(other) for other in others)
    assert audit_events()[-1][0] == "user.sessions_ended"
    # Nothing else happened: the password is unchanged.
    assert sign_in(app) is not None
