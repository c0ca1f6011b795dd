"""Migrations: `flask db upgrade` builds exactly the models' schema; downgrade removes it."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from shared_models import db
from tests.support.apps import make_app


@pytest.fixture
def empty_database(layout, tmp_path):
    """An app context on an empty database file."""
    app = make_app(layout, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def differences_from_the_models():
    """What autogenerate would still add, drop or alter to make the database match the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, db.metadata)


def test_upgrade_builds_exactly_the_models_schema(empty_database):
    upgrade()

    assert differences_from_the_models() == []
    assert set(inspect(db.engine).get_table_names()) == set(db.metadata.tables) | {
        "alembic_version"
    }


def test_an_empty_database_differs_from_the_models(empty_database):
    # The check above can fail: on an empty database it sees every table missing.
    missing = {diff[1].name for diff in differences_from_the_models() if diff[0] == "add_table"}

    assert missing == set(db.metadata.tables)


def test_downgrade_to_base_leaves_no_tables(empty_database):
    upgrade()

    downgrade(revision="base")

    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_upgrade_after_downgrade_rebuilds_the_schema(empty_database):
    upgrade()
    downgrade(revision="base")

    upgrade()

    assert differences_from_the_models() == []


def test_accounts_that_existed_before_email_confirmation_count_as_confirmed(empty_database):
    # Their owners were using the site already: upgrading must not lock them out.
    upgrade(revision="0003")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, email, password_hash, role, is_suspended,"
                " created_at) VALUES (1, 'old-timer', 'old@example.com', 'x', 'user', 0,"
                " '2020-01-02 03:04:05')"
            )
        )

    upgrade()

    with db.engine.connect() as connection:
        confirmed = connection.execute(text("SELECT email_confirmed_at FROM users")).scalar_one()
    assert str(confirmed).startswith("2020-01-02 03:04:05")
