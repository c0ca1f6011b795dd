"""Changing the email address: a link to the new one, the change once confirmed there, a notice."""

import pytest

from tests.support.clients import PASSWORD, AuthActions
from tests.support.mail import Outbox
from tests.support.pages import field_has_error, form_value, main_text, parse, redirect_target

CHANGE = {"new_email": "New.Writer@example.com", "current_password": PASSWORD}


@pytest.fixture
def writer(client, make_user):
    """The signed-in `writer`."""
    make_user("writer")
    assert AuthActions(client).login().status_code == 302


def test_the_account_page_links_to_the_email_change(client, writer):
    page = client.get("/dashboard/account")

    assert parse(page).find("a", href="/dashboard/account/email") is not None
    form = client.get("/dashboard/account/email")
    assert form.status_code == 200
    assert form_value(form, "new_email") == ""
    assert form_value(form, "current_password") == ""


def test_the_email_change_page_needs_a_signed_in_user(client):
    response = client.get("/dashboard/account/email")

    assert redirect_target(response) == ("/login", {"next": "/dashboard/account/email"})


def test_asking_sends_a_link_to_the_new_address_and_changes_nothing_yet(
    client, app, writer, find_user
):
    response = client.submit("/dashboard/account/email", CHANGE)

    assert redirect_target(response)[0] == "/dashboard/account"
    assert "We sent a link to New.Writer@example.com" in main_text(client.get("/dashboard/account"))
    assert find_user("writer").email == "writer@example.com"
    (email,) = Outbox.of(app).emails()
    assert email.to == "new.writer@example.com"
    assert email.subject == "Confirm your new email address for Inkpot"
    assert email.link("/confirm/") in email.html
    assert "24 hours" in email.text


def test_the_page_and_its_answer_say_the_link_asks_for_the_password(client, writer):
    """Opening the link changes nothing by itself, so no text may say it does."""
    page = parse(client.get("/dashboard/account/email"))
    hint = page.find("p", id="new_email-hint").words
    assert hint.endswith("your address changes once you open it and enter your password.")
    assert "until you open the link we send to the new one and enter your password" in (
        page.find("main").words
    )

    client.submit("/dashboard/account/email", CHANGE)

    flash = main_text(client.get("/dashboard/account"))
    assert "Your address changes once you open it and enter your password." in flash


def test_opening_the_link_asks_for_the_password_and_changes_nothing(
    app, writer, client, find_user, audit_events
):
    client.submit("/dashboard/account/email", CHANGE)
    link = Outbox.of(app).last(to="new.writer@example.com").path("/confirm/")

    # A mail scanner at the new address, and the owner in a browser signed in or not.
    for browser in (app.test_client(), client, app.test_client()):
        page = browser.get(link)
        assert page.status_code == 200
        assert "Confirm your new email address" in main_text(page)
        assert "new.writer@example.com" in main_text(page)
        assert form_value(page, "password") == ""
    assert find_user("writer").email == "writer@example.com"
    assert "user.email_changed" not in [event[0] for event in audit_events()]
    assert len(Outbox.of(app).emails(to="writer@example.com")) == 0


def test_the_link_with_the_password_changes_the_address_and_tells_the_old_one(
    client, app, writer, find_user, audit_events
):
    client.submit("/dashboard/account/email", CHANGE)
    link = Outbox.of(app).last(to="new.writer@example.com").path("/confirm/")

    response = client.submit(link, {"password": PASSWORD})

    assert redirect_target(response)[0] == "/dashboard/"
    assert "Your email address is now new.writer@example.com." in main_text(
        client.get("/dashboard/")
    )
    user = find_user("writer")
    assert (user.email, user.is_confirmed) == ("new.writer@example.com", True)
    notice = Outbox.of(app).last(to="writer@example.com")
    assert notice.subject == "Your Inkpot email address has changed"
    assert "new.writer@example.com" in notice.text
    assert "new.writer@example.com" in notice.html
    assert (
        "user.email_changed",
        "writer",
        "writer@example.com → new.writer@example.com",
    ) in audit_events()
    # The new address signs in; the old one no longer does.
    other = AuthActions(app.test_client())
    assert other.login("writer@example.com").status_code == 200
    assert other.login("new.writer@example.com").status_code == 302


