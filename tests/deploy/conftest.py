"""Fixtures for the deploy tests: the production stack of each layout, started once per module."""

from collections.abc import Iterator

import pytest

from deploy import LAYOUTS
from deploy.stack import RunningStack
from tests.deploy.stacks import start_stack


@pytest.fixture(scope="module", params=LAYOUTS)
def stack(request, tmp_path_factory) -> Iterator[RunningStack]:
    """The production stack for one layout on a SQLite database, shared by a module's tests."""
    running = start_stack(request.param, tmp_path_factory.mktemp(f"stack-{request.param}"))
    try:
        yield running
    finally:
        # Quick: supervisor's graceful stop has its own test (the 502 page's).
        running.stop(graceful=False)
