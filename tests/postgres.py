"""Moved to tests.support; these names stay importable here until tests/deploy moves too."""

from tests.support.machine import free_port, unavailable  # noqa: F401
from tests.support.postgres import TEMPLATE_DATABASE, PostgresServer, start_server  # noqa: F401
