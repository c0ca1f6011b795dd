"""`make run` (scripts/serve_dev.py): its options, and stopping leaves no server behind."""

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.processes import (
    accept_connections,
    descendants_of,
    free_port,
    port_is_free,
    started_at,
    wait_until,
)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "serve_dev.py"
# Migrating, seeding and starting a development server per layout, on a busy machine.
START_TIMEOUT = 120
# Free ports from --port on, one per layout.
ROOM = 2
# serve_dev gives its servers 10 s to stop after Ctrl-C before it kills them.
STOP_TIMEOUT = 30


def development_environment(tmp_path: Path) -> dict[str, str]:
    """The demo database, key and outbox in tmp_path, not in the repository's instance/."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "SECRET_KEY": "development-" + "x" * 32,
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
    }


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports on 127.0.0.1."""
    while True:
        first = free_port()
        if all(port_is_free(first + offset) for offset in range(1, count)):
            return first


def served_ports(log: Path) -> list[int]:
    """The ports serve_dev.py says it serves on, once it says so."""
    printed = log.read_text()
    if "Press Ctrl-C to stop." not in printed:
        return []
    return [int(port) for port in re.findall(r"http://127\.0\.0\.1:(\d+)/", printed)]


@pytest.mark.smoke
def test_help_prints_the_options_and_starts_nothing(tmp_path):
    # In a session of its own: if it did start servers, they are killed with it.
    shown = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--help"],
        env=development_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        printed, errors = shown.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shown.pid, signal.SIGKILL)
        shown.wait(timeout=STOP_TIMEOUT)

    assert shown.returncode == 0, errors
    assert printed.startswith("usage: serve_dev.py")
    assert "--port PORT" in printed
    assert "--host HOST" in printed
    assert not (tmp_path / "demo.sqlite3").exists()  # not even migrated


def test_sigterm_stops_the_development_servers(tmp_path):
    log = tmp_path / "serve_dev.log"
    with log.open("w") as output:
        runner = subprocess.Popen(
            [sys.executable, str(SCRIPT), "--port", str(free_ports(ROOM))],
            env=development_environment(tmp_path),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    # Every process it starts, by pid and start time: a pid alone may be reused.
    started: dict[int, int | None] = {}
    try:
        ports = wait_until(lambda: served_ports(log), START_TIMEOUT, "serve_dev.py's addresses")
        wait_until(lambda: accept_connections(ports), START_TIMEOUT, f"servers on {ports}")
        started = {pid: started_at(pid) for pid in descendants_of(runner.pid)}
        assert started, "no development server among serve_dev.py's processes"

        runner.send_signal(signal.SIGTERM)

        assert runner.wait(timeout=STOP_TIMEOUT) == 0
        wait_until(
            lambda: not any(started_at(pid) == start for pid, start in started.items()),
            STOP_TIMEOUT,
            "the development servers to exit",
        )
        assert all(port_is_free(port) for port in ports)
    finally:
        # Whatever it left running, even if the test failed before the SIGTERM.
        started.update({pid: started_at(pid) for pid in descendants_of(runner.pid)})
        for pid, start in {**started, runner.pid: started_at(runner.pid)}.items():
            if start is not None and started_at(pid) == start:
                os.kill(pid, signal.SIGKILL)
        runner.wait(timeout=STOP_TIMEOUT)
