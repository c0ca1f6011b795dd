"""The background worker's entry, `celery --app deploy.worker worker`: the layout LAYOUT names.

As in Flask's "Background Tasks with Celery": this module builds the Flask app
and Celery finds `celery_app`, that app's Celery app (shared_web.background),
so every task runs inside the app's context, with its settings and its
layout's email templates. Settings come from the environment, as the web app's
do; supervisor gives it the web app's own env file (deploy/supervisor/inkpot.conf).
"""

import logging.config
import os
import shutil
import tempfile

from deploy.env_file import require_app_env

# A server names its settings: without APP_ENV, stop before anything is made.
require_app_env()
# Before prometheus_client is imported (with the app): the worker's pool processes
# each write their numbers to files in this folder, new for every start, and the
# main process serves the sum (serve_metrics, below).
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="inkpot-worker-metrics-")

# After the check and the folder, on purpose (E402).
from celery.signals import (  # noqa: E402
    setup_logging,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)
from prometheus_client import CollectorRegistry, multiprocess, start_http_server  # noqa: E402

from deploy import layout_module  # noqa: E402
from shared_models import db  # noqa: E402
from shared_web.background import RELAY_OUTBOX, REMOVE_STALE_ACCOUNTS  # noqa: E402
from shared_web.logs import logging_config, mark_configured  # noqa: E402

# Where the worker's metrics are served, for Prometheus (loopback, unless told otherwise).
METRICS_ADDRESS = os.environ.get("WORKER_METRICS_ADDRESS", "127.0.0.1:9808")


@setup_logging.connect
def log_as_the_app_does(**_):
    """The worker's lines in the app's format (LOG_FORMAT), not Celery's own."""
    logging.config.dictConfig(logging_config(os.environ.get("LOG_FORMAT", "json")))
    mark_configured()


flask_app = layout_module(os.environ.get("LAYOUT", "functional").strip().lower()).create_app()
celery_app = flask_app.extensions["celery"]


@worker_process_init.connect
def open_own_database_connections(**_):
    """A pool process is forked: it must not reuse connections the parent may have opened."""
    with flask_app.app_context():
        db.engine.dispose(close=False)


@worker_ready.connect
def relay_what_waited(**_):
    """Emails that waited while no worker could take them (the broker or the worker was down)."""
    celery_app.send_task(RELAY_OUTBOX)


@worker_ready.connect
def remove_what_went_stale(**_):
    """Unconfirmed accounts past their link: beat's first run is an interval after each start."""
    celery_app.send_task(REMOVE_STALE_ACCOUNTS)


@worker_ready.connect
def serve_metrics(**_):
    """The sum of every pool process's numbers, at http://WORKER_METRICS_ADDRESS/metrics."""
    host, _, port = METRICS_ADDRESS.rpartition(":")
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(int(port), addr=host or "127.0.0.1", registry=registry)


@worker_process_shutdown.connect
def forget_the_pool_process(pid=None, **_):
    """A pool process that exits stops counting in the live gauges."""
    multiprocess.mark_process_dead(pid or os.getpid())


@worker_shutdown.connect
def remove_the_metrics_folder(**_):
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
