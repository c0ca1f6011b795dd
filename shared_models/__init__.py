"""Inkpot's domain, shared by both layouts: models, rules, queries, migrations and demo data.

It knows nothing of HTTP: views call these functions and turn their answers
(or their `RuleViolation`) into pages.
"""

from pathlib import Path

from flask_migrate import Migrate

from shared_models import accounts, models, sessions
from shared_models.cli import create_admin_command, seed_demo_command
from shared_models.database import db
from shared_models.errors import RuleViolation
from shared_models.formatting import TEMPLATE_FILTERS

MIGRATIONS_DIRECTORY = str(Path(__file__).resolve().parent / "migrations")

# Batch mode lets later migrations alter SQLite tables, which cannot ALTER in place.
migrate = Migrate(directory=MIGRATIONS_DIRECTORY, render_as_batch=True, compare_type=True)

__all__ = ["MIGRATIONS_DIRECTORY", "RuleViolation", "db", "init_app", "migrate", "models"]


def init_app(app) -> None:
    """Bind the database, migrations, CLI commands, date filters and sign-in checks to an app."""
    db.init_app(app)
    migrate.init_app(app, db)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(seed_demo_command)
    app.jinja_env.filters.update(TEMPLATE_FILTERS, device=sessions.describe_device)
    app.shell_context_processor(shell_context)
    accounts.prepare_dummy_hash(app)


def shell_context() -> dict:
    """What `flask shell` starts with: the database handle and every model."""
    return {
        "db": db,
        "User": models.User,
        "Site": models.Site,
        "Post": models.Post,
        "AuditEvent": models.AuditEvent,
    }
