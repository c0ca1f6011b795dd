"""Local processes and the ports they serve on: what deploy/stack.py starts, waits for and stops.

Linux only: process trees and start times are read from /proc.
"""

import contextlib
import http.client
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterable
from pathlib import Path

# Debian keeps nginx in /usr/sbin, which is not on an ordinary user's PATH.
SBIN_DIRECTORIES = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def system_program(name: str) -> str | None:
    """A program of the system's packages (nginx, redis-server), or None if not installed."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), *SBIN_DIRECTORIES]))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def accept_connections(ports: Iterable[int]) -> bool:
    """True once every port on 127.0.0.1 accepts a connection; OSError until then."""
    for port in ports:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    return True


def wait_until(condition: Callable[[], object], timeout: float, what: str, interval=0.1):
    """Poll until condition() is truthy and return its value; TimeoutError naming `what` if not.

    A condition that raises OSError or HTTPException (a server not listening yet) is not met yet.
    """
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, http.client.HTTPException):
            value = condition()
            if value:
                return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def http_get(port: int, path: str, headers: dict | None = None, timeout: float = 10):
    """(status, headers, body) of one GET to 127.0.0.1:port."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name (which may hold spaces and parentheses)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children_of(pid: int) -> set[int]:
    """Direct children of a process, from /proc."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat(int(stat.parent.name))
        if fields and int(fields[1]) == pid:
            children.add(int(stat.parent.name))
    return children


def descendants_of(pid: int) -> set[int]:
    found, frontier = set(), {pid}
    while frontier:
        frontier = set().union(*(children_of(parent) for parent in frontier)) - found
        found |= frontier
    return found


def started_at(pid: int) -> int | None:
    """When a process started (clock ticks after boot), or None if it is gone or a zombie.

    A pid is given to a new process once its own is gone; a pid and a start time are one process.
    """
    fields = _stat(pid)
    # After the name: the state is field 3 of proc_pid_stat(5), starttime field 22.
    return None if fields is None or fields[0] == "Z" else int(fields[19])


def is_alive(pid: int) -> bool:
    return started_at(pid) is not None
