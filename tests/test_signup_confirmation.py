"""Confirming an address: the link emailed at sign-up, asking for it again, unconfirmed accounts."""

import pytest

from tests.support.clients import PASSWORD, AuthActions
from tests.support.mail import Outbox
from tests.support.pages import field_has_error, form_value, main_text, parse, redirect_target


@pytest.fixture
def outbox(app):
    return Outbox.of(app)


def test_sign_up_emails_a_confirmation_link_in_a_text_and_an_html_part(auth, outbox):
    auth.signup("newcomer", confirm=False)

    (email,) = outbox.emails()
    assert email.to == "newcomer@example.com"
    assert email.subject == "Confirm your email address for Inkpot"
    assert email.message["From"] == "Inkpot <no-reply@localhost>"
    assert email.message["Auto-Submitted"] == "auto-generated"
    assert email.message["Message-ID"].endswith("@localhost>")
    assert email.message.get_content_type() == "multipart/alternative"
    link = email.link("/confirm/")
    assert link.startswith("http://localhost/confirm/")
    assert link in email.html
    assert "Hi newcomer," in email.text
    assert "48 hours" in email.text
    assert "<p>Hi newcomer,</p>" in email.html


def test_opening_the_confirmation_link_asks_for_the_password_and_changes_nothing(
    client, auth, outbox, find_user, audit_events
):
    auth.signup("newcomer", confirm=False)
    link = outbox.last().path("/confirm/")

    # A mail scanner that follows every link, as often as it likes.
    pages = [client.get(link) for _ in range(3)]

    for page in pages:
        assert page.status_code == 200
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert form_value(page, "password") == ""
        assert "newcomer@example.com" in main_text(page)
        (form,) = [f for f in parse(page).find_all("form") if f.find("input", name="password")]
        assert form.attrs["method"] == "post"
        assert form.attrs["action"] == link
        assert form.find("input", name="csrf_token") is not None
    assert not find_user("newcomer").is_confirmed
    assert client.get("/dashboard/").status_code == 302
    assert "user.email_confirmed" not in [event[0] for event in audit_events()]


def test_the_confirmation_link_with_the_password_confirms_signs_in_and_is_audited(
    client, auth, outbox, find_user, audit_events
):
    auth.signup("newcomer", confirm=False)
    link = outbox.last().path("/confirm/")

    response = client.submit(link, {"password": PASSWORD})

    assert redirect_target(response)[0] == "/dashboard/"
    assert "Welcome to Inkpot!" in main_text(client.get("/dashboard/"))
    assert find_user("newcomer").is_confirmed
    assert ("user.email_confirmed", "newcomer", "newcomer@example.com") in audit_events()


def test_a_wrong_password_at_the_confirmation_link_is_refused_and_audited(
    client, auth, outbox, find_user, audit_events
):
    auth.signup("newcomer", confirm=False)
    link = outbox.last().path("/confirm/")

    response = client.submit(link, {"password": "not-the-password"})

    assert response.status_code == 200
    assert field_has_error(response, "password")
    assert "That is not the password of this account." in main_text(response)
    assert form_value(response, "password") == ""
    assert not find_user("newcomer").is_confirmed
    assert client.get("/dashboard/").status_code == 302
    assert ("user.login_failed", "newcomer", "newcomer@example.com") in audit_events()
    # The link still works for the right password.
    assert redirect_target(client.submit(link, {"password": PASSWORD}))[0] == "/dashboard/"


def test_an_address_someone_else_signed_up_with_is_not_theirs_by_a_click(app, outbox, find_user):
    """An attacker signs up with the victim's address; the victim's mail scanner opens the link."""
    attacker = AuthActions(app.test_client())
    attacker.signup(
        "mallory", email="victim@example.com", password="mallorys-password", confirm=False
    )
    link = outbox.last(to="victim@example.com").path("/confirm/")

    assert app.test_client().get(link).status_code == 200  # the scanner
    app.test_client().get(link, headers={"User-Agent": "Link preview"})

    assert not find_user("mallory").is_confirmed
    signed_in = attacker.login("victim@example.com", "mallorys-password")
    assert signed_in.status_code == 200
    assert "Confirm your email address first" in main_text(signed_in)
    # The owner of the address, who does not know the attacker's password, cannot confirm either.
    assert app.test_client().submit(link, {"password": PASSWORD}).status_code == 200
    assert not find_user("mallory").is_confirmed


def test_a_confirmation_link_works_once(client, auth, outbox):
    auth.signup("newcomer", confirm=False)
    link = outbox.last().path("/confirm/")
    client.submit(link, {"password": PASSWORD})
    auth.logout()

    for again in (client.get(link), client.submit(link, {"password": PASSWORD})):
        assert again.status_code == 400
        assert "This link has been used already" in main_text(again)
        assert parse(again).find("a", href="/confirm/resend") is not None
    assert client.get("/dashboard/").status_code == 302


