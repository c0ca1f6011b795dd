"""Recovering an account evicts whoever had its password: sessions, API tokens, pending links.

The attacker phished the password, signed in, made a write token and asked to
move the account to their own address. The owner then resets the password, or
changes it and signs out everywhere else. Nothing the attacker set up may
outlive that.
"""

import re

import pytest

from tests.support.api import bearer
from tests.support.clients import PASSWORD, AuthActions
from tests.support.mail import Outbox
from tests.support.pages import main_text, parse, redirect_target

NEW_PASSWORD = "the-owners-new-passphrase"
ATTACKERS_ADDRESS = "mallory@evil.example"
SECRET = re.compile(r"inkpot_[A-Za-z0-9_-]{43}")


@pytest.fixture
def writer(make_user):
    return make_user("writer")


@pytest.fixture
def attacker(app, writer):
    """The attacker's browser, signed in with the phished password: their write token and the
    path of the link that would move the account to their address."""
    browser = app.test_client()
    assert AuthActions(browser).login().status_code == 302
    made = browser.submit(
        "/dashboard/tokens",
        {"name": "Backup script", "scope": "write", "current_password": PASSWORD},
    )
    (secret,) = SECRET.findall(made.get_data(as_text=True))
    asked = browser.submit(
        "/dashboard/account/email",
        {"new_email": ATTACKERS_ADDRESS, "current_password": PASSWORD},
    )
    assert asked.status_code == 302
    link = Outbox.of(app).last(to=ATTACKERS_ADDRESS).path("/confirm/")
    # Before the owner acts, all of it works.
    assert browser.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    return browser, secret, link


def reset_by_email(app) -> object:
    """The owner resets the password from the emailed link; the answer."""
    owner = app.test_client()
    owner.submit("/password/forgot", {"email": "writer@example.com"})
    link = Outbox.of(app).last(to="writer@example.com").path("/password/reset/")
    response = owner.submit(link, {"new_password": NEW_PASSWORD})
    assert redirect_target(response)[0] == "/login"
    return owner


def change_and_sign_out_everywhere_else(app) -> object:
    """The owner, signed in elsewhere, changes the password, then ends every other session."""
    owner = app.test_client()
    assert AuthActions(owner).login().status_code == 302
    changed = owner.submit(
        "/dashboard/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert redirect_target(changed)[0] == "/dashboard/account"
    owner.submit("/dashboard/account", {"sign_out_others": "y"})
    return owner


RECOVERIES = {"reset": reset_by_email, "password change": change_and_sign_out_everywhere_else}


@pytest.fixture(params=RECOVERIES)
def recover(request):
    return RECOVERIES[request.param]


def test_recovery_ends_the_attackers_session(app, attacker, recover):
    browser, _, _ = attacker

    recover(app)

    assert redirect_target(browser.get("/dashboard/"))[0] == "/login"


def test_recovery_revokes_the_attackers_api_token(app, attacker, recover, audit_events):
    browser, secret, _ = attacker

    recover(app)

    assert browser.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    written = browser.post(
        "/api/v1/me/posts",
        json={"title": "Pwned", "body": "", "published": True},
        headers=bearer(secret),
    )
    assert written.status_code == 401
    assert ("token.revoked", "writer", "Backup script (write)") in audit_events()


def test_recovery_ends_the_pending_email_change(app, attacker, recover, find_user):
    browser, _, link = attacker

    recover(app)

    for answer in (
        browser.get(link),
        browser.submit(link, {"password": PASSWORD}),
        app.test_client().submit(link, {"password": NEW_PASSWORD}),
    ):
        assert answer.status_code == 400
        assert "This link has been used already" in main_text(answer)
        assert parse(answer).find("a", href="/confirm/resend") is not None
    assert find_user("writer").email == "writer@example.com"
    assert AuthActions(app.test_client()).login(password=NEW_PASSWORD).status_code == 302


def test_after_a_reset_the_owner_is_told_their_tokens_are_revoked(app, attacker):
    owner = reset_by_email(app)

    assert "1 API token is revoked too" in main_text(owner.get("/login"))


def test_after_a_password_change_the_owner_is_told_their_tokens_are_revoked(app, attacker):
    owner = app.test_client()
    AuthActions(owner).login()
    owner.submit("/dashboard/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert "1 API token is revoked too" in main_text(owner.get("/dashboard/account"))


def test_the_tokens_page_lists_the_revoked_tokens_to_make_again(app, attacker, recover):
    owner = recover(app)
    AuthActions(owner).login(password=NEW_PASSWORD)

    page = owner.get("/dashboard/tokens")

    assert "Revoked when your password changed" in main_text(page)
    remake = parse(page).find(
        "a", href="/dashboard/tokens?name=Backup+script&scope=write#make-token"
    )
    assert remake is not None
    filled = owner.get("/dashboard/tokens?name=Backup+script&scope=write")
    assert parse(filled).find("input", name="name").attrs["value"] == "Backup script"
    assert parse(filled).find("option", value="write").attrs.get("selected") is not None
    # Made again, it is no longer offered.
    owner.submit(
        "/dashboard/tokens",
        {"name": "Backup script", "scope": "write", "current_password": NEW_PASSWORD},
    )
    assert "Revoked when your password changed" not in main_text(owner.get("/dashboard/tokens"))


def test_a_token_revoked_by_its_owner_is_not_offered_again(app, attacker):
    owner = app.test_client()
    AuthActions(owner).login()
    page = owner.get("/dashboard/tokens")
    (revoke,) = [form for form in parse(page).find_all("form") if "/revoke" in form.attrs["action"]]
    assert redirect_target(owner.submit(revoke.attrs["action"]))[0] == "/dashboard/tokens"

    assert "Revoked when your password changed" not in main_text(owner.get("/dashboard/tokens"))
