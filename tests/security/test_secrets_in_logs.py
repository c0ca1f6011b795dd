"""No password, token or cookie reaches a log, through every flow that handles one."""

import logging

import pytest

from shared_web.logs import configure_logging
from tests.support.apps import make_app
from tests.support.clients import PASSWORD, AuthActions
from tests.support.mail import Outbox

NEW_PASSWORD = "another-secret-passphrase"
CHANGED_PASSWORD = "a-third-secret-passphrase"


class Recorder(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def logs():
    """Every log line of any logger while the test runs, at every level, formatted."""
    # The first app of a process configures logging, which replaces the root's handlers:
    # configure it first, so the recorder stays whichever test runs first.
    configure_logging("text")
    recorder, root = Recorder(), logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(recorder)
    yield recorder.lines
    root.removeHandler(recorder)
    root.setLevel(level)


def every_flow(app) -> list[str]:
    """Sign up, confirm, sign in, reset, change password and email; the secrets they involved."""
    app.logger.setLevel(logging.DEBUG)
    client, mailbox = app.test_client(), Outbox.of(app)
    auth = AuthActions(client)
    auth.signup("writer", confirm=False)
    confirm = mailbox.last(to="writer@example.com").path("/confirm/")
    auth.confirm(confirm)
    auth.logout()
    auth.login(password="a-wrong-guess-1234")
    client.submit("/password/forgot", {"email": "writer@example.com"})
    reset = mailbox.last(to="writer@example.com").path("/password/reset/")
    client.submit(reset, {"new_password": NEW_PASSWORD})
    auth.login(password=NEW_PASSWORD)
    cookies = [client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value]
    client.submit(
        "/dashboard/account",
        {"current_password": NEW_PASSWORD, "new_password": CHANGED_PASSWORD},
    )
    client.submit(
        "/dashboard/account/email",
        {"new_email": "moved@example.com", "current_password": CHANGED_PASSWORD},
    )
    change = mailbox.last(to="moved@example.com").path("/confirm/")
    auth.confirm(change, CHANGED_PASSWORD)
    csrf = client.csrf_token()
    tokens = [path.rsplit("/", 1)[1] for path in (confirm, reset, change)]
    return [PASSWORD, "a-wrong-guess-1234", NEW_PASSWORD, CHANGED_PASSWORD, csrf, *tokens, *cookies]


def test_no_password_token_or_cookie_is_ever_logged(app, logs):
    secrets = every_flow(app)

    text = "\n".join(logs)
    assert "Email" in text, "the flows logged nothing: the capture is not working"
    for secret in secrets:
        assert secret not in text


def test_only_development_logs_the_links_so_make_run_can_show_them(layout, database_url, logs):
    # The exception above, on purpose: the dev server's console shows each email's links.
    app = make_app(layout, database_url, APP_ENV="development")

    *_, confirm_token, reset_token, change_token = every_flow(app)[:8]

    text = "\n".join(logs)
    for token in (confirm_token, reset_token, change_token):
        assert token in text
    assert PASSWORD not in text