def test_an_unconfirmed_account_is_told_to_confirm_and_offered_the_link_again(client, auth, app):
    auth.signup("newcomer", confirm=False)

    response = client.submit("/login", {"email": "newcomer@example.com", "password": PASSWORD})

    assert response.status_code == 200
    page = main_text(response)
    assert "Confirm your email address first" in page
    assert "newcomer@example.com" in page
    (resend,) = [
        form
        for form in parse(response).find_all("form")
        if form.attrs["action"] == "/confirm/resend"
    ]
    assert resend.find("input", name="email").attrs["value"] == "newcomer@example.com"
    assert resend.find("input", name="csrf_token") is not None
    assert client.get("/dashboard/").status_code == 302

    # The button sends a new link, which works.
    client.submit("/confirm/resend", {"email": "newcomer@example.com"})
    emails = Outbox.of(app).emails(to="newcomer@example.com")
    assert len(emails) == 2
    link = emails[-1].path("/confirm/")
    assert redirect_target(client.submit(link, {"password": PASSWORD}))[0] == "/dashboard/"


def test_the_pages_before_confirming_say_the_link_asks_for_the_password(client, auth):
    """Opening the link confirms nothing by itself, so no page may say it does."""
    sign_up_page = main_text(client.get("/signup"))
    assert "open it, enter your password to confirm your address" in sign_up_page

    response = auth.signup("newcomer", confirm=False)

    check_your_email = main_text(client.get(redirect_target(response)[0]))
    assert "open the link we emailed you and enter your password" in check_your_email
    sign_in = {"email": "newcomer@example.com", "password": PASSWORD}
    notice = main_text(client.submit("/login", sign_in))
    assert "Open it and enter your password to confirm your address" in notice
    notice = main_text(client.submit("/login", sign_in, headers={"Accept-Language": "zh-CN"}))
    assert "打开它并输入密码确认邮箱地址" in notice


def test_a_wrong_password_for_an_unconfirmed_account_gets_the_usual_answer(client, make_user):
    make_user("newcomer", confirmed=False)

    response = client.submit("/login", {"email": "newcomer@example.com", "password": "wrong-one"})

    assert "don't match an active account" in main_text(response)
    assert "Confirm your email" not in main_text(response)


def test_an_unconfirmed_accounts_site_and_posts_are_not_public(client, make_user, make_post):
    writer = make_user("newcomer", confirmed=False)
    _, slug = make_post(writer, "Too early")

    for url in ("/sites/newcomer/", f"/sites/newcomer/{slug}", "/sites/newcomer/feed.xml"):
        assert client.get(url).status_code == 404, url
    assert "Too early" not in main_text(client.get("/"))


def test_confirming_makes_the_site_public(client, auth, outbox, make_post, find_user):
    auth.signup("newcomer", confirm=False)
    make_post(find_user("newcomer").id, "Hello")
    assert client.get("/sites/newcomer/hello").status_code == 404

    client.submit(outbox.last().path("/confirm/"), {"password": PASSWORD})

    assert client.get("/sites/newcomer/hello").status_code == 200
    assert "Hello" in main_text(client.get("/"))


def test_the_resend_page_asks_for_an_address(client):
    page = client.get("/confirm/resend")

    assert page.status_code == 200
    assert form_value(page, "email") is not None
    assert "Check your email" in main_text(page)


@pytest.mark.parametrize(
    ("account", "kind"),
    [("unconfirmed", "confirm"), ("confirmed", "account_exists"), (None, "no_account")],
)
def test_resend_answers_the_same_and_mails_what_fits_the_address(
    client, make_user, app, account, kind
):
    if account:
        make_user("someone", confirmed=account == "confirmed")

    response = client.submit("/confirm/resend", {"email": "someone@example.com"})

    assert redirect_target(response)[0] == "/confirm/resend"
    assert "We sent an email to someone@example.com." in main_text(client.get("/confirm/resend"))
    email = Outbox.of(app).last(to="someone@example.com")
    if kind == "confirm":
        assert email.path("/confirm/") not in (None, "/confirm/resend")
    else:
        assert email.path("/confirm/") in (None, "/confirm/resend")
        assert email.subject in {
            "You already have an Inkpot account",
            "There is no Inkpot account for this address",
        }
        if kind == "no_account":
            assert email.path("/signup") == "/signup"


def test_resend_refuses_what_is_not_an_address(client, app):
    response = client.submit("/confirm/resend", {"email": "not-an-address"})

    assert response.status_code == 200
    assert "Invalid email address." in main_text(response)
    assert len(Outbox.of(app)) == 0


def test_demo_and_admin_accounts_are_confirmed(runner, app):
    from shared_models import accounts, db

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    result = runner.invoke(args=["create-admin", "chief@example.com", "--password", PASSWORD])
    assert result.exit_code == 0

    with app.app_context():
        for email in ("ada@example.com", "admin@example.com", "chief@example.com"):
            assert accounts.get_user_by_email(email).is_confirmed, email
        db.session.remove()
