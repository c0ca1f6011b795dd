"""Browsing the site in tests: clients that submit forms with their CSRF token, AuthActions."""

import re

from flask.testing import FlaskClient

from tests.support.mail import Outbox

# The password every test user signs up with.
PASSWORD = "correct-horse-battery"
# The hidden CSRF field of a form; its token is group 1. Flask-WTF and the
# templates write the field's attributes in different orders.
CSRF_FIELD = re.compile(r'<input(?=[^>]*\sname="csrf_token")[^>]*\svalue="([^"]*)"')


def csrf_token_in(page: str) -> str:
    """The CSRF token of the first form on an HTML page."""
    match = CSRF_FIELD.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


class InkpotClient(FlaskClient):
    """A test client that can submit forms the way a browser does, CSRF token included."""

    def csrf_token(self) -> str:
        # Every page carries a token: forms for visitors, the sign-out form for users.
        return csrf_token_in(self.get("/login", follow_redirects=True).get_data(as_text=True))

    def submit(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token."""
        return self.post(url, data={"csrf_token": self.csrf_token(), **(data or {})}, **kwargs)


class TokenReusingClient(InkpotClient):
    """An InkpotClient that fetches its CSRF token once, for tests that submit thousands of forms.

    The token is tied to the browser's session, not to a page or a clock, so a
    real browser could reuse it the same way.
    """

    _token = None

    def csrf_token(self) -> str:
        if self._token is None:
            self._token = super().csrf_token()
        return self._token


class AuthActions:
    """Sign up, sign in and out through the site's own forms (and the links they email)."""

    def __init__(self, client):
        self._client = client

    @property
    def outbox(self) -> Outbox:
        return Outbox.of(self._client.application)

    def signup(self, username="writer", email=None, password=PASSWORD, confirm=True, **kwargs):
        """Sign up; with `confirm`, then confirm with the link emailed and the password: signed in.

        Returns the last answer: the confirmation page's when the link came (a
        redirect to the dashboard), else the sign-up form's (a refused form, or
        an address registered already, whose owner got a note and no link).
        """
        email = email or f"{username}@example.com"
        response = self._client.submit(
            "/signup", {"username": username, "email": email, "password": password}, **kwargs
        )
        if confirm and response.status_code == 302:
            emails = self.outbox.emails(to=email)
            link = emails[-1].path("/confirm/") if emails else None
            if link is not None:
                return self.confirm(link, password)
        return response

    def confirm(self, link: str, password=PASSWORD):
        """Open a confirmation link (a sign-up's or an email change's) and enter the password."""
        page = self._client.get(link)
        if page.status_code != 200:
            return page
        return self._client.submit(link, {"password": password})

    def login(self, email="writer@example.com", password=PASSWORD, **kwargs):
        return self._client.submit("/login", {"email": email, "password": password}, **kwargs)

    def logout(self):
        return self._client.submit("/logout")
