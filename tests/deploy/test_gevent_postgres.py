"""gevent and psycopg 3 cooperate: N requests each waiting on PostgreSQL take about as long as one.

Each test runs gunicorn with the shipped deploy/gunicorn.conf.py and one gevent
worker, serving the real app plus a route that holds a pooled connection through
`SELECT pg_sleep(0.2)`. The last test sets the known trap on purpose (psycopg
imported before gevent patches) to show the measurement tells the two apart.
"""

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from deploy import render
from tests.deploy.stacks import (
    PORT_ATTEMPTS,
    PORT_CLASH,
    STACK_LAYOUTS,
    Visitor,
    require_layout,
    wait_until,
)
from tests.postgres import free_port

pytestmark = pytest.mark.slow

CONCURRENT = 20
SLEEP = 0.2


def start_gunicorn(tmp_path: Path, layout: str, database_url: str, *extra: str, **more: str):
    """One gevent worker of the shipped config, on a free port, its pool sized for CONCURRENT."""
    port = free_port()
    env_file = tmp_path / "inkpot.env"
    settings = {
        "APP_ENV": "production",
        "LAYOUT": layout,
        "SECRET_KEY": "s" * 64,
        "DATABASE_URL": database_url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "DATABASE_POOL_SIZE": str(CONCURRENT),
        "DATABASE_MAX_OVERFLOW": "0",
        **more,
    }
    env_file.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [render.environment_program("gunicorn"), "--config", "deploy/gunicorn.conf.py", *extra],
        cwd=render.REPOSITORY,
        env={**os.environ, "INKPOT_ENV_FILE": str(env_file)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return server, Visitor(f"http://127.0.0.1:{port}"), log


def port_clash(tmp_path: Path) -> bool:
    return PORT_CLASH.search((tmp_path / "gunicorn.log").read_text(errors="replace")) is not None


def stop_gunicorn(server: subprocess.Popen, log) -> None:
    with_group = os.getpgid(server.pid) if server.poll() is None else None
    if with_group:
        os.killpg(with_group, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(with_group, signal.SIGKILL)
            server.wait(timeout=10)
    log.close()


def concurrent_sleeps(visitor: Visitor) -> tuple[float, list]:
    """Wall time for CONCURRENT simultaneous pg_sleep requests, and their answers."""
    start = threading.Barrier(CONCURRENT + 1)
    answers = []

    def ask():
        start.wait(timeout=30)
        answers.append(visitor.get(f"/_probe/pg-sleep?seconds={SLEEP}"))

    threads = [threading.Thread(target=ask) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    start.wait(timeout=30)
    began = time.monotonic()
    for thread in threads:
        thread.join(timeout=60)
    return time.monotonic() - began, answers


def measure(tmp_path, layout, database_url, app_uri, *extra, warm_up=True, **settings) -> tuple:
    """(seconds for the concurrent batch, wait functions used, pool sizes seen)."""
    for _attempt in range(PORT_ATTEMPTS):
        server, visitor, log = start_gunicorn(
            tmp_path, layout, database_url, app_uri, *extra, **settings
        )
        started = wait_until(
            lambda visitor=visitor: "clash" if port_clash(tmp_path) else visitor.get("/healthz"),
            30,
            "gunicorn to serve",
        )
        if started != "clash":
            break
        stop_gunicorn(server, log)  # its port was taken meanwhile: again, on another
    else:
        pytest.fail("every port picked for gunicorn was taken before it could bind")
    try:
        assert started.status == 200
        if warm_up:  # so that the measured batch finds the pool's connections open
            concurrent_sleeps(visitor)
        elapsed, answers = concurrent_sleeps(visitor)
    finally:
        stop_gunicorn(server, log)
    assert [answer.status for answer in answers] == [200] * CONCURRENT
    payloads = [json.loads(answer.body) for answer in answers]
    how = " ".join([app_uri, *extra, *(f"{k}={v}" for k, v in settings.items())])
    print(f"\n{CONCURRENT} × pg_sleep({SLEEP}) at once, {how}: {elapsed:.2f} s")
    return (
        elapsed,
        {payload["wait_function"] for payload in payloads},
        {payload["pool_size"] for payload in payloads},
    )


@pytest.fixture(params=STACK_LAYOUTS)
def stack_layout(request):
    require_layout(request.param)
    return request.param


def test_concurrent_database_waits_overlap_under_the_shipped_config(
    tmp_path, stack_layout, postgresql_database_url
):
    elapsed, wait_functions, pool_sizes = measure(
        tmp_path, stack_layout, postgresql_database_url, "tests.deploy.probe_app:app"
    )
    assert "wait_c" not in wait_functions  # psycopg chose a wait that yields to gevent
    assert pool_sizes == {CONCURRENT}  # DATABASE_POOL_SIZE reached the engine
    # One at a time would take CONCURRENT * SLEEP = 4 s.
    assert elapsed < SLEEP * CONCURRENT / 4, f"{elapsed:.2f} s: the waits did not overlap"


def test_preloading_is_safe_because_the_wsgi_module_patches_first(
    tmp_path, postgresql_database_url
):
    """--preload imports deploy.wsgi in the master, before gunicorn's worker patches."""
    elapsed, wait_functions, _ = measure(
        tmp_path, "functional", postgresql_database_url, "tests.deploy.probe_app:app", "--preload"
    )
    assert "wait_c" not in wait_functions
    assert elapsed < SLEEP * CONCURRENT / 4, f"{elapsed:.2f} s: the waits did not overlap"


def test_psycopg_imported_before_patching_serialises_the_waits(tmp_path, postgresql_database_url):
    """The trap the two tests above guard against, measured: the check can fail."""
    elapsed, wait_functions, _ = measure(
        tmp_path,
        "functional",
        postgresql_database_url,
        "tests.deploy.probe_app_imported_too_early:app",
        "--preload",
        warm_up=False,  # opening connections one at a time only makes it slower still
    )
    assert wait_functions == {"wait_c"}
    assert elapsed > SLEEP * CONCURRENT * 0.8, f"{elapsed:.2f} s: expected the waits in a row"


def test_psycopg_wait_func_wait_poll_defuses_the_trap(tmp_path, postgresql_database_url):
    """The second safeguard deploy/README.md names: the same trap, with the env file's help."""
    elapsed, wait_functions, _ = measure(
        tmp_path,
        "functional",
        postgresql_database_url,
        "tests.deploy.probe_app_imported_too_early:app",
        "--preload",
        PSYCOPG_WAIT_FUNC="wait_poll",
    )
    assert wait_functions == {"wait_poll"}
    assert elapsed < SLEEP * CONCURRENT / 4, f"{elapsed:.2f} s: the waits did not overlap"