def test_a_wrong_password_at_the_link_is_refused(client, app, writer, find_user, audit_events):
    client.submit("/dashboard/account/email", CHANGE)
    link = Outbox.of(app).last(to="new.writer@example.com").path("/confirm/")

    response = app.test_client().submit(link, {"password": "not-my-password"})

    assert response.status_code == 200
    assert field_has_error(response, "password")
    assert find_user("writer").email == "writer@example.com"
    assert ("user.login_failed", "writer", "writer@example.com") in audit_events()


def test_the_link_asks_for_the_password_of_the_account_that_moves(
    client, app, writer, make_user, find_user
):
    """Another account's password, even the signed-in one's, does not move this one."""
    make_user("other", password="others-password")
    client.submit("/dashboard/account/email", CHANGE)
    link = Outbox.of(app).last(to="new.writer@example.com").path("/confirm/")
    other = app.test_client()
    assert AuthActions(other).login("other@example.com", "others-password").status_code == 302

    response = other.submit(link, {"password": "others-password"})

    assert response.status_code == 200
    assert field_has_error(response, "password")
    assert find_user("writer").email == "writer@example.com"
    assert find_user("other").email == "other@example.com"


def test_an_account_moved_onto_someone_elses_address_is_not_theirs_by_a_click(
    app, make_user, find_user
):
    """An attacker moves their account to the victim's address; the victim's scanner opens it."""
    make_user("mallory", password="mallorys-password")
    attacker = app.test_client()
    AuthActions(attacker).login("mallory@example.com", "mallorys-password")
    attacker.submit(
        "/dashboard/account/email",
        {"new_email": "victim@example.com", "current_password": "mallorys-password"},
    )
    link = Outbox.of(app).last(to="victim@example.com").path("/confirm/")

    assert app.test_client().get(link).status_code == 200  # the scanner

    assert find_user("mallory").email == "mallory@example.com"


def test_the_link_works_once(client, app, writer):
    client.submit("/dashboard/account/email", CHANGE)
    link = Outbox.of(app).last(to="new.writer@example.com").path("/confirm/")
    client.submit(link, {"password": PASSWORD})

    for again in (client.get(link), client.submit(link, {"password": PASSWORD})):
        assert again.status_code == 400
        assert "This link has been used already" in main_text(again)


def test_a_wrong_current_password_changes_nothing_and_is_audited(client, app, writer, audit_events):
    response = client.submit(
        "/dashboard/account/email", {**CHANGE, "current_password": "not-my-password"}
    )

    assert response.status_code == 200
    assert field_has_error(response, "current_password")
    assert form_value(response, "new_email") == "New.Writer@example.com"
    assert form_value(response, "current_password") == ""
    assert len(Outbox.of(app)) == 0
    assert ("user.password_change_failed", "writer", "") in audit_events()


def test_the_same_address_is_refused(client, app, writer):
    response = client.submit(
        "/dashboard/account/email", {**CHANGE, "new_email": "WRITER@example.com"}
    )

    assert field_has_error(response, "new_email")
    assert "That is already your email address." in main_text(response)
    assert len(Outbox.of(app)) == 0


def test_an_address_with_an_account_gets_the_same_answer_and_its_owner_a_note(
    client, app, writer, make_user, find_user
):
    make_user("holder", email="new.writer@example.com")

    response = client.submit("/dashboard/account/email", CHANGE)

    assert redirect_target(response)[0] == "/dashboard/account"
    assert find_user("writer").email == "writer@example.com"
    note = Outbox.of(app).last(to="new.writer@example.com")
    assert note.subject == "You already have an Inkpot account"
    assert "move another Inkpot account to this email address" in note.text
    assert note.path("/confirm/") is None


def test_an_address_taken_before_the_link_is_opened_is_not_given_twice(
    client, app, writer, make_user, find_user
):
    client.submit("/dashboard/account/email", CHANGE)
    link = Outbox.of(app).last(to="new.writer@example.com").path("/confirm/")
    make_user("quicker", email="new.writer@example.com")

    for response in (client.get(link), client.submit(link, {"password": PASSWORD})):
        assert response.status_code == 400
        assert "That address belongs to another account" in main_text(response)
        assert parse(response).find("a", href="/dashboard/account/email") is not None
    assert find_user("writer").email == "writer@example.com"
