"""What the deploy tests add to deploy/stack.py: a browser stand-in, background load, skips.

Every stack is started by deploy.stack (what `make serve` and `make bench` run), on
free ports in a temporary directory, and stopped at the end, its processes killed
if need be: nginx, gunicorn, the Celery worker, Redis and the SMTP sink, whose
messages a Visitor reads to follow the links they carry. Without nginx or
redis-server (or PostgreSQL) these tests skip, except under CI=true, where they fail.
"""

import http.client
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from deploy.processes import free_port, system_program, wait_until
from deploy.stack import RunningStack, Stack, StackError, find_nginx, start_all
from tests.support.clients import PASSWORD, csrf_token_in
from tests.support.machine import unavailable
from tests.support.mail import Outbox

# Two workers, so that one can die while the other serves.
TEST_WORKERS = 2
# One process sends the stack's email: fewer processes on a small machine.
TEST_WORKER_ARGS = ("--concurrency", "1")
# How long the worker may take to deliver an email to the SMTP sink.
MAIL_TIMEOUT = 30
# Every test visitor comes from 127.0.0.1, so sign-in throttling is off.
TEST_SETTINGS = {"RATELIMIT_ENABLED": "false"}


def require_nginx() -> None:
    if find_nginx() is None:
        unavailable("nginx is not installed (apt-get install nginx)")


def require_redis() -> None:
    if system_program("redis-server") is None:
        unavailable("redis-server is not installed (apt-get install redis-server)")


def start_stack(
    layout: str,
    run_dir: Path,
    app_count: int = 1,
    migrate: bool = True,
    settings: dict[str, str] | None = None,
    workers: int = TEST_WORKERS,
    **fields,
) -> RunningStack:
    """The layout's stack on free ports, serving when this returns; `fields` as in Stack.

    migrate=False for a database that is migrated already.
    """
    require_nginx()
    require_redis()
    config = Stack(
        layout,
        run_dir,
        app_ports=[free_port() for _ in range(app_count)],
        settings={**TEST_SETTINGS, **(settings or {})},
        workers=workers,
        **{"worker_args": TEST_WORKER_ARGS, **fields},
    )
    try:
        (running,) = start_all([config], migrate_first=migrate)
    except StackError as error:
        pytest.fail(f"the {layout} stack did not start: {error}", pytrace=False)
    return running


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

    Secure cookies are sent back over plain HTTP, as browsers do for 127.0.0.1. Its
    mailbox, if given, is the folder where the stack's SMTP sink keeps messages.
    """

    def __init__(self, base_url: str, timeout: float = 15, mailbox: Path | None = None):
        self.host, port = base_url.removeprefix("http://").split(":")
        self.port = int(port)
        self.timeout = timeout
        self.mailbox = mailbox
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
        assert page.status == 200, f"{form_page or path} answered {page.status}, not a form"
        return self.post(path, {"csrf_token": csrf_token_in(page.text), **fields})

    def sign_up(self, username: str, confirm: bool = True) -> Response:
        """Sign up; with `confirm`, then open the link the worker emailed and enter the password.

        Returns the confirmation's answer (a redirect to the dashboard), or without
        `confirm` the sign-up form's (a redirect to the "check your email" page).
        """
        email = f"{username}@example.com"
        fields = {"username": username, "email": email, "password": PASSWORD}
        response = self.submit("/signup", fields)
        assert response.status == 302, f"sign-up of {username} answered {response.status}"
        if not confirm:
            return response
        assert self.mailbox is not None, "a Visitor that signs up needs the stack's mailbox"
        return self.confirm(self.wait_for_email(email).path("/confirm/"))

    def confirm(self, link: str, password: str = PASSWORD) -> Response:
        """Open a confirmation link (its page asks for the password), then submit the password."""
        confirmed = self.submit(link, {"password": password})
        assert confirmed.status == 302, f"the confirmation link answered {confirmed.status}"
        return confirmed

    def wait_for_email(self, address: str, count: int = 1):
        """The newest email to an address, once at least `count` have arrived in the mailbox."""
        outbox = Outbox(self.mailbox)
        wait_until(
            lambda: len(outbox.emails(to=address)) >= count,
            MAIL_TIMEOUT,
            f"email number {count} to {address} in {self.mailbox}",
        )
        return outbox.last(to=address)

    def write_post(self, title: str, body: str = "Written through nginx.") -> Response:
        fields = {"title": title, "body": body, "published": "y"}
        return self.submit("/dashboard/posts/new", fields)


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
