"""Inkpot's domain, shared by both layouts: models, rules, queries, migrations and demo data.

It knows nothing of HTTP (no request, response, cookie, flash or abort): views
call these functions and turn their answers, or their `RuleViolation`, into
pages. It runs inside a Flask app context, for the database session and the
few settings it reads from the app's config (the password hash method, how
long a session may stay idle, the key that signs emailed links, how long an
unsent email waits before it is relayed); the configuration itself, like every
other app-wide piece, lives in shared_web. The emails it decides to send go to
its outbox; shared_web's worker sends them.
"""

from pathlib import Path

from flask_migrate import Migrate

from shared_models import accounts, models, versions  # noqa: F401  (versions: its flush hook)
from shared_models.cli import (
    create_admin_command,
    remove_unconfirmed_accounts_command,
    seed_demo_command,
)
from shared_models.database import db
from shared_models.errors import RuleViolation

MIGRATIONS_DIRECTORY = str(Path(__file__).resolve().parent / "migrations")
# The translations of the domain's rule messages (its `N_` marks), which every app merges in.
TRANSLATIONS_DIRECTORY = str(Path(__file__).resolve().parent / "translations")

# Batch mode lets later migrations alter SQLite tables, which cannot ALTER in place.
migrate = Migrate(directory=MIGRATIONS_DIRECTORY, render_as_batch=True, compare_type=True)

__all__ = [
    "MIGRATIONS_DIRECTORY",
    "TRANSLATIONS_DIRECTORY",
    "RuleViolation",
    "db",
    "init_app",
    "migrate",
    "models",
]


def init_app(app) -> None:
    """Bind the database, migrations, CLI commands, shell context and password hashing."""
    db.init_app(app)
    migrate.init_app(app, db)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(remove_unconfirmed_accounts_command)
    app.shell_context_processor(shell_context)
    accounts.prepare_dummy_hash(app)


def shell_context() -> dict:
    """What `flask shell` starts with: the database handle and every model."""
    return {
        "db": db,
        "User": models.User,
        "Site": models.Site,
        "Post": models.Post,
        "UserSession": models.UserSession,
        "ApiToken": models.ApiToken,
        "AuditEvent": models.AuditEvent,
        "OutboundEmail": models.OutboundEmail,
    }
