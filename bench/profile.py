"""Each page's cost in process, without a server: time per request, SQL count, and where it goes.

    python -m bench.profile                        # every page, functional layout
    python -m bench.profile --layout divisional --pages home,dashboard --top 20

The app is built as production builds it (APP_ENV=production, JSON logs written
to /dev/null, metrics counted) on the benchmark's database, and driven by
Flask's test client: no nginx, gunicorn or network, so what is left is the
app's own work per request. Each page is timed (median of several batches, in
microseconds per request), then profiled with cProfile, and its time is split
by where it is spent: SQL, Jinja, url_for, the user loader, logs, metrics, ...
bench/README.md shows the summaries.
"""

import argparse
import cProfile
import logging
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event

from bench import dataset
from deploy import LAYOUTS, layout_module

BENCH = Path(__file__).resolve().parent
SITE = f"/sites/{dataset.BENCH_USERNAME}/"
# (key, label, path, signed in)
PAGES = [
    ("hello", "hello (the framework's floor)", None, False),
    ("home", "home page, anonymous", "/", False),
    ("site", "site front page, anonymous", SITE, False),
    ("post", "post page, anonymous", None, False),
    ("feed", "Atom feed, anonymous", SITE + "feed.xml", False),
    ("home-signed-in", "home page, signed in", "/", True),
    ("site-signed-in", "site front page, signed in", SITE, True),
    ("post-signed-in", "post page, signed in", None, True),
    ("dashboard", "dashboard, signed in", "/dashboard/", True),
]
# Where a page's time goes: the first rule whose text is in a frame's file (or
# function) name claims the frame's own time.
AREAS = [
    ("SQL (driver and SQLAlchemy)", ("sqlalchemy", "sqlite3", "psycopg")),
    ("Jinja (templates and filters)", ("jinja2", "markupsafe", "<template>", "formatting.py")),
    ("URL building (url_for)", ("werkzeug/routing", "url_for", "helpers.py")),
    ("sessions, user, CSRF", ("flask_login", "flask_wtf", "itsdangerous", "sessions.py", "hmac")),
    ("logs", ("logging", "pythonjsonlogger", "request_log.py", "logs.py", "json/")),
    ("metrics", ("prometheus_client", "metrics.py")),
    ("page cache", ("page_cache.py", "redis")),
    ("Flask and Werkzeug (request, response)", ("flask/", "werkzeug/")),
]


def production_app(layout: str, database: Path):
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "")
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR")
    app = layout_module(layout).create_app(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "profile-" + "x" * 40,
            "SQLALCHEMY_DATABASE_URI": dataset.database_url(database),
            "PUBLIC_URL": "http://localhost",
            "CELERY_BROKER_URL": "redis://127.0.0.1:9/0",
            "RATELIMIT_ENABLED": False,
            # Cookies marked Secure come back over the test client's plain http too.
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )
    # The request log's lines are formatted and written, as in production, but not shown.
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
    return app


def hello_app():
    from flask import Flask

    app = Flask("hello")
    app.add_url_rule("/hello", "hello", lambda: "Hello, World!")
    return app


def sign_in(client) -> None:
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/login",
        data={
            "email": dataset.BENCH_EMAIL,
            "password": dataset.BENCH_PASSWORD,
            "csrf_token": token,
        },
    )
    if answer.status_code != 302:
        raise RuntimeError(f"signing in answered {answer.status_code}")


def newest_post(client) -> str:
    import re

    page = client.get(SITE).get_data(as_text=True)
    return re.findall(rf'href="({SITE}(?!feed\.xml)[^"/?#]+)"', page)[0]


def time_page(client, path: str, requests: int, batches: int = 5) -> float:
    """Microseconds per request: the median of `batches` batches."""
    per_batch = []
    for _ in range(batches):
        started = time.perf_counter()
        for _ in range(requests):
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        per_batch.append((time.perf_counter() - started) / requests * 1e6)
    return statistics.median(per_batch)


def area_of(filename: str, function: str) -> str:
    where = f"{filename}:{function}"
    for area, marks in AREAS:
        if any(mark in where for mark in marks):
            return area
    return "the rest (views, hooks, Python)"


def profile_page(client, path: str, requests: int, top: int) -> tuple[dict, list]:
    """Own time per area, as shares of the whole; and the top functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    areas: dict[str, float] = {}
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():
        name = area_of(filename, function)
        areas[name] = areas.get(name, 0.0) + own
    total = sum(areas.values()) or 1.0
    shares = {name: own / total for name, own in sorted(areas.items(), key=lambda i: -i[1])}
    functions = sorted(stats.stats.items(), key=lambda item: -item[1][2])
    rows = []
    for (filename, line, function), (_, calls, own, _, _) in functions[:top]:
        short = "/".join(Path(filename).parts[-2:])
        rows.append((f"{short}:{line}({function})", calls / requests, own / requests * 1e6))
    return shares, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", choices=LAYOUTS, default=LAYOUTS[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--pages", help="comma-separated keys (default: all)")
    parser.add_argument("--requests", type=int, default=300, help="per batch and per profile")
    parser.add_argument("--top", type=int, default=12, help="functions shown per page")
    parser.add_argument("--no-profile", action="store_true", help="times only")
    arguments = parser.parse_args(argv)
    database = dataset.ensure_database(arguments.sites, arguments.posts)
    app = production_app(arguments.layout, database)
    anonymous, signed_in = app.test_client(), app.test_client()
    sign_in(signed_in)
    post = newest_post(anonymous)
    hello = hello_app().test_client()
    statements = []
    with app.app_context():
        from shared_models import db

        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
    wanted = set(arguments.pages.split(",")) if arguments.pages else None
    baseline = None
    print(f"{arguments.layout} layout, {arguments.posts:,} posts; µs per request in process")
    for key, label, path, as_user in PAGES:
        if wanted and key not in wanted and key != "hello":
            continue
        client = hello if key == "hello" else (signed_in if as_user else anonymous)
        path = "/hello" if key == "hello" else (path or post)
        for _ in range(20):  # warm: templates compiled, connections open
            client.get(path)
        statements.clear()
        client.get(path)
        sql = len(statements)
        micros = time_page(client, path, arguments.requests)
        baseline = baseline or micros
        print(f"\n{label:<34} {micros:8.0f} µs  {baseline / micros:5.2f}× hello  {sql} SQL")
        if arguments.no_profile or key == "hello":
            continue
        shares, rows = profile_page(client, path, arguments.requests, arguments.top)
        print("  " + ", ".join(f"{name} {share:.0%}" for name, share in shares.items()))
        for name, calls, micros_each in rows:
            print(f"    {micros_each:6.0f} µs  {calls:5.0f}× {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
