"""`make serve`: the production stack on 127.0.0.1, in the foreground, until Ctrl-C.

    python -m deploy.serve --layout functional    # nginx on 127.0.0.1:8080

It renders the stack (deploy/stack.py's Stack, deploy/render.py's configs) into
run/serve-LAYOUT/, migrates its database and hands over to supervisord.
"""

import argparse
import os
import sys

from deploy import LAYOUTS, render
from deploy.processes import port_is_free, system_program
from deploy.stack import Stack, StackError, find_nginx, migrate

SERVE_PORT = 8080
# Values a person may set for `make serve`; they go into the rendered env file.
PASSED_THROUGH = (
    "DATABASE_URL",
    "RATELIMIT_ENABLED",
    "RATELIMIT_STORAGE_URI",
    "WEB_CONCURRENCY",
    "GUNICORN_WORKER_CONNECTIONS",
    "DATABASE_POOL_SIZE",
    "DATABASE_MAX_OVERFLOW",
    "CACHE_ENABLED",
)
MISSING = """\
`make serve` runs the production stack, and that needs {program}, which is not installed.
Install it, then run `make serve` again:

    sudo apt-get install {package}      # Debian, Ubuntu
"""


def serve(layout: str, port: int) -> int:
    """Render the stack into run/serve-LAYOUT/, migrate, and run supervisord in the foreground."""
    for program, package, found in [
        ("nginx", "nginx", find_nginx()),
        ("Redis (the worker's broker)", "redis-server", system_program("redis-server")),
    ]:
        if found is None:
            print(MISSING.format(program=program, package=package), file=sys.stderr)
            return 1
    if not port_is_free(port):
        print(f"127.0.0.1:{port} is in use; stop what runs there first.", file=sys.stderr)
        return 1
    settings = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    run_dir = render.REPOSITORY / "run" / f"serve-{layout}"
    config = Stack(layout, run_dir, port, settings=settings)
    render.render(config)
    migrate(config)
    supervisorctl = render.environment_program("supervisorctl")
    logs = run_dir / "logs"
    print(
        f"\n  Inkpot ({layout} layout), the production stack: http://127.0.0.1:{port}/\n"
        f"  supervisord → gunicorn (gevent) → nginx; configs in {run_dir}/\n"
        f"  Logs: {logs}/ (the app's, one JSON object per line: inkpot-app.log)\n"
        f"  Metrics, for Prometheus: http://127.0.0.1:{config.app_ports[0]}/metrics (the app),\n"
        f"  http://127.0.0.1:{config.worker_metrics_port}/metrics (the worker)\n"
        f"  Redis: the worker's queue and throttling on :{config.redis_port}, the page cache\n"
        f"  on :{config.cache_redis_port}; the password is in {run_dir / 'redis_password'}\n"
        f"  Email: the Celery worker sends it to an SMTP sink\n"
        f"  on 127.0.0.1:{config.smtp_port}, which keeps every message as a file in\n"
        f"  {config.mail_dir}/ (open the links from there; nothing leaves this machine).\n"
        f"  Status: {supervisorctl} -c {config.supervisord_conf} status\n"
        f"  Worker log: {config.log('inkpot-worker.log')}\n"
        "  Press Ctrl-C to stop.\n",
        flush=True,
    )
    # Replace this process, so Ctrl-C reaches supervisord, which stops every program.
    supervisord = render.environment_program("supervisord")
    arguments = [supervisord, "--nodaemon", "--configuration", str(config.supervisord_conf)]
    os.execv(supervisord, arguments)  # noqa: S606  (a fixed program of our own environment)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", choices=LAYOUTS, default=LAYOUTS[0])
    parser.add_argument("--port", type=int, default=SERVE_PORT)
    arguments = parser.parse_args(argv)
    try:
        return serve(arguments.layout, arguments.port)
    except StackError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
