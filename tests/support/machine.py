"""What a test needs from the machine: an installed tool (or a clear skip), a free port."""

import os

import pytest

# The one free-port picker of the repository, which the stack runner uses too.
from deploy.processes import free_port

__all__ = ["free_port", "unavailable"]


def unavailable(reason: str) -> None:
    """Skip the test on a laptop without the tool; fail it in CI, where it must be installed."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: every test must run)", pytrace=False)
    pytest.skip(reason)
