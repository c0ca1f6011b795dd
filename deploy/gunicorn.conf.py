"""gunicorn's settings for Inkpot: gevent workers behind nginx, sized from the environment.

Values come from the process environment and from the env file INKPOT_ENV_FILE
(default /etc/inkpot/inkpot.env). The file's values win, and gunicorn re-reads
this file on SIGHUP, so an edited env file applies with a graceful reload
(`supervisorctl signal HUP inkpot`) instead of a restart.

Import nothing of the app here: this file runs in the master process, and a
database driver imported before gevent patches would block (see deploy/wsgi.py).
"""

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

# Nothing of the app: deploy.env_file only reads a text file.
from deploy.env_file import DEFAULT_ENV_FILE, read_env_file

REPOSITORY = Path(__file__).resolve().parent.parent
ENV_FILE = Path(os.environ.get("INKPOT_ENV_FILE", DEFAULT_ENV_FILE))


def whole_number(name: str, default: int) -> int:
    value = SETTINGS.get(name, str(default))
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r}: expected a whole number of at least 1")
    return int(value)


# A missing file is an error only when it was asked for by name.
FILE_VALUES = (
    read_env_file(ENV_FILE) if ENV_FILE.exists() or "INKPOT_ENV_FILE" in os.environ else {}
)
SETTINGS = {**os.environ, **FILE_VALUES}

# gunicorn puts these into the master's and every worker's environment, and takes
# them out again before a reload re-reads the file.
raw_env = [f"{key}={value}" for key, value in FILE_VALUES.items()]
# ... but only once a master runs: `gunicorn --check-config` loads the app without
# one, and would check it without the file's settings. The same keys, so a reload
# still takes them out first.
os.environ.update(FILE_VALUES)

chdir = str(REPOSITORY)
wsgi_app = "deploy.wsgi:app"
# Each worker imports the app after gevent has patched it, and builds it once.
preload_app = False

# Loopback when nginx runs on this machine; a private address when nginx runs on
# another one (then also put nginx's address in FORWARDED_ALLOW_IPS).
bind = [address.strip() for address in SETTINGS.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")]

worker_class = "gevent"
# gevent overlaps waiting (database, slow clients) within a worker, but not CPU:
# rendering templates still needs processes to cover the cores, and spare ones
# keep the slowest responses short while one worker is busy rendering.
workers = whole_number("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1)
# Requests one worker holds at once, idle keep-alive connections from nginx
# included. At most DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW of them use the
# database at the same moment; the rest wait for a connection (README: sizing).
worker_connections = whole_number("GUNICORN_WORKER_CONNECTIONS", 100)

# A worker whose event loop has not come round for this long (stuck in CPU, or
# in a call gevent could not make cooperative) is killed and replaced.
timeout = 30
# On SIGHUP or SIGTERM a worker stops accepting and finishes what it holds;
# supervisor's stopwaitsecs is longer, so it never cuts this short.
graceful_timeout = 30
# One request per connection. A connection kept open stays with the worker that
# accepted it, and under gevent its next request waits behind everything else
# that worker holds, while another worker may be idle: that was the p99 of 10-20x
# the median (bench/README.md, "The tail"). A new connection waits in the
# listening socket's queue instead, which the first free worker takes from.
# nginx is on the same machine or network, so a connection per request is cheap.
keepalive = 0
# Replace each worker now and then so a slow leak cannot grow; the jitter keeps
# the workers from all restarting at the same moment. Memory is flat (make bench
# checks it), so rarely: 2,000 replaced each worker every few seconds under load.
# A new worker builds and warms the app before it accepts (deploy/wsgi.py).
max_requests = 50_000
max_requests_jitter = 5_000

# Whose X-Forwarded-Proto gunicorn believes: nginx's only. (The app reads the
# X-Forwarded-* headers through ProxyFix, which production config turns on.)
forwarded_allow_ips = SETTINGS.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Both to supervisor, which writes them to files and rotates them: the access log
# to stdout; gunicorn's own messages and the app's to stderr, one line each, in
# the app's format (LOG_FORMAT: json in production), shared_web/logs.py.
accesslog = "-"
errorlog = "-"
loglevel = SETTINGS.get("GUNICORN_LOG_LEVEL", "info")
# The visitor (nginx's X-Forwarded-For), the request, status, size, duration, and
# the request id the app answered with (nginx's, which is also in nginx's log line).
# Everything a visitor wrote is quoted and has its own quotes escaped (the logger
# below), so `request_id="…"` is always this field: nobody can plant one in a
# header or a URL, and a grep for it finds only the request's own line.
access_log_format = (
    '"%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s" '
    'request_id="%({x-request-id}o)s" worker=%(p)s'
)
# The token of a confirmation or reset link hidden, and text escaped as nginx does.
logger_class = "deploy.gunicorn_logging.AccessLogger"


def _app_logging():
    """shared_web/logs.py, loaded by its path: importing the shared_web package would
    import the app (and a database driver) into this master process."""
    spec = importlib.util.spec_from_file_location(
        "inkpot_logs", REPOSITORY / "shared_web" / "logs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_logs = _app_logging()
logconfig_dict = _logs.logging_config(SETTINGS.get("LOG_FORMAT", "json"), loglevel.upper())
_logs.mark_configured()


# Prometheus metrics across workers (shared_web/metrics.py): each worker writes its
# numbers to files in the folder PROMETHEUS_MULTIPROC_DIR names, which it finds in
# its environment. The folder is new and private for every start of gunicorn, and
# kept through graceful reloads (SIGHUP replaces the workers, not the master), so
# replacing workers loses no count.
def on_starting(server):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="inkpot-metrics-")


def child_exit(server, worker):
    """A worker's gauges (requests in progress, pool use) stop counting when it exits."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    shutil.rmtree(os.environ.pop("PROMETHEUS_MULTIPROC_DIR", ""), ignore_errors=True)


# gunicorn 25+ opens a control socket for `gunicornc` at a path every instance
# of a user shares. supervisorctl is the control here, so it stays off unless
# GUNICORN_CONTROL_SOCKET gives this instance a path of its own.
if SETTINGS.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = SETTINGS["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
