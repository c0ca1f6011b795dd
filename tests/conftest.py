"""Fixtures in the style of Flask's tutorial: app, client, runner, auth, a fresh database each.

The `app` fixture is parametrised by layout, so every behaviour test runs
against every layout in LAYOUTS.
"""

import importlib
import re
import shutil

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from shared_models import db

LAYOUTS = ["functional", "divisional"]

PASSWORD = "correct-horse-battery"
CSRF_FIELD = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"'
)


def make_app(layout: str, database_url: str, **overrides):
    """A layout's app in testing mode on the given database."""
    module = importlib.import_module(f"{layout}_layout")
    return module.create_app(
        {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    )


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A SQLite file brought to the newest migration once; each test gets a copy."""
    from flask_migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    app = make_app(LAYOUTS[0], f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def database_url(migrated_sqlite, tmp_path):
    path = tmp_path / "inkpot.sqlite3"
    shutil.copyfile(migrated_sqlite, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=LAYOUTS)
def layout(request):
    return request.param


# Tests of shared_models itself run on every database Inkpot supports.
DATABASES = ["sqlite"]


@pytest.fixture(params=DATABASES)
def domain_database_url(request, database_url):
    """A fresh, migrated database of each supported kind."""
    return database_url


@pytest.fixture
def domain_app(domain_database_url):
    """An app context on a fresh database, for testing shared_models without HTTP."""
    app = make_app(LAYOUTS[0], domain_database_url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class InkpotClient(FlaskClient):
    """A test client that can submit forms the way a browser does, CSRF token included."""

    def csrf_token(self) -> str:
        # Every page carries a token: forms for visitors, the sign-out form for users.
        page = self.get("/login", follow_redirects=True).get_data(as_text=True)
        match = CSRF_FIELD.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1) or match.group(2)

    def submit(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token."""
        return self.post(url, data={"csrf_token": self.csrf_token(), **(data or {})}, **kwargs)


@pytest.fixture
def app(layout, database_url):
    app = make_app(layout, database_url)
    app.test_client_class = InkpotClient
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Sign up, sign in and out through the site's own forms."""

    def __init__(self, client):
        self._client = client

    def signup(self, username="writer", email=None, password=PASSWORD, **kwargs):
        email = email or f"{username}@example.com"
        return self._client.submit(
            "/signup", {"username": username, "email": email, "password": password}, **kwargs
        )

    def login(self, email="writer@example.com", password=PASSWORD, **kwargs):
        return self._client.submit("/login", {"email": email, "password": password}, **kwargs)

    def logout(self):
        return self._client.submit("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def make_user(app):
    """Create a user (with a site) directly in the domain; returns its id."""
    from shared_models import accounts
    from shared_models.models import Role

    def make(username="writer", email=None, password=PASSWORD, admin=False, suspended=False):
        with app.app_context():
            user = accounts.sign_up(username, email or f"{username}@example.com", password)
            if admin:
                user.role = Role.ADMIN
            user.is_suspended = suspended
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def make_post(app):
    """Write a post as a user (by id) directly in the domain; returns (post id, slug)."""
    from shared_models import publishing
    from shared_models.models import User

    def make(user_id, title="A post", body="Hello *world*", published=True):
        with app.app_context():
            post = publishing.create_post(db.session.get(User, user_id), title, body, published)
            return post.id, post.slug

    return make


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run while the block runs: `with count_queries() as n: ...`."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting
