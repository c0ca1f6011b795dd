"""The API's fixtures: a writer, their write token, and calls made with it."""

import pytest

from shared_models import api_tokens, db
from shared_models.models import User
from tests.support.api import bearer


@pytest.fixture
def make_token(app):
    """Give a user (by id) an API token; returns its secret."""

    def make(user_id, scope="write", name="script"):
        with app.app_context():
            _, secret = api_tokens.create_token(db.session.get(User, user_id), name, scope)
            return secret

    return make


@pytest.fixture
def writer(make_user):
    return make_user("writer")


@pytest.fixture
def token(make_token, writer):
    """A write token of `writer`."""
    return make_token(writer)


@pytest.fixture
def api(client, token):
    """Calls to the API as `writer`, with their write token."""

    class Caller:
        def __getattr__(self, method):
            def call(url, **kwargs):
                headers = {**bearer(token), **kwargs.pop("headers", {})}
                return getattr(client, method)(url, headers=headers, **kwargs)

            return call

    return Caller()
