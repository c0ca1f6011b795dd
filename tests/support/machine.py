"""What a test needs from the machine: an installed tool, a free port."""

import os
import socket

import pytest


def unavailable(reason: str) -> None:
    """Skip the test on a laptop without the tool; fail it in CI, where it must be installed."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: every test must run)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
