"""The local production stack: describe it, start it under supervisord, wait for it, stop it.

A Stack says what to run: a layout, a run directory, ports, the env file's values
and the gunicorn options to change. Besides gunicorn and nginx it runs what
production's email needs: the Celery worker, Redis as a server runs it (two
instances with a password: one for the broker and the throttling counts, one for
the page cache) and, where a server would talk to a mail provider, an SMTP
sink that keeps each message as a file in the run directory's mail/.
deploy/render.py writes its configs from the shipped ones; this module runs them.
`make serve` (deploy/serve.py) hands over to supervisord in the foreground; the
tests under tests/deploy/ and `make bench` start a RunningStack, which waits until every
part serves and, once stopped, leaves no process behind.
"""

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from deploy import render
from deploy.processes import (
    accept_connections,
    children_of,
    descendants_of,
    free_port,
    http_get,
    started_at,
    system_program,
    wait_until,
)

STARTUP_TIMEOUT = 60
STOP_TIMEOUT = 45
# supervisor's name for the background worker, as in deploy/supervisor/inkpot.conf.
WORKER_PROGRAM = "inkpot-worker"
# Free ports are picked, then bound by nginx, gunicorn, Redis and the SMTP sink: on a busy
# machine another process can take one in between. Then the stack is started again, on new ports.
PORT_ATTEMPTS = 3
PORT_TAKEN = re.compile(r"Address already in use|Connection in use")


class StackError(RuntimeError):
    """A stack did not start or serve; the message carries the end of its logs."""


class PortTaken(StackError):
    """Another process bound one of a stack's ports before the stack could."""


def find_nginx() -> str | None:
    return system_program("nginx")


