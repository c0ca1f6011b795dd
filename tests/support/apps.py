"""Building a layout's app for a test: the one way, used by fixtures and tests alike."""

from pathlib import Path

from flask import Flask
from jinja2 import BytecodeCache

from deploy import layout_module
from tests.support.clients import InkpotClient


# Each test builds a fresh app; sharing compiled templates between them keeps the
# suite fast. Jinja checks each template's source, so an edited template recompiles.
class CompiledTemplates(BytecodeCache):
    """Compiled templates kept in memory for the whole test session."""

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


# Where links in test emails point: the test client's own host.
TEST_PUBLIC_URL = "http://localhost"
# Production refuses to start without a broker. A test that builds a production app
# and sends no email names this one, where nothing listens (port 9, discard).
IDLE_BROKER_URL = "redis://127.0.0.1:9/0"


def make_app(layout: str, database_url: str, **config) -> Flask:
    """A layout's app on the given database, in testing mode unless `config` sets APP_ENV.

    Its emails are .eml files in an `outbox` folder beside a SQLite database
    (give MAIL_OUTBOX_DIR for any other), with links to TEST_PUBLIC_URL unless
    `config` sets PUBLIC_URL. Its test clients are InkpotClients, which submit
    forms with their CSRF token.
    """
    if "MAIL_OUTBOX_DIR" not in config:
        if not database_url.startswith("sqlite:///"):
            raise ValueError("Give MAIL_OUTBOX_DIR: only a SQLite file has a folder to share.")
        database = Path(database_url.removeprefix("sqlite:///"))
        config["MAIL_OUTBOX_DIR"] = str(database.parent / "outbox")
    app = layout_module(layout).create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PUBLIC_URL": TEST_PUBLIC_URL,
            **config,
        }
    )
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    app.test_client_class = InkpotClient
    return app
