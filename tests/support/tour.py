"""A tour of every kind of page a layout draws, and of every email it sends, in one language.

Visitors, writers and an admin walk through the public pages, the forms (empty,
refused, accepted, with their flash messages), the emailed links, the control
panel, the admin area and the error pages (400 to 500). Each page comes back by
name with its status and HTML, so a test can check them all at once: valid
HTML, no word of the other language, the same HTML in both layouts.
`send_every_email` does the same for the emails, each asked for from a page.
"""

from flask import abort

from shared_models import accounts, api_tokens, db
from shared_models.demo import DEMO_ADMIN, DEMO_PASSWORD
from shared_models.models import Post, Site
from tests.support.clients import PASSWORD
from tests.support.mail import Email, Outbox

# What the admin searches for and finds no one: the page repeats it as typed.
NOBODY = "nobody-at-all"
# Big enough for a 413: the app refuses bodies over 1 MiB.
OVERSIZED = "x" * (1024 * 1024 + 1)


def add_error_pages(app) -> None:
    """Test-only pages that answer an error no ordinary visit reaches (a 429, a crash)."""

    @app.get("/test-only/abort/<int:code>")
    def abort_with(code):
        abort(code)

    @app.get("/test-only/crash")
    def crash():
        raise RuntimeError("a crash for the 500 page")

    # Testing mode re-raises crashes for the test to see; production shows the 500 page.
    app.config["PROPAGATE_EXCEPTIONS"] = False


