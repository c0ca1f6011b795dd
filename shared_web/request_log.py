"""The line each request ends with: status, duration, and the SQL it ran (count and time)."""

import logging
import time

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from shared_web.logs import REQUEST_LOGGER, logged_path

log = logging.getLogger(REQUEST_LOGGER)


def start_request() -> None:
    g.request_started = time.perf_counter()
    g.sql_count, g.sql_seconds = 0, 0.0


def log_request(response):
    """One line per request (the path with secrets redacted, see shared_web.logs)."""
    started = g.get("request_started")
    if started is None:
        return response
    duration_ms = round((time.perf_counter() - started) * 1000, 2)
    sql_ms = round(g.sql_seconds * 1000, 2)
    log.info(
        "%s %s %s in %.1f ms (%d SQL, %.1f ms)",
        request.method,
        logged_path(),
        response.status_code,
        duration_ms,
        g.sql_count,
        sql_ms,
        extra={
            "status": response.status_code,
            "duration_ms": duration_ms,
            "sql_count": g.sql_count,
            "sql_ms": sql_ms,
        },
    )
    return response


@event.listens_for(Engine, "before_cursor_execute")
def _sql_started(conn, cursor, statement, parameters, context, executemany):
    conn.info.setdefault("inkpot_sql_started", []).append(time.perf_counter())


@event.listens_for(Engine, "after_cursor_execute")
def _sql_finished(conn, cursor, statement, parameters, context, executemany):
    started = conn.info["inkpot_sql_started"].pop()
    if has_request_context() and "sql_count" in g:
        g.sql_count += 1
        g.sql_seconds += time.perf_counter() - started


def init_app(app: Flask) -> None:
    """Log every request as its response leaves (shared_web.init_app starts the clock)."""
    app.after_request(log_request)