def kept_secret(path: Path) -> str:
    """A random secret kept in `path`, readable by this user only, made on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created with its mode, so that it is never readable by others, not even briefly.
        with contextlib.suppress(FileExistsError):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32))
    return path.read_text().strip()


@dataclass
class Program:
    """A program the stack runs under supervisord besides the shipped ones: nginx, Redis, ...

    deploy/render.py writes it as [program:NAME], its output into logs/NAME-output.log.
    """

    name: str
    command: tuple[str, ...]
    # supervisord starts lower numbers first and stops them last; the gunicorns are at 999.
    priority: int
    # RUNNING once it has stayed up this long.
    startsecs: int = 1
    stopsignal: str = "TERM"
    stopwaitsecs: int = 10
    environment: dict[str, str] = field(default_factory=dict)
    directory: Path = render.REPOSITORY
    # Where it accepts TCP connections, if anywhere: the stack is not up until it does.
    port: int | None = None


@dataclass
class Stack:
    """One local production stack: nginx on `port` before a gunicorn per app port, in run_dir.

    The fields from `workers` on change gunicorn as deployed; None keeps deploy/'s value.
    """

    layout: str
    run_dir: Path
    port: int = field(default_factory=free_port)
    app_ports: list[int] = field(default_factory=lambda: [free_port()])
    # Extra env-file values for every gunicorn (DATABASE_URL, GUNICORN_WORKER_CONNECTIONS, ...).
    settings: dict[str, str] = field(default_factory=dict)
    # Per gunicorn, the env file's WEB_CONCURRENCY: gunicorn.conf.py sizes itself from it.
    workers: int | None = None
    worker_class: str | None = None  # "sync" instead of gevent
    max_requests: int | None = None  # 0: never replace a worker
    wsgi_app: str | None = None  # another app than deploy.wsgi:app
    gunicorn_args: tuple[str, ...] = ()  # any other option, e.g. ("--preload",)
    # Options added to the worker's celery command, e.g. ("--concurrency", "1").
    worker_args: tuple[str, ...] = ()
    # Redis, data in the run directory: the worker's broker and the throttling counts.
    redis_port: int = field(default_factory=free_port)
    # The page cache's own Redis, and its maxmemory ("8mb"; None keeps deploy/redis/'s).
    cache_redis_port: int = field(default_factory=free_port)
    cache_memory: str | None = None
    # The SMTP sink (deploy/smtp_sink.py) the worker sends to; messages land in mail_dir.
    smtp_port: int = field(default_factory=free_port)
    # Where the worker serves its Prometheus metrics (deploy/worker.py).
    worker_metrics_port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def redis_url(self) -> str:
        """Where the app counts throttled attempts."""
        return f"redis://:{self.redis_password()}@127.0.0.1:{self.redis_port}/0"

    @property
    def broker_url(self) -> str:
        """The worker's queue: the same Redis, another database."""
        return f"redis://:{self.redis_password()}@127.0.0.1:{self.redis_port}/1"

    @property
    def cache_url(self) -> str:
        """The page cache's copies: a Redis of their own, whose evictions touch nothing else."""
        return f"redis://:{self.redis_password()}@127.0.0.1:{self.cache_redis_port}/0"

    @property
    def mail_dir(self) -> Path:
        """Where the SMTP sink keeps every message, one .eml file each."""
        return self.run_dir / "mail"

    @property
    def supervisord_conf(self) -> Path:
        return self.run_dir / "supervisord.conf"

    @property
    def supervisor_socket(self) -> Path:
        return self.run_dir / "supervisor.sock"

    @property
    def nginx_conf(self) -> Path:
        return self.run_dir / "nginx" / "nginx.conf"

    @property
    def app_programs(self) -> list[str]:
        """supervisor's names for the gunicorns: `inkpot`, as on a server, or one per port."""
        if len(self.app_ports) == 1:
            return ["inkpot"]
        return [f"inkpot-{number}" for number in range(1, len(self.app_ports) + 1)]

    @property
    def redis_ports(self) -> dict[str, int]:
        """supervisor's names for the Redis instances, and their ports."""
        return {"redis": self.redis_port, "redis-cache": self.cache_redis_port}

    def local_programs(self) -> list[Program]:
        """The programs besides the shipped ones; a server's packages run nginx and Redis.

        (And a server sends through a real mail provider, not an SMTP sink.)
        """
        run = self.run_dir
        nginx = (find_nginx() or "nginx", "-p", f"{run / 'nginx'}/", "-c", str(self.nginx_conf))
        programs = [
            Program(
                "nginx",
                (*nginx, "-e", str(self.log("nginx-error.log")), "-g", "daemon off;"),
                # Started after the gunicorns and stopped before them.
                priority=1000,
                # QUIT: finish the requests in flight, then exit.
                stopsignal="QUIT",
                port=self.port,
            )
        ]
        redis = system_program("redis-server") or "redis-server"
        programs += [
            Program(
                name,
                # Its config (rendered from deploy/redis/) holds the password, which a
                # command line would show to every user's `ps`.
                (redis, str(self.redis_conf(name))),
                # Up before the gunicorns and the worker, which use them.
                priority=100,
                directory=run / name,
                port=port,
            )
            for name, port in self.redis_ports.items()
        ]
        sink = (sys.executable, "-m", "deploy.smtp_sink", "--port", str(self.smtp_port))
        programs.append(
            Program(
                "smtp-sink",
                (*sink, "--directory", str(self.mail_dir)),
                priority=100,
                port=self.smtp_port,
            )
        )
        return programs

    def log(self, name: str) -> Path:
        return self.run_dir / "logs" / name

    def redis_conf(self, program: str) -> Path:
        """The config of the Redis program `redis` or `redis-cache`, in its own folder."""
        return self.run_dir / program / "redis.conf"

    def env_file(self, program: str = "inkpot") -> Path:
        return self.run_dir / f"{program}.env"

    def secret_key(self) -> str:
        """A key kept in the run directory, so sessions survive restarting the stack."""
        return kept_secret(self.run_dir / "secret_key")

    def redis_password(self) -> str:
        """Both Redis instances' password, made once and kept in the run directory."""
        return kept_secret(self.run_dir / "redis_password")

    def env_values(self, app_port: int) -> dict[str, str]:
        """What /etc/inkpot/inkpot.env holds on a server, for the gunicorn on app_port."""
        values = {
            "APP_ENV": "production",
            "LAYOUT": self.layout,
            "SECRET_KEY": self.secret_key(),
            "DATABASE_URL": f"sqlite:///{self.run_dir / 'inkpot.sqlite3'}",
            "PUBLIC_URL": self.url,
            # The names the local nginx's server_name answers to.
            "TRUSTED_HOSTS": "127.0.0.1,localhost",
            "RATELIMIT_STORAGE_URI": self.redis_url,
            "CELERY_BROKER_URL": self.broker_url,
            "CACHE_REDIS_URL": self.cache_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.smtp_port),
            "WORKER_METRICS_ADDRESS": f"127.0.0.1:{self.worker_metrics_port}",
        }
        values.update(self.settings)
        if self.workers is not None:
            values["WEB_CONCURRENCY"] = str(self.workers)
        return {**values, "GUNICORN_BIND": f"127.0.0.1:{app_port}"}

    @property
    def worker_count(self) -> int:
        """How many workers each gunicorn starts: gunicorn.conf.py's rule."""
        if self.workers is not None:
            return self.workers
        values = {**os.environ, **self.settings}
        return int(values.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))

    def with_free_ports(self) -> "Stack":
        """The same stack on ports that nothing listens on now."""
        return replace(
            self,
            port=free_port(),
            app_ports=[free_port() for _ in self.app_ports],
            redis_port=free_port(),
            cache_redis_port=free_port(),
            smtp_port=free_port(),
            worker_metrics_port=free_port(),
        )