def take_tour(app, language: str) -> dict[str, tuple[int, str]]:
    """Every kind of page, in `language` (the visitor's `locale` cookie): name → (status, HTML).

    The database holds the demo data (seed_demo); the tour changes it as it goes.
    """
    add_error_pages(app)
    with app.app_context():
        ada = db.session.execute(db.select(Site).where(Site.slug == "ada")).scalar_one()
        posts = db.session.execute(db.select(Post).where(Post.site_id == ada.id)).scalars().all()
        published = next(post for post in posts if post.is_published)
        draft = next(post for post in posts if not post.is_published)
        post_url, post_id, draft_id = f"/sites/ada/{published.slug}", published.id, draft.id
        post_title = published.title
        accounts.sign_up("newt", "newt@example.com", PASSWORD, confirmed=True)
        accounts.sign_up("dormant", "dormant@example.com", PASSWORD)  # never confirmed
        # Revoked when grace resets her password, which the page after says.
        api_tokens.create_token(accounts.get_user_by_email("grace@example.com"), "Feed", "read")

    def browser(email=None, password=DEMO_PASSWORD):
        client = app.test_client()
        client.set_cookie("locale", language)
        if email:
            response = client.submit("/login", {"email": email, "password": password})
            assert response.status_code == 302, email
        return client

    visitor, writer, admin = browser(), browser("ada@example.com"), browser(DEMO_ADMIN)
    newcomer = browser("newt@example.com", PASSWORD)
    browser("ada@example.com")  # a second session, so the account page lists two
    pages = {}

    def visit(name, client, url, method="GET", data=None, follow=False, token=True, **kwargs):
        if method == "GET":
            response = client.get(url, follow_redirects=follow, **kwargs)
        elif token:
            response = client.submit(url, data, follow_redirects=follow, **kwargs)
        else:
            response = client.post(url, data=data, follow_redirects=follow, **kwargs)
        pages[name] = (response.status_code, response.get_data(as_text=True))

    visit("home", visitor, "/")
    visit("home, page 2", visitor, "/?page=2")
    visit("home, a page past the end", visitor, "/?page=99")
    visit("sign-in", visitor, "/login")
    visit("sign-in, refused", visitor, "/login", "POST", {"email": "ada@example.com"})
    visit(
        "sign-in, wrong password",
        visitor,
        "/login",
        "POST",
        {"email": "ada@example.com", "password": "not the password"},
    )
    visit("sign-up", visitor, "/signup")
    visit(
        "sign-up, refused",
        visitor,
        "/signup",
        "POST",
        {"username": "no spaces!", "email": "not-an-email", "password": "short"},
    )
    visit(
        "sign-up, a rule of the domain",
        visitor,
        "/signup",
        "POST",
        {"username": "ada", "email": "other@example.com", "password": PASSWORD},
    )
    visit(
        "sign-up, check your email",
        visitor,
        "/signup",
        "POST",
        {"username": "wren", "email": "wren@example.com", "password": PASSWORD},
        follow=True,
    )
    confirm = Outbox.of(app).last(to="wren@example.com").path("/confirm/")
    visit("confirmation link", browser(), confirm)
    visit(
        "confirmation link, wrong password",
        browser(),
        confirm,
        "POST",
        {"password": "not the password"},
    )
    visit("confirmation link, confirmed", browser(), confirm, "POST", {"password": PASSWORD}, True)
    visit(
        "sign-in, not confirmed",
        browser(),
        "/login",
        "POST",
        {"email": "dormant@example.com", "password": PASSWORD},
    )
    visit("confirmation link again", browser(), "/confirm/resend")
    visit(
        "confirmation link again, sent",
        browser(),
        "/confirm/resend",
        "POST",
        {"email": "dormant@example.com"},
        follow=True,
    )
    visit("400, a link that does not work", browser(), "/confirm/not-a-real-token")
    visit("forgot password", browser(), "/password/forgot")
    visit("forgot password, refused", browser(), "/password/forgot", "POST", {"email": "x"})
    visit(
        "forgot password, sent",
        browser(),
        "/password/forgot",
        "POST",
        {"email": "grace@example.com"},
        follow=True,
    )
    reset = Outbox.of(app).last(to="grace@example.com").path("/password/reset/")
    visit("new password", browser(), reset)
    visit("new password, refused", browser(), reset, "POST", {"new_password": "short"})
    visit(
        "new password, set", browser(), reset, "POST", {"new_password": DEMO_PASSWORD}, follow=True
    )
    visit("400, a used reset link", browser(), reset)
    visit("a site", visitor, "/sites/ada/")
    visit("a site, a page past the end", visitor, "/sites/ada/?page=99")
    visit("a post", visitor, post_url)
    visit("the dashboard, signed out", visitor, "/dashboard/", follow=True)
    visit("404", visitor, "/no-such-page")
    visit("404 of a site", visitor, "/sites/nobody/")
    visit("405", visitor, "/logout")
    visit("400, an expired form", visitor, "/login", "POST", {"email": "x"}, token=False)
    visit("413", visitor, "/login", "POST", {"email": OVERSIZED}, token=False)
    visit("429", visitor, "/test-only/abort/429")
    visit("500", visitor, "/test-only/crash")

    visit("dashboard", writer, "/dashboard/")
    visit("dashboard, a page past the end", writer, "/dashboard/?page=99")
    visit("new post", writer, "/dashboard/posts/new")
    visit(
        "new post, refused",
        writer,
        "/dashboard/posts/new",
        "POST",
        {"title": "", "body": "A body worth keeping."},
    )
    visit(
        "new post, saved",
        writer,
        "/dashboard/posts/new",
        "POST",
        {"title": "A draft from the tour", "body": "Draft *body*."},
        follow=True,
    )
    visit("edit a published post", writer, f"/dashboard/posts/{post_id}/edit")
    visit(
        "edit, saved",
        writer,
        f"/dashboard/posts/{post_id}/edit",
        "POST",
        {"title": post_title, "body": "Changed.", "published": "y"},
        follow=True,
    )
    visit("preview a draft", writer, f"/dashboard/posts/{draft_id}/preview")
    visit("preview a published post", writer, f"/dashboard/posts/{post_id}/preview")
    visit("site settings", writer, "/dashboard/site")
    visit("site settings, refused", writer, "/dashboard/site", "POST", {"title": ""})
    visit(
        "site settings, saved",
        writer,
        "/dashboard/site",
        "POST",
        {"title": "Notes from the Engine", "tagline": "Numbers."},
        follow=True,
    )
    visit("account", writer, "/dashboard/account")
    visit(
        "account, wrong password",
        writer,
        "/dashboard/account",
        "POST",
        {"current_password": "not it", "new_password": "a-new-password"},
    )
    visit("email change", writer, "/dashboard/account/email")
    visit(
        "email change, refused",
        writer,
        "/dashboard/account/email",
        "POST",
        {"new_email": "ada-new@example.com", "current_password": "not it"},
    )
    visit(
        "email change, sent",
        writer,
        "/dashboard/account/email",
        "POST",
        {"new_email": "ada-new@example.com", "current_password": DEMO_PASSWORD},
        follow=True,
    )
    change = Outbox.of(app).last(to="ada-new@example.com").path("/confirm/")
    visit("email change link", writer, change)
    visit(
        "email change, confirmed",
        writer,
        change,
        "POST",
        {"password": DEMO_PASSWORD},
        follow=True,
    )
    visit("tokens, none", writer, "/dashboard/tokens")
    visit(
        "tokens, a write token without the password",
        writer,
        "/dashboard/tokens",
        "POST",
        {"name": "Tour script", "scope": "write"},
    )
    visit(
        "tokens, one made",
        writer,
        "/dashboard/tokens",
        "POST",
        {"name": "Tour script", "scope": "write", "current_password": DEMO_PASSWORD},
    )
    visit("tokens, listed", writer, "/dashboard/tokens")
    visit(
        "account, password changed",
        writer,
        "/dashboard/account",
        "POST",
        {"current_password": DEMO_PASSWORD, "new_password": DEMO_PASSWORD},
        follow=True,
    )
    visit("tokens, revoked by the new password", writer, "/dashboard/tokens")
    visit("403", writer, "/admin/")
    visit("a post deleted", writer, f"/dashboard/posts/{draft_id}/delete", "POST", {}, follow=True)
    visit(
        "account, others signed out",
        writer,
        "/dashboard/account",
        "POST",
        {"sign_out_others": "y"},
        follow=True,
    )

    visit("dashboard, empty", newcomer, "/dashboard/")
    visit("own site, empty", newcomer, "/sites/newt/")
    visit("404, signed in", newcomer, "/no-such-page")

    visit("admin", admin, "/admin/")
    visit("admin users", admin, "/admin/users")
    visit("admin users, found", admin, "/admin/users?q=ada")
    visit("admin users, none found", admin, f"/admin/users?q={NOBODY}")
    visit("admin users, a page past the end", admin, "/admin/users?page=99")
    visit("admin posts", admin, "/admin/posts")
    visit("admin audit", admin, "/admin/audit")
    with app.app_context():
        grace = accounts.get_user_by_email("grace@example.com").id
        boss = accounts.get_user_by_email(DEMO_ADMIN).id
    visit("admin suspends", admin, f"/admin/users/{grace}/suspend", "POST", {}, follow=True)
    visit("admin reactivates", admin, f"/admin/users/{grace}/reactivate", "POST", {}, follow=True)
    visit("admin refused", admin, f"/admin/users/{boss}/suspend", "POST", {}, follow=True)
    visit("admin deletes a post", admin, f"/admin/posts/{post_id}/delete", "POST", {}, follow=True)
    visit("sign out", admin, "/logout", "POST", {}, follow=True)
    return pages


