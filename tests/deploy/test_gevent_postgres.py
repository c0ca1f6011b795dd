"""gevent and psycopg 3 cooperate: N requests each waiting on PostgreSQL take about as long as one.

Each test runs the production stack with one gevent worker of the shipped
deploy/gunicorn.conf.py, serving the real app plus a route that holds a pooled
connection through `SELECT pg_sleep(0.2)`, and asks gunicorn directly. The last
tests set the known trap on purpose (psycopg imported before gevent patches) to
show that the measurement tells the two apart.
"""

import json
import threading
import time

import pytest

from tests.deploy.stacks import Visitor, start_stack

pytestmark = pytest.mark.slow

CONCURRENT = 20
SLEEP = 0.2


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


def measure(tmp_path, layout, database_url, app, *options, warm_up=True, **settings) -> tuple:
    """(seconds for the concurrent batch, wait functions used, pool sizes seen)."""
    stack = start_stack(
        layout,
        tmp_path,
        migrate=False,  # a copy of the migrated template
        workers=1,
        wsgi_app=app,
        gunicorn_args=options,
        # Sized for CONCURRENT: the pool would otherwise be what makes requests wait.
        settings={
            "DATABASE_URL": database_url,
            "DATABASE_POOL_SIZE": str(CONCURRENT),
            "DATABASE_MAX_OVERFLOW": "0",
            **settings,
        },
    )
    try:
        # Straight to gunicorn: nginx's part is not what is measured.
        visitor = Visitor(f"http://127.0.0.1:{stack.config.app_ports[0]}")
        if warm_up:  # so that the measured batch finds the pool's connections open
            concurrent_sleeps(visitor)
        elapsed, answers = concurrent_sleeps(visitor)
    finally:
        stack.stop(graceful=False)
    assert [answer.status for answer in answers] == [200] * CONCURRENT
    payloads = [json.loads(answer.body) for answer in answers]
    how = " ".join([app, *options, *(f"{k}={v}" for k, v in settings.items())])
    print(f"\n{CONCURRENT} × pg_sleep({SLEEP}) at once, {how}: {elapsed:.2f} s")
    return (
        elapsed,
        {payload["wait_function"] for payload in payloads},
        {payload["pool_size"] for payload in payloads},
    )


def test_concurrent_database_waits_overlap_under_the_shipped_config(
    tmp_path, layout, postgresql_database_url
):
    elapsed, wait_functions, pool_sizes = measure(
        tmp_path, layout, postgresql_database_url, "tests.deploy.probe_app:app"
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
