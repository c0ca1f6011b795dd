"""The app believes X-Forwarded-* headers only in production, where nginx is in front of it."""

import pytest
from flask import request

from tests.support.apps import IDLE_BROKER_URL, make_app

# What nginx sends: the visitor's address last, after whatever the visitor claimed.
FORWARDED = {
    "X-Forwarded-For": "198.51.100.66, 203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "blog.example.com",
}


def what_the_app_sees(app) -> dict:
    """The visitor's address, scheme and host as a view reads them, behind the proxy headers."""

    @app.get("/_probe/request")
    def request_seen():
        return {"address": request.remote_addr, "scheme": request.scheme, "host": request.host}

    client = app.test_client()
    return client.get("/_probe/request", headers=FORWARDED).get_json()


def test_production_trusts_exactly_one_proxy(layout, database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    app = make_app(
        layout,
        database_url,
        APP_ENV="production",
        PUBLIC_URL="https://blog.example.com",
        CELERY_BROKER_URL=IDLE_BROKER_URL,
    )
    # Only the last address counts: the one nginx itself appended.
    assert what_the_app_sees(app) == {
        "address": "203.0.113.7",
        "scheme": "https",
        "host": "blog.example.com",
    }


@pytest.mark.parametrize("environment", ["development", "testing"])
def test_other_environments_ignore_forwarded_headers(
    layout, database_url, environment, monkeypatch
):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    app = make_app(layout, database_url, APP_ENV=environment)
    assert what_the_app_sees(app) == {"address": "127.0.0.1", "scheme": "http", "host": "localhost"}
