"""Fixtures in the style of Flask's tutorial: app, client, runner, auth, a fresh database each.

The `app` fixture is parametrised by layout, so every behaviour test runs
against every layout in LAYOUTS.

`make test` runs the suite on every core (pytest-xdist, `--dist loadfile`: the
tests of one file run on one worker, so a module's fixtures, such as a stack of
servers, start once), the files with slow tests first. Each worker is a process
of its own, with its own temporary folders (`tmp_path_factory`) and session
fixtures: its own migrated SQLite template, PostgreSQL cluster and Chromium.
Servers listen on free ports; anything else a test writes goes under its own
`tmp_path`.
"""

import shutil

import pytest
from sqlalchemy import event

from deploy import LAYOUTS
from shared_models import db
from shared_web.logs import configure_logging
from tests.support.apps import make_app
from tests.support.clients import PASSWORD, AuthActions
from tests.support.postgres import TEMPLATE_DATABASE, start_server


def pytest_collection_modifyitems(items):
    """The files with a test marked slow first, each file's tests kept together and in order.

    The workers take whole files in this order (`make test` keeps it with
    --no-loadscope-reorder), so a file that takes a minute starts early rather
    than last, with the other workers idle until it ends.
    """
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)


@pytest.fixture(scope="session", autouse=True)
def process_logging():
    """This process's logging, configured before any test as the first app outside testing would.

    Such an app configures its process's logging once, replacing the root logger's
    handlers. Left to the tests, that would happen whenever a worker first builds a
    development or production app: in the middle of some test, dropping the handler
    that test (or caplog) put on the root logger, depending on which tests ran before.
    """
    configure_logging("text")


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
DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgresql_server(tmp_path_factory):
    """A throwaway PostgreSQL server for the session, holding a migrated template database."""
    from flask_migrate import upgrade

    server = start_server()  # skips (fails under CI=true) without PostgreSQL
    try:
        server.execute(f"CREATE DATABASE {TEMPLATE_DATABASE}")
        outbox = tmp_path_factory.mktemp("outbox")
        app = make_app(LAYOUTS[0], server.url(TEMPLATE_DATABASE), MAIL_OUTBOX_DIR=str(outbox))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgresql_database_url(postgresql_server):
    """A fresh PostgreSQL database: a copy of the migrated template, far faster than migrating."""
    name = postgresql_server.create_database(template=TEMPLATE_DATABASE)
    yield postgresql_server.url(name)
    postgresql_server.drop_database(name)


@pytest.fixture(params=DATABASES)
def domain_database_url(request):
    """A fresh, migrated database of each supported kind."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgresql_database_url")
    return request.getfixturevalue("database_url")


@pytest.fixture
def domain_app(domain_database_url, tmp_path):
    """An app context on a fresh database, for testing shared_models without HTTP."""
    app = make_app(LAYOUTS[0], domain_database_url, MAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(layout, database_url):
    app = make_app(layout, database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def make_user(app):
    """Create a user (with a site) directly in the domain; returns its id.

    Confirmed, as an account in use is, unless `confirmed=False`.
    """
    from shared_models import accounts
    from shared_models.models import Role

    def make(
        username="writer",
        email=None,
        password=PASSWORD,
        admin=False,
        suspended=False,
        confirmed=True,
    ):
        with app.app_context():
            user = accounts.sign_up(
                username, email or f"{username}@example.com", password, confirmed=confirmed
            )
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


@pytest.fixture
def admin_client(app, make_user):
    """A second browser, signed in as the admin `boss`."""
    make_user("boss", admin=True)
    admin_client = app.test_client()
    response = AuthActions(admin_client).login("boss@example.com")
    assert response.status_code == 302
    return admin_client


@pytest.fixture
def find_user(app):
    """Look a user up by username (a detached row to read), or None."""
    from shared_models.models import User

    def find(username):
        with app.app_context():
            return db.session.execute(
                db.select(User).where(User.username == username)
            ).scalar_one_or_none()

    return find


@pytest.fixture
def find_post(app):
    """Look a post up by id (a detached row to read), or None."""
    from shared_models.models import Post

    def find(post_id):
        with app.app_context():
            return db.session.get(Post, post_id)

    return find


@pytest.fixture
def audit_events(app):
    """The audit log as (action, actor username or None, detail), oldest first."""
    from shared_models.models import AuditEvent

    def events():
        with app.app_context():
            rows = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars()
            return [
                (row.action, row.actor.username if row.actor else None, row.detail) for row in rows
            ]

    return events
