"""Running the real production stack on loopback for tests, and visiting it like a browser.

Each stack is rendered by deploy/render.py (what `make serve` runs) into a temporary
directory, on free ports, and stopped at the end, its processes killed if need be.
Without nginx (or PostgreSQL, or a layout) these tests skip, except under CI=true,
where they fail.
"""

import contextlib
import http.client
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from deploy import render
from tests.conftest import CSRF_FIELD, PASSWORD
from tests.postgres import free_port, unavailable

STACK_LAYOUTS = ["functional", "divisional"]
STARTUP_TIMEOUT = 30
# Free ports are picked, then bound by gunicorn and nginx: on a busy machine another
# process can take one in between. Then the stack is started again on new ports.
PORT_ATTEMPTS = 3
PORT_CLASH = re.compile(r"Address already in use|Connection in use")
# Settings every test stack shares: two workers, so one can die while the other serves,
# and no sign-in throttling, since every test visitor comes from 127.0.0.1.
TEST_SETTINGS = {"WEB_CONCURRENCY": "2", "RATELIMIT_ENABLED": "false"}


def require_nginx() -> str:
    nginx = render.find_nginx()
    if nginx is None:
        unavailable("nginx is not installed (apt-get install nginx-light)")
    return nginx


def require_layout(layout: str) -> None:
    if importlib.util.find_spec(f"{layout}_layout") is None:
        unavailable(f"the {layout} layout is not in this checkout yet")


def wait_until(condition: Callable[[], object], timeout: float, what: str, interval=0.1):
    """Poll until condition() is truthy and return its value; fail saying `what` never happened."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, http.client.HTTPException):
            value = condition()
            if value:
                return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def children_of(pid: int) -> set[int]:
    """Direct children of a process, from /proc."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
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


def is_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Visitor:
    """A browser stand-in: keeps its cookies, reads CSRF tokens off forms, follows no redirect.

    Secure cookies are sent back over plain HTTP, as browsers do for 127.0.0.1.
    """

    def __init__(self, base_url: str, timeout: float = 15):
        self.host, port = base_url.removeprefix("http://").split(":")
        self.port = int(port)
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            sent = {"Host": f"{self.host}:{self.port}", **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            response = Response(answer.status, answer.headers, answer.read())
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path: str, headers=None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, fields: dict) -> Response:
        body = urlencode(fields).encode()
        content_type = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body=body, headers=content_type)

    def submit(self, path: str, fields: dict, form_page: str | None = None) -> Response:
        """POST a form the way a browser does: with the CSRF token of the page it is on."""
        page = self.get(form_page or path)
        match = CSRF_FIELD.search(page.text)
        assert match, f"no CSRF token on {form_page or path} (status {page.status})"
        return self.post(path, {"csrf_token": match.group(1) or match.group(2), **fields})

    def sign_up(self, username: str) -> Response:
        email = f"{username}@example.com"
        fields = {"username": username, "email": email, "password": PASSWORD}
        response = self.submit("/signup", fields)
        assert response.status == 302, f"sign-up of {username} answered {response.status}"
        return response

    def write_post(self, title: str, body: str = "Written through nginx.") -> Response:
        fields = {"title": title, "body": body, "published": "y"}
        return self.submit("/dashboard/posts/new", fields)


