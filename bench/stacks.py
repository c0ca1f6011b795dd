"""The stacks `make bench` measures: deploy/'s nginx → gunicorn under supervisor, on free ports.

Each stack is what `make serve` runs (deploy/render.py renders the shipped configs
into a run directory), with two differences a benchmark needs: the gunicorn
command line may name another WSGI app (the hello baseline, or bench/wsgi.py's
wrapper) and override a setting (sync workers, no worker recycling), and the
database is the benchmark's. Every process started here is stopped in stop(),
killed if it has to be.
"""

import contextlib
import http.client
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from deploy import render

STARTUP_TIMEOUT = 60
STOP_TIMEOUT = 45


class StackError(RuntimeError):
    """A stack did not start; the message carries the end of its logs."""


def children_of(pid: int) -> set[int]:
    """Direct children of a process, from /proc."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # The command name may hold spaces or parentheses; the parent pid follows the last ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                children.add(int(stat.parent.name))
    return children


def descendants_of(pid: int) -> set[int]:
    found, frontier = set(), {pid}
    while frontier:
        frontier = set().union(*(children_of(parent) for parent in frontier)) - found
        found |= frontier
    return found


def started_at(pid: int) -> int | None:
    """When a process started (clock ticks after boot), or None if it is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After ")": state is field 3 of stat(5), starttime field 22.
    return None if fields[0] == "Z" else int(fields[19])


def rss_bytes(pid: int) -> int:
    """A process's resident set size, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def http_get(port: int, path: str, headers: dict | None = None, timeout: float = 10):
    """(status, headers, body) of one GET to 127.0.0.1:port."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@dataclass
class BenchStack:
    """One nginx → gunicorn stack serving `wsgi_app` on the benchmark's database."""

    name: str
    layout: str
    run_dir: Path
    database: Path
    # None: the app gunicorn.conf.py names (deploy.wsgi:app), exactly as deployed.
    wsgi_app: str | None = "bench.wsgi:app"
    # Appended to gunicorn's command line, after --config: they win over gunicorn.conf.py.
    gunicorn_args: list[str] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    config: render.Stack | None = None
    supervisord: subprocess.Popen | None = None
    _processes: dict[int, int | None] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.config.port

    @property
    def app_port(self) -> int:
        """gunicorn's own port, for measuring the app without nginx in front."""
        return self.config.app_ports[0]

    @property
    def workers(self) -> int:
        """How many workers gunicorn.conf.py starts (its default, unless WEB_CONCURRENCY)."""
        return int(self.settings.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))

    def render(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        settings = {
            "DATABASE_URL": f"sqlite:///{self.database}",
            # Every request of a load test comes from 127.0.0.1 (SPEC: for load tests).
            "RATELIMIT_ENABLED": "false",
            **self.settings,
        }
        self.config = render.render(
            render.Stack(self.layout, self.run_dir, render.free_port(), [render.free_port()],
                         settings)
        )  # fmt: skip
        extra = " ".join([*self.gunicorn_args, *([self.wsgi_app] if self.wsgi_app else [])])
        if not extra:
            return
        conf = self.config.supervisord_conf
        command = re.compile(r"^(command=\S+/gunicorn --config \S+/gunicorn\.conf\.py)$", re.M)
        text, count = command.subn(lambda match: f"{match.group(1)} {extra}", conf.read_text())
        if count != 1:
            raise StackError(f"{conf}: expected one gunicorn command line, found {count}")
        conf.write_text(text)

    def start(self) -> None:
        """Render and launch; serving() tells when it answers."""
        self.render()
        self.supervisord = subprocess.Popen(
            [render.environment_program("supervisord"), "--nodaemon",
             "--configuration", str(self.config.supervisord_conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def master_pid(self) -> int | None:
        """gunicorn's master: the child of supervisord that is not nginx."""
        if self.supervisord is None:
            return None
        for pid in children_of(self.supervisord.pid):
            with contextlib.suppress(OSError):
                if "gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                    return pid
        return None

    def worker_pids(self) -> set[int]:
        master = self.master_pid()
        return children_of(master) if master else set()

    def serving(self) -> bool:
        """nginx answers /healthz from the app, and every worker is up."""
        if self.supervisord is None or self.supervisord.poll() is not None:
            raise StackError(f"{self.name}: supervisord exited\n{self.log_tail()}")
        try:
            status, _, _ = http_get(self.port, "/healthz", timeout=2)
        except (OSError, http.client.HTTPException):
            return False
        return status == 200 and len(self.worker_pids()) == self.workers

    def log_tail(self, characters: int = 2000) -> str:
        parts = []
        for name in ("supervisord.log", "inkpot-error.log", "nginx-error.log"):
            path = self.run_dir / "logs" / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-characters:]}")
        return "\n".join(parts)

    def request_stop(self) -> None:
        """Ask supervisord to stop (nginx, then gunicorn, gracefully); finish_stop() waits."""
        if self.supervisord is None:
            return
        self._processes = {pid: started_at(pid) for pid in descendants_of(self.supervisord.pid)}
        if self.supervisord.poll() is None:
            self.supervisord.send_signal(signal.SIGTERM)

    def finish_stop(self) -> None:
        """Wait for supervisord; kill what it left, if anything, and only those processes."""
        if self.supervisord is None:
            return
        try:
            self.supervisord.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.supervisord.kill()
            self.supervisord.wait(timeout=10)
        for pid, start_time in self._processes.items():
            # The same process, not a newer one that was given the same pid.
            if start_time is not None and started_at(pid) == start_time:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        self.supervisord = None

    def stop(self) -> None:
        self.request_stop()
        self.finish_stop()


def start_all(stacks: list[BenchStack], timeout: float = STARTUP_TIMEOUT) -> None:
    """Start every stack at once and wait until all of them serve; stop them all on failure."""
    try:
        for stack in stacks:
            stack.start()
        deadline = time.monotonic() + timeout
        waiting = list(stacks)
        while waiting:
            waiting = [stack for stack in waiting if not stack.serving()]
            if waiting and time.monotonic() > deadline:
                names = ", ".join(stack.name for stack in waiting)
                tails = "\n".join(stack.log_tail() for stack in waiting)
                raise StackError(f"not serving after {timeout:.0f} s: {names}\n{tails}")
            time.sleep(0.2)
    except BaseException:
        stop_all(stacks)
        raise


def stop_all(stacks: list[BenchStack]) -> None:
    """Stop every stack, all at once rather than one after another."""
    for stack in stacks:
        stack.request_stop()
    for stack in stacks:
        stack.finish_stop()