def migrate(config: Stack, capture_output: bool = False) -> None:
    """`flask db upgrade` on the stack's database with its env file's values, as on a server."""
    config.run_dir.mkdir(parents=True, exist_ok=True)
    upgraded = subprocess.run(
        [sys.executable, "-m", "flask", "--app", f"{config.layout}_layout", "db", "upgrade"],
        cwd=render.REPOSITORY,
        env={**os.environ, **config.env_values(config.app_ports[0])},
        capture_output=capture_output,
        text=True,
        timeout=120,
        check=False,
    )
    if upgraded.returncode != 0:
        raise StackError(f"`flask db upgrade` failed:\n{(upgraded.stderr or '')[-3000:]}")


class RunningStack:
    """A stack's supervisord and everything under it; stop() leaves no process of it behind."""

    def __init__(self, config: Stack):
        self.config = config
        self.supervisord: subprocess.Popen | None = None
        # Every process of the stack seen so far, with its start time: stop() kills those
        # still running (a master's orphaned workers too), never a newer one given their pid.
        self._seen: dict[int, int] = {}

    @property
    def url(self) -> str:
        return self.config.url

    def launch(self) -> None:
        """Render the configs and start supervisord; wait_until_serving() tells when all is up."""
        # Fresh logs: a port clash is read from them.
        shutil.rmtree(self.config.run_dir / "logs", ignore_errors=True)
        render.render(self.config)
        supervisord = render.environment_program("supervisord")
        self.supervisord = subprocess.Popen(
            [supervisord, "--nodaemon", "--configuration", str(self.config.supervisord_conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def supervisorctl(self, *arguments: str) -> subprocess.CompletedProcess:
        supervisorctl = render.environment_program("supervisorctl")
        command = [supervisorctl, "-c", str(self.config.supervisord_conf), *arguments]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    def states(self) -> dict[str, str]:
        """supervisor's view: program name → RUNNING, STARTING, BACKOFF, ..."""
        lines = self.supervisorctl("status").stdout.splitlines()
        return {words[0]: words[1] for words in map(str.split, lines) if len(words) > 1}

    def master_pid(self, program: str = "inkpot") -> int:
        """The gunicorn master's pid, as supervisor knows it; 0 while it is not running."""
        answer = self.supervisorctl("pid", program).stdout.strip()
        return int(answer) if answer.isdigit() else 0

    def worker_pids(self, program: str = "inkpot") -> set[int]:
        master = self.master_pid(program)
        workers = children_of(master) if master else set()
        self._remember({master, *workers} - {0})
        return workers

    def answers_health_check(self) -> bool:
        return http_get(self.config.port, "/healthz", timeout=5)[0] == 200

    def programs_up(self) -> bool:
        """Every program besides the gunicorns answers on its port, or without one, is RUNNING.

        The worker answers once it is ready to take tasks: it serves its metrics then.
        """
        local = self.config.local_programs()
        ports = [program.port for program in local if program.port is not None]
        ports.append(self.config.worker_metrics_port)
        silent = [program.name for program in local if program.port is None]
        states = self.states()
        return accept_connections(ports) and all(states.get(name) == "RUNNING" for name in silent)

    def celery_pids(self) -> set[int]:
        """The background worker's processes: Celery's main process and its children."""
        main = self.master_pid(WORKER_PROGRAM)
        pids = {main, *descendants_of(main)} - {0} if main else set()
        self._remember(pids)
        return pids

    def workers_up(self) -> bool:
        expected = self.config.worker_count
        return all(len(self.worker_pids(name)) == expected for name in self.config.app_programs)

    def wait_until_serving(
        self, timeout: float = STARTUP_TIMEOUT, just_launched: bool = False
    ) -> None:
        """Wait until the site answers /healthz through nginx, and every worker and program is up.

        Up as a visitor sees it, not supervisor's RUNNING, which comes only startsecs (3 s
        for gunicorn) after a start. StackError, with the end of the logs, if not within
        timeout; just after launch(), PortTaken if another process took one of the ports.
        """
        deadline = time.monotonic() + timeout
        steps = [
            # The apps first, as on a server: a request nginx passed to a gunicorn not yet
            # listening would count as a failure against it (max_fails).
            (lambda: accept_connections(self.config.app_ports), "every gunicorn to listen"),
            (self.answers_health_check, "nginx to answer /healthz"),
            (self.programs_up, "every other program"),
            (self.workers_up, f"{self.config.worker_count} workers per gunicorn"),
        ]
        try:
            for condition, what in steps:
                remaining = max(deadline - time.monotonic(), 0)
                wait_until(lambda c=condition: self._check(just_launched) and c(), remaining, what)
        except TimeoutError as error:
            states = ", ".join(f"{name} {state}" for name, state in self.states().items())
            raise StackError(f"{error} (supervisor: {states})\n{self.log_tail()}") from None
        self._remember(descendants_of(self.supervisord.pid))

    def _check(self, just_launched: bool) -> bool:
        """Raise if the stack cannot come up any more; True otherwise."""
        if self.supervisord.poll() is not None:
            raise StackError(f"supervisord exited\n{self.log_tail()}")
        # Later, a restarted master may wait for its predecessor's workers to free the port.
        if just_launched and PORT_TAKEN.search(self.log_tail()):
            raise PortTaken(f"a port of {self.config.run_dir} was taken\n{self.log_tail()}")
        return True

    def read_log(self, name: str) -> str:
        path = self.config.log(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def log_tail(self, characters: int = 3000) -> str:
        """The end of every log of the stack, for an error message."""
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-characters:]}"
            for path in sorted((self.config.run_dir / "logs").glob("*.log"))
        )

    def _remember(self, pids: Iterable[int]) -> None:
        for pid in pids:
            if (start := started_at(pid)) is not None:
                self._seen[pid] = start

    def request_stop(self, graceful: bool = True) -> None:
        """Ask supervisord to stop everything (graceful=False: kill it); finish_stop() waits."""
        if self.supervisord is None:
            return
        self._remember(descendants_of(self.supervisord.pid))
        if self.supervisord.poll() is None:
            self.supervisord.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)

    def finish_stop(self) -> None:
        """Wait for supervisord, then kill what is left of the stack, and only that."""
        if self.supervisord is None:
            return
        try:
            self.supervisord.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.supervisord.kill()
            self.supervisord.wait(timeout=10)
        # The same processes, not newer ones that were given their pids.
        left = {pid: start for pid, start in self._seen.items() if started_at(pid) == start}
        for pid in left:
            # With its process group, as supervisor's killasgroup: a master and its workers
            # at once, so that it cannot start new ones as it sees the others die.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
        # A kill takes effect a moment later; until then a process still holds its port.
        wait_until(
            lambda: all(started_at(pid) != start for pid, start in left.items()),
            10,
            "the stack's processes to exit",
        )

    def stop(self, graceful: bool = True) -> None:
        self.request_stop(graceful)
        self.finish_stop()


def start_all(
    configs: Iterable[Stack], migrate_first: bool = True, timeout: float = STARTUP_TIMEOUT
) -> list[RunningStack]:
    """Start stacks side by side; return them once every one serves, or stop them all and raise.

    migrate_first=False when the database is migrated already.
    """
    stacks = [RunningStack(config) for config in configs]
    try:
        for stack in stacks:
            if migrate_first:
                migrate(stack.config, capture_output=True)
            stack.launch()
        for stack in stacks:
            for attempt in range(1, PORT_ATTEMPTS + 1):
                try:
                    stack.wait_until_serving(timeout, just_launched=True)
                    break
                except PortTaken:
                    if attempt == PORT_ATTEMPTS:
                        raise
                    stack.stop(graceful=False)
                    stack.config = stack.config.with_free_ports()
                    stack.launch()
    except BaseException:
        stop_all(stacks, graceful=False)
        raise
    return stacks


def stop_all(stacks: Iterable[RunningStack], graceful: bool = True) -> None:
    """Stop every stack, all at once rather than one after another."""
    stacks = list(stacks)
    for stack in stacks:
        stack.request_stop(graceful)
    for stack in stacks:
        stack.finish_stop()
