"""Forgot password: the reset link by email, a new password, and every session signed out."""

import pytest

from tests.support.clients import PASSWORD, AuthActions
from tests.support.mail import Outbox
from tests.support.pages import field_has_error, form_value, main_text, parse, redirect_target

NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture
def writer(make_user):
    return make_user("writer")


def ask_for_a_reset(client, app, email="writer@example.com") -> str:
    """Ask for a reset link as a visitor; the path of the link that arrives."""
    response = client.submit("/password/forgot", {"email": email})
    assert redirect_target(response)[0] == "/login"
    return Outbox.of(app).last(to=email).path("/password/reset/")


def test_the_forgot_password_page_asks_for_an_address(client):
    page = client.get("/password/forgot")

    assert page.status_code == 200
    assert form_value(page, "email") is not None
    assert parse(client.get("/login")).find("a", href="/password/forgot") is not None


def test_asking_for_a_reset_emails_a_link_and_is_audited(client, app, writer, audit_events):
    response = client.submit("/password/forgot", {"email": "Writer@Example.com"})

    assert redirect_target(response)[0] == "/login"
    assert "We sent an email to Writer@Example.com" in main_text(client.get("/login"))
    email = Outbox.of(app).last(to="writer@example.com")
    assert email.subject == "Reset your Inkpot password"
    assert email.link("/password/reset/") in email.html
    assert "1 hour" in email.text
    assert ("user.password_reset_requested", "writer", "") in audit_events()


def test_an_unknown_address_gets_the_same_answer_and_a_note(client, app, audit_events):
    response = client.submit("/password/forgot", {"email": "nobody@example.com"})

    assert redirect_target(response)[0] == "/login"
    email = Outbox.of(app).last(to="nobody@example.com")
    assert email.subject == "There is no Inkpot account for this address"
    assert email.path("/password/reset/") is None
    assert "reset the password" in email.text
    assert ("user.password_reset_requested", None, "nobody@example.com") in audit_events()


def test_the_link_opens_a_form_that_sets_a_new_password(client, app, writer, audit_events):
    link = ask_for_a_reset(client, app)

    page = client.get(link)
    assert page.status_code == 200
    assert form_value(page, "new_password") == ""
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = client.submit(link, {"new_password": NEW_PASSWORD})

    assert redirect_target(response)[0] == "/login"
    assert "every session is signed out" in main_text(client.get("/login"))
    auth = AuthActions(app.test_client())
    assert auth.login(password=PASSWORD).status_code == 200
    assert auth.login(password=NEW_PASSWORD).status_code == 302
    assert ("user.password_reset", "writer", "") in audit_events()


def test_a_reset_signs_out_every_session_and_remember_me_cookie(app, writer):
    signed_in, remembered = app.test_client(), app.test_client()
    assert AuthActions(signed_in).login().status_code == 302
    response = remembered.submit(
        "/login", {"email": "writer@example.com", "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    remember_cookie = remembered.get_cookie(app.config["REMEMBER_COOKIE_NAME"])
    assert remember_cookie is not None

    visitor = app.test_client()
    visitor.submit(ask_for_a_reset(visitor, app), {"new_password": NEW_PASSWORD})

    assert signed_in.get("/dashboard/").status_code == 302
    assert remembered.get("/dashboard/").status_code == 302
    # Even the remember-me cookie alone, in a fresh browser.
    fresh = app.test_client()
    fresh.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember_cookie.value)
    assert fresh.get("/dashboard/").status_code == 302


def test_a_reset_link_works_once(client, app, writer):
    link = ask_for_a_reset(client, app)
    client.submit(link, {"new_password": NEW_PASSWORD})

    for answer in (client.get(link), client.submit(link, {"new_password": "yet-another-one"})):
        assert answer.status_code == 400
        assert "This link has been used already" in main_text(answer)
        assert parse(answer).find("a", href="/password/forgot") is not None
    assert AuthActions(app.test_client()).login(password=NEW_PASSWORD).status_code == 302


def test_a_reset_link_dies_when_the_password_changes_another_way(client, app, writer):
    link = ask_for_a_reset(client, app)
    owner = app.test_client()
    AuthActions(owner).login()
    changed = owner.submit(
        "/dashboard/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 302

    assert client.get(link).status_code == 400


def test_a_refused_new_password_keeps_the_link_usable(client, app, writer):
    link = ask_for_a_reset(client, app)

    response = client.submit(link, {"new_password": "short"})

    assert response.status_code == 200
    assert field_has_error(response, "new_password")
    assert "short" not in response.get_data(as_text=True)
    assert redirect_target(client.submit(link, {"new_password": NEW_PASSWORD}))[0] == "/login"


def test_resetting_the_password_confirms_an_unconfirmed_address(client, app, make_user, find_user):
    make_user("newcomer", confirmed=False)

    link = ask_for_a_reset(client, app, "newcomer@example.com")
    client.submit(link, {"new_password": NEW_PASSWORD})

    assert find_user("newcomer").is_confirmed
    login = {"email": "newcomer@example.com", "password": NEW_PASSWORD}
    assert app.test_client().submit("/login", login).status_code == 302


def test_a_signed_in_browser_that_resets_is_signed_out_too(client, app, writer):
    AuthActions(client).login()

    client.submit(ask_for_a_reset(client, app), {"new_password": NEW_PASSWORD})

    assert client.get("/dashboard/").status_code == 302
