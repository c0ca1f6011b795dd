"""Logging for every Inkpot process: one line per record, JSON in production, text in development.

Only the standard library and python-json-logger are imported at the top, so
gunicorn's master can load this file (see deploy/gunicorn.conf.py) without
importing the app, and gunicorn's, Celery's and the app's records share one
format. Inside a request, RequestContextFilter adds what a record needs to be
traced: the request id, method, path, endpoint, user and client address; in a
background task, the id of the request that queued it.
"""

import contextvars
import logging
import logging.config
import re

LOG_FORMATS = ("text", "json")
# The line each request ends with: status, duration and the SQL it ran.
REQUEST_LOGGER = "inkpot.request"
# View arguments that are secrets (the token of a confirmation or reset link): a
# logged path shows "[redacted]" in their place.
SECRET_VIEW_ARGS = frozenset({"token"})
REDACTED = "[redacted]"
# The password in a URL (redis://:PASSWORD@host/0, postgresql://user:PASSWORD@host/db),
# which a library's error message or a setting may carry into a record.
URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/?#@\s]*:)[^/?#@\s]+@", re.IGNORECASE)
# The id of the request that queued the background task running now (shared_web.tasks),
# so the worker's lines about it carry the same id as the request's.
TASK_REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "task_request_id", default=None
)

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"
# Each JSON line starts with the time (ISO 8601, UTC) and these; whatever a filter or
# `extra=` adds follows.
JSON_FORMAT = "%(levelname)s %(name)s %(message)s"
JSON_RENAMES = {"levelname": "level", "name": "logger"}


def logging_config(log_format: str, level: str = "INFO") -> dict:
    """The dictConfig for LOG_FORMAT=text|json: every record to stderr, one line each."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT={log_format!r}: choose one of {', '.join(LOG_FORMATS)}.")
    formatters = {
        "text": {"format": TEXT_FORMAT},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FORMAT,
            "rename_fields": JSON_RENAMES,
            "timestamp": "time",
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": formatters[log_format]},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "line",
                "filters": ["request", "passwords"],
            }
        },
        "filters": {
            # Text lines always show a request id, "-" outside a request; JSON lines leave it out.
            "request": {
                "()": RequestContextFilter,
                "placeholder": "-" if log_format == "text" else None,
            },
            "passwords": {"()": URLPasswordFilter},
        },
        "root": {"level": level, "handlers": ["stderr"]},
        # gunicorn's error log writes through the root's handler, in the same format;
        # its access log keeps its own line on stdout (deploy/gunicorn.conf.py).
        "loggers": {"gunicorn.error": {"level": level, "handlers": [], "propagate": True}},
    }


class RequestContextFilter(logging.Filter):
    """Adds the current request's id, method, path, endpoint, user and client to a record."""

    def __init__(self, placeholder: str | None = None):
        super().__init__()
        self.placeholder = placeholder

    def filter(self, record: logging.LogRecord) -> bool:
        # Flask is imported here, not at the top: gunicorn's master loads this module.
        from flask import g, has_request_context, request

        if not has_request_context():
            if TASK_REQUEST_ID.get() is not None:
                record.request_id = TASK_REQUEST_ID.get()
            elif self.placeholder is not None and not hasattr(record, "request_id"):
                record.request_id = self.placeholder
            return True
        from shared_web.request_ids import request_id

        record.request_id = request_id()
        record.method = request.method
        record.path = logged_path()
        record.endpoint = request.endpoint
        record.client = request.remote_addr
        # Only a user some code already loaded: logging must never run a query.
        user = g.get("_login_user")
        if user is not None and user.is_authenticated:
            record.user_id = user.id
        return True


def redact_url_passwords(text: str) -> str:
    """The text with the password of every URL in it written as [redacted]."""
    return URL_PASSWORD.sub(rf"\1{REDACTED}@", text)


class URLPasswordFilter(logging.Filter):
    """Writes the password of any URL in a record's message or traceback as [redacted]."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it as logging does
            return True
        redacted = redact_url_passwords(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info:
            # Formatted here, so that the formatters print this text instead.
            traceback = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, redact_url_passwords(traceback)
        return True


def logged_path() -> str:
    """The request's path as it may be logged: secret parts of the URL (a link's token) redacted."""
    from flask import request

    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_VIEW_ARGS and value:
            path = path.replace(str(value), REDACTED)
    return path


def configure_logging(log_format: str) -> None:
    """Configure this process's logging once, unless its server (gunicorn) did already."""
    root = logging.getLogger()
    if not getattr(root, "inkpot_logging", False):
        logging.config.dictConfig(logging_config(log_format))
        mark_configured()


def mark_configured() -> None:
    """Note that this process logs as logging_config() says (gunicorn.conf.py calls it)."""
    logging.getLogger().inkpot_logging = True
