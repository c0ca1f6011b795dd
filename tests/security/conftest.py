"""Fixtures of the security suite: a throttled app, a throwaway Redis, NUL bytes sent to SQL."""

import pytest
from sqlalchemy import event

from shared_models import db
from tests.support.apps import make_app
from tests.support.clients import TokenReusingClient
from tests.support.redis_server import redis_server


@pytest.fixture
def app(app):
    """The suite-wide `app`, with browsers that fetch their CSRF token once."""
    app.test_client_class = TokenReusingClient
    return app


@pytest.fixture
def throttled_app(layout, database_url):
    """A layout's app with throttling on, as development and production have it."""
    app = make_app(layout, database_url, RATELIMIT_ENABLED=True)
    app.test_client_class = TokenReusingClient
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def statements_with_nul(app):
    """The SQL statements that carried a NUL byte while the test ran; tests assert there are none.

    PostgreSQL refuses NUL in text and SQLite stores it, so on SQLite this is how a test sees one.
    """
    statements = []

    def check(conn, cursor, statement, parameters, context, executemany):
        rows = parameters if executemany else [parameters]
        for row in rows:
            values = row.values() if isinstance(row, dict) else row or ()
            if any(isinstance(value, str) and "\x00" in value for value in values):
                statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", check)
    yield statements
    event.remove(engine, "before_cursor_execute", check)


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway redis-server on a free 127.0.0.1 port, without persistence; its URL."""
    with redis_server(tmp_path) as url:
        yield url
