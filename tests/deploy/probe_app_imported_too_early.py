"""Test-only: the trap on purpose, psycopg imported before gevent patches (as with --preload).

Loaded in the gunicorn master with --preload, psycopg sees an unpatched `select`
and picks its blocking C wait function; gevent patching afterwards cannot undo it.
"""

import psycopg  # noqa: F401  (before the patch, on purpose)

from tests.deploy.probe_app import app

__all__ = ["app"]
