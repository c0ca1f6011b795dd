"""The benchmark's WSGI entry: deploy/wsgi.py's app, with a remote database simulated on request.

BENCH_DB_LATENCY_MS=20 makes every SQL statement wait 20 ms before it runs, as
if the database were across a network: a SQLAlchemy `before_cursor_execute`
event calls time.sleep, which gevent has patched (deploy/wsgi.py patches first),
so under gevent workers the wait is cooperative, as a real network round trip
would be; under sync workers it blocks the worker, as a real one would too.
Only `make bench` loads this module; the product's entry stays deploy/wsgi.py.
"""

import os
import time

from sqlalchemy import event

from deploy.wsgi import app
from shared_models import db

__all__ = ["app"]


def simulate_remote_database(flask_app, latency_seconds: float) -> None:
    """Wait latency_seconds before every statement the app's engine runs."""
    with flask_app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def network_round_trip(connection, cursor, statement, parameters, context, executemany):
        time.sleep(latency_seconds)


LATENCY_MS = float(os.environ.get("BENCH_DB_LATENCY_MS", "0"))
if LATENCY_MS > 0:
    simulate_remote_database(app, LATENCY_MS / 1000)