@dataclass
class RunningStack:
    """A rendered stack with its supervisord running; stop() leaves no process behind."""

    config: render.Stack
    supervisord: subprocess.Popen
    # Processes a test orphaned on purpose (workers of a killed master), killed at the end.
    strays: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return self.config.url

    def visitor(self) -> Visitor:
        return Visitor(self.url)

    def supervisorctl(self, *arguments: str) -> subprocess.CompletedProcess:
        command = [
            render.environment_program("supervisorctl"),
            "-c",
            str(self.config.supervisord_conf),
        ]
        return subprocess.run(
            [*command, *arguments], capture_output=True, text=True, timeout=60, check=False
        )

    def states(self) -> dict[str, str]:
        """supervisor's view: program name → RUNNING, STARTING, BACKOFF, ..."""
        lines = self.supervisorctl("status").stdout.splitlines()
        return {line.split()[0]: line.split()[1] for line in lines if line.strip()}

    def master_pid(self, program: str = "inkpot") -> int:
        return int(self.supervisorctl("pid", program).stdout.strip() or 0)

    def worker_pids(self, program: str = "inkpot") -> set[int]:
        return children_of(self.master_pid(program))

    def wait_until_serving(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Every program RUNNING (up for startsecs) and the site answering through nginx."""
        expected = len(self.config.programs) + 1
        wait_until(
            lambda: list(self.states().values()) == ["RUNNING"] * expected,
            timeout,
            f"supervisor to report all programs RUNNING (now {self.states()})",
        )
        wait_until(self.answers_health_check, timeout, "/healthz")
        workers = int(self.config.settings.get("WEB_CONCURRENCY", 1))
        for program in self.config.programs:
            wait_until(
                lambda program=program: len(self.worker_pids(program)) == workers,
                timeout,
                f"{program} to run {workers} workers",
            )

    def apps_listen(self) -> bool:
        """Every gunicorn accepts connections on its port."""
        for port in self.config.app_ports:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True

    def answers_health_check(self) -> bool:
        return self.visitor().get("/healthz").status == 200

    def port_clash(self) -> bool:
        return PORT_CLASH.search(self.all_logs()) is not None

    def all_logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted((self.config.run_dir / "logs").glob("*.log"))
        )

    def read_log(self, name: str) -> str:
        path = self.config.log(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, graceful: bool = True) -> None:
        """Stop supervisord and everything under it; graceful=False kills at once."""
        processes = descendants_of(self.supervisord.pid) | self.strays
        if self.supervisord.poll() is None:
            self.supervisord.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
            try:
                self.supervisord.wait(timeout=45)
            except subprocess.TimeoutExpired:
                self.supervisord.kill()
                self.supervisord.wait(timeout=10)
        for pid in processes:
            if is_alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def start_stack(
    layout: str, run_dir: Path, app_count: int = 1, migrate: bool = True, **settings: str
) -> RunningStack:
    """Render, migrate (`flask db upgrade`, as on a server) and start a stack on free ports.

    It is serving when this returns. migrate=False for a database that is migrated already.
    """
    require_nginx()
    require_layout(layout)
    for attempt in range(1, PORT_ATTEMPTS + 1):
        config = render.Stack(
            layout=layout,
            run_dir=run_dir,
            port=free_port(),
            app_ports=[free_port() for _ in range(app_count)],
            settings={**TEST_SETTINGS, **settings},
        )
        shutil.rmtree(config.run_dir / "logs", ignore_errors=True)
        render.render(config)
        if migrate:
            render.migrate(config, capture_output=True)
        supervisord = subprocess.Popen(
            [
                render.environment_program("supervisord"), "--nodaemon",
                "--configuration", str(config.supervisord_conf),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        running = RunningStack(config, supervisord)
        try:
            # The app first, as on a server: requests nginx passed to a gunicorn not yet
            # listening would count as failures against it (max_fails).
            outcome = wait_until(
                lambda running=running: "clash" if running.port_clash() else running.apps_listen(),
                STARTUP_TIMEOUT,
                "gunicorn to listen",
            )
            if outcome != "clash":
                outcome = wait_until(
                    lambda running=running: (
                        "clash" if running.port_clash() else running.answers_health_check()
                    ),
                    STARTUP_TIMEOUT,
                    "the stack to answer /healthz",
                )
            # Another process took a port between our picking it and binding it.
            if outcome == "clash" and attempt < PORT_ATTEMPTS:
                running.stop(graceful=False)
                continue
            if outcome == "clash":
                pytest.fail("every attempt found a port taken")
            running.wait_until_serving()
            return running
        except (Exception, pytest.fail.Exception) as error:
            logs = running.all_logs()
            running.stop(graceful=False)
            pytest.fail(f"the {layout} stack did not start: {error}\n{logs}", pytrace=False)
    raise AssertionError("unreachable")


@dataclass
class Outcome:
    started: float
    finished: float
    status: str  # the HTTP status, or the exception's name

    @property
    def succeeded(self) -> bool:
        return re.fullmatch(r"[23]\d\d", self.status) is not None


@dataclass
class Load:
    """Requests made in background threads until stopped; every outcome is kept."""

    make_request: Callable[[int], Response]
    threads: int = 2
    outcomes: list[Outcome] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def _run(self, number: int) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                status = str(self.make_request(number).status)
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
            self.outcomes.append(Outcome(started, time.monotonic(), status))

    def __enter__(self) -> "Load":
        self._workers = [
            threading.Thread(target=self._run, args=(number,), daemon=True)
            for number in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopping.set()
        for worker in self._workers:
            worker.join(timeout=30)

    def failures(self, started_after: float = 0.0) -> list[Outcome]:
        return [o for o in self.outcomes if not o.succeeded and o.started >= started_after]
