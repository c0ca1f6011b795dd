"""Fixtures of the security suite: a throttled app, a throwaway Redis, a NUL check."""

import os
import shutil
import socket
import subprocess
import time

import pytest
from sqlalchemy import event

from shared_models import db
from tests.conftest import InkpotClient, make_app

REDIS_START_TIMEOUT = 10


class SecurityClient(InkpotClient):
    """A browser that fetches its CSRF token once: this suite submits thousands of forms.

    The token is tied to the browser's session, not to a page or a clock, so a
    real browser could reuse it the same way.
    """

    _token = None

    def csrf_token(self) -> str:
        if self._token is None:
            self._token = super().csrf_token()
        return self._token


@pytest.fixture
def app(app):
    """The suite-wide `app`, with browsers that fetch their CSRF token once."""
    app.test_client_class = SecurityClient
    return app


@pytest.fixture
def throttled_app(layout, database_url):
    """A layout's app with throttling on, as development and production have it."""
    app = make_app(layout, database_url, RATELIMIT_ENABLED=True)
    app.test_client_class = SecurityClient
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def no_nul_reaches_the_database(app):
    """Fail any SQL statement carrying a NUL byte, as PostgreSQL does (SQLite stores it)."""
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
    assert not statements, f"NUL bytes reached the database in: {statements}"


def unavailable(reason: str) -> None:
    """Skip on a machine without the tool; fail under CI=true, where it must be installed."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: every test must run)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway redis-server on a free 127.0.0.1 port, without persistence; its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (apt-get install redis-server)")
    import redis

    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_timeout=1)
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
