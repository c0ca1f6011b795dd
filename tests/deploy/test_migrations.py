"""The one migrations folder upgrades and downgrades cleanly, step by step, on every database."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from shared_models import db


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_differences() -> list:
    """What autogenerate would still change to make the database match the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_step_down_to_nothing_and_back_up_to_the_models(domain_app):
    config = current_app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    steps = len(list(script.walk_revisions()))
    assert current_revision() == head

    for _ in range(steps):
        downgrade(revision="-1")
    assert current_revision() is None
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

    for _ in range(steps):
        upgrade(revision="+1")
    assert current_revision() == head
    assert schema_differences() == []