def send_every_email(app, language: str) -> dict[str, Email]:
    """Every kind of email, for each reason it is sent, asked for from pages in `language`.

    The database holds the demo data (seed_demo), whose users chose no language,
    so each email is written in the language of the page that asked for it.
    Returns name → the email as sent.
    """
    visitor = app.test_client()
    visitor.set_cookie("locale", language)
    outbox = Outbox.of(app)
    emails = {}

    def ask(name, client, url, data, to):
        response = client.submit(url, data)
        assert response.status_code == 302, (name, response.status_code)
        emails[name] = outbox.last(to=to)

    ask(
        "confirm your address",
        visitor,
        "/signup",
        {"username": "wren", "email": "wren@example.com", "password": PASSWORD},
        "wren@example.com",
    )
    ask(
        "an account exists, at sign-up",
        visitor,
        "/signup",
        {"username": "wren-again", "email": "grace@example.com", "password": PASSWORD},
        "grace@example.com",
    )
    ask(
        "an account exists, at a new confirmation link",
        visitor,
        "/confirm/resend",
        {"email": "grace@example.com"},
        "grace@example.com",
    )
    ask(
        "no account, at a new confirmation link",
        visitor,
        "/confirm/resend",
        {"email": "stranger@example.com"},
        "stranger@example.com",
    )
    ask(
        "no account, at a password reset",
        visitor,
        "/password/forgot",
        {"email": "another-stranger@example.com"},
        "another-stranger@example.com",
    )
    ask(
        "reset your password",
        visitor,
        "/password/forgot",
        {"email": "grace@example.com"},
        "grace@example.com",
    )

    writer = app.test_client()
    writer.set_cookie("locale", language)
    signed_in = writer.submit("/login", {"email": "ada@example.com", "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302
    ask(
        "an account exists, at an email change",
        writer,
        "/dashboard/account/email",
        {"new_email": "grace@example.com", "current_password": DEMO_PASSWORD},
        "grace@example.com",
    )
    ask(
        "confirm your new address",
        writer,
        "/dashboard/account/email",
        {"new_email": "ada-new@example.com", "current_password": DEMO_PASSWORD},
        "ada-new@example.com",
    )
    link = emails["confirm your new address"].path("/confirm/")
    response = writer.submit(link, {"password": DEMO_PASSWORD})
    assert response.status_code == 302
    emails["your address has changed"] = outbox.last(to="ada@example.com")
    return emails
