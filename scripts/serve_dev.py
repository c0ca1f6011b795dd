"""`make run`: migrate and seed the shared demo database, then serve both layouts until stopped.

Ctrl-C or SIGTERM stops the development servers too. Each `flask run` runs in a
process group of its own, with the server process its reloader starts: the group
gets Ctrl-C's SIGINT, then SIGKILL if it is still running STOP_TIMEOUT seconds later.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# Run as a script: make the repository importable, whatever the current folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deploy import LAYOUTS

HOST = "127.0.0.1"
FIRST_PORT = 5001
STOP_TIMEOUT = 10


def flask(layout: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", f"{layout}_layout", *args]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Migrate and seed the demo database, then serve both layouts with "
        "Flask's development server, reloading on every change, until Ctrl-C.",
        epilog="DATABASE_URL picks another database than instance/inkpot.sqlite3.",
    )
    parser.add_argument(
        "--host", default=HOST, help="the address to serve on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=FIRST_PORT,
        help="the functional layout's port; the divisional layout's is the next one "
        "(default: %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    ports = {layout: options.port + number for number, layout in enumerate(LAYOUTS)}
    # SIGTERM (from `kill`, a process manager, an IDE's stop button) stops it as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    servers: list[subprocess.Popen] = []
    try:
        # Both layouts share one database: migrate and seed it once.
        subprocess.run(flask(LAYOUTS[0], "db", "upgrade"), check=True)
        subprocess.run(flask(LAYOUTS[0], "seed-demo"), check=True)
        for layout, port in ports.items():
            servers.append(serve(layout, options.host, port))
        print()
        for layout, port in ports.items():
            print(f"  {layout + ' layout':<18} http://{options.host}:{port}/")
        print("  Press Ctrl-C to stop.\n", flush=True)
        while all(server.poll() is None for server in servers):
            time.sleep(0.5)
        print("A server stopped; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        # A second Ctrl-C must not cut the stopping short and leave a server running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(servers)


def serve(layout: str, host: str, port: int) -> subprocess.Popen:
    """`flask run` with its reloader, in a new process group (a session) of its own."""
    command = flask(layout, "run", "--debug", "--host", host, "--port", str(port))
    return subprocess.Popen(command, start_new_session=True)


def stop(servers: list[subprocess.Popen]) -> None:
    """Stop each server's process group: SIGINT, then SIGKILL once STOP_TIMEOUT has passed."""
    for server in servers:
        signal_group(server, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT
    for server in servers:
        # The group lives on as long as any of its processes does: wait for it to empty.
        while group_is_running(server) and time.monotonic() < deadline:
            server.poll()  # reap the reloader, whose group id is its pid
            time.sleep(0.1)
        if group_is_running(server):
            signal_group(server, signal.SIGKILL)
        server.wait(timeout=STOP_TIMEOUT)


def signal_group(server: subprocess.Popen, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # every process of the group has exited
        os.killpg(server.pid, number)


def group_is_running(server: subprocess.Popen) -> bool:
    try:
        os.killpg(server.pid, 0)
    except ProcessLookupError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
