"""Building a layout's app for a test: the one way, used by fixtures and tests alike."""

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


def make_app(layout: str, database_url: str, **config) -> Flask:
    """A layout's app on the given database, in testing mode unless `config` sets APP_ENV.

    Its test clients are InkpotClients, which submit forms with their CSRF token.
    """
    app = layout_module(layout).create_app(
        {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, **config}
    )
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    app.test_client_class = InkpotClient
    return app
