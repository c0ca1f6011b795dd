"""Prometheus metrics, right across gunicorn's worker processes: /metrics.

gunicorn runs several workers, and replaces them now and then; each keeps its
numbers in files under PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py makes a fresh
one at start and marks dead workers), and a scrape adds them all up. Without
that variable (flask run, tests) the numbers live in the process.
"""

import ipaddress
import os
import time

from celery.signals import task_postrun, task_prerun
from flask import Flask, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from shared_models import audit, db

PREFIX = "inkpot"

REQUESTS = Counter(
    f"{PREFIX}_http_requests", "Requests answered.", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time from the request's first hook to its response.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IN_PROGRESS = Gauge(
    f"{PREFIX}_http_requests_in_progress",
    "Requests being answered right now.",
    multiprocess_mode="livesum",
)
THROTTLED = Counter(f"{PREFIX}_throttled_requests", "Requests refused with 429.", ["endpoint"])
SIGN_IN_FAILURES = Counter(f"{PREFIX}_sign_in_failures", "Failed sign-ins.")
POOL_CHECKED_OUT = Gauge(
    f"{PREFIX}_db_pool_checked_out",
    "Database connections in use, as the last request of each worker left them.",
    multiprocess_mode="livesum",
)
POOL_OVERFLOW = Gauge(
    f"{PREFIX}_db_pool_overflow",
    "Connections opened beyond the pool's size.",
    multiprocess_mode="livesum",
)

# The background worker's (deploy/worker.py serves them on WORKER_METRICS_ADDRESS).
EMAILS = Counter(
    f"{PREFIX}_emails", "Emails the worker handled: sent, failed, retried, skipped.", ["outcome"]
)
TASKS = Counter(f"{PREFIX}_tasks", "Background tasks run, by how they ended.", ["task", "state"])
TASK_DURATION = Histogram(
    f"{PREFIX}_task_duration_seconds",
    "Time a background task ran.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


@task_prerun.connect
def _task_started(task_id=None, task=None, **_) -> None:
    _task_starts[task_id] = time.perf_counter()


@task_postrun.connect
def _task_ended(task_id=None, task=None, state=None, **_) -> None:
    started = _task_starts.pop(task_id, None)
    if task is None:
        return
    TASKS.labels(task.name, (state or "unknown").lower()).inc()
    if started is not None:
        TASK_DURATION.labels(task.name).observe(time.perf_counter() - started)


# When each running task started, by its id (one worker process runs one task at a time).
_task_starts: dict[str, float] = {}


def _endpoint() -> str:
    return request.endpoint or "none"


def count_request_start() -> None:
    g.metrics_counted = True
    IN_PROGRESS.inc()


def count_request(response):
    endpoint = _endpoint()
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    if response.status_code == 429:
        THROTTLED.labels(endpoint).inc()
    started = g.get("request_started")
    if started is not None:
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    pool = db.engine.pool
    if hasattr(pool, "checkedout"):
        POOL_CHECKED_OUT.set(pool.checkedout())
        POOL_OVERFLOW.set(max(pool.overflow(), 0))
    return response


def count_request_end(error=None) -> None:
    if g.pop("metrics_counted", False):
        IN_PROGRESS.dec()


@audit.event_recorded.connect
def count_audit_event(sender, action: str, **extra) -> None:
    if action == audit.USER_LOGIN_FAILED:
        SIGN_IN_FAILURES.inc()


def allowed(address: str | None) -> bool:
    """Whether this client may read /metrics (METRICS_ALLOWED_IPS: addresses or networks)."""
    if not address:
        return False
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(client in network for network in current_app.config["METRICS_ALLOWED_NETWORKS"])


def metrics_view():
    """The numbers, in Prometheus' text format; only to METRICS_ALLOWED_IPS (others see 404)."""
    if not allowed(request.remote_addr):
        abort(404)
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), {"Content-Type": CONTENT_TYPE_LATEST}


def init_app(app: Flask) -> None:
    """Count every request and serve /metrics, app-wide."""
    app.before_request(count_request_start)
    app.after_request(count_request)
    app.teardown_request(count_request_end)
    app.add_url_rule("/metrics", "metrics", metrics_view)
