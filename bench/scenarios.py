"""What `make bench` measures: the stacks it starts, and a scenario per line of the table."""

import statistics
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench import dataset
from deploy.stack import Stack

# Any cookie with the session's name sends a visitor past nginx's micro-cache; one the
# app cannot read (this one) leaves them anonymous: the page as the app renders it.
BYPASS_COOKIE = "{app}_session=not-a-session"
# The bench's WSGI entry: deploy/wsgi.py's app, with a remote database simulated.
REMOTE_DATABASE_APP = "bench.wsgi:app"


@dataclass
class Scenario:
    """One line of the table: a URL of one stack, visited by one kind of visitor."""

    key: str
    label: str
    stack: str
    path: str
    visitor: str = "anonymous"  # anonymous, signed-in, or bypass (a cookie past the cache)
    connections: int | None = None  # None: the run's --connections
    headers: dict[str, str] = field(default_factory=dict)  # sent besides the visitor's cookie
    rounds: list[dict] = field(default_factory=list)

    def summary(self, connections: int) -> dict:
        """req/s over all rounds; p50 and p99 the median of the rounds'; errors summed."""
        requests = sum(r["requests"] for r in self.rounds)
        seconds = sum(r["duration_us"] for r in self.rounds) / 1e6
        return {
            "key": self.key,
            "label": self.label,
            "connections": self.connections or connections,
            "requests": requests,
            "bytes": sum(r.get("bytes", 0) for r in self.rounds),
            "rps": requests / seconds if seconds else 0.0,
            "p50_ms": statistics.median(r["p50_us"] for r in self.rounds) / 1000,
            "p99_ms": statistics.median(r["p99_us"] for r in self.rounds) / 1000,
            "worst_p99_ms": max(r["p99_us"] for r in self.rounds) / 1000,
            "errors": sum(errors(r) for r in self.rounds),
            "rounds_rps": [round(r["requests"] / (r["duration_us"] / 1e6), 1) for r in self.rounds],
        }


def errors(result: dict) -> int:
    """Non-2xx/3xx answers and socket errors (connect, read, write, timeout)."""
    return sum(
        result[name]
        for name in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")
    )


def bench_stack(arguments, run_dir: Path, database: Path, settings=None, **fields) -> Stack:
    """deploy/'s stack on the benchmark's database; --setting values, then the stack's own, win."""
    values = {
        "DATABASE_URL": f"sqlite:///{database}",
        # Every load-test request comes from 127.0.0.1, so throttling is off.
        "RATELIMIT_ENABLED": "false",
        **arguments.setting,
        **(settings or {}),
    }
    return Stack(arguments.layout, run_dir, settings=values, **fields)


def main_stacks(arguments, database: Path, run_dir: Path) -> dict[str, Stack]:
    """The product as deployed, the hello baseline, sync workers, and the remote-database pair."""
    stacks = {
        "app": bench_stack(arguments, run_dir / "app", database),
        "hello": bench_stack(arguments, run_dir / "hello", database, wsgi_app="bench.hello:app"),
        "app-sync": bench_stack(arguments, run_dir / "app-sync", database, worker_class="sync"),
    }
    if not arguments.no_remote:
        remote = {"BENCH_DB_LATENCY_MS": f"{arguments.db_latency_ms:g}"}
        for name, worker_class in (("remote-gevent", None), ("remote-sync", "sync")):
            stacks[name] = bench_stack(
                arguments,
                run_dir / name,
                database,
                wsgi_app=REMOTE_DATABASE_APP,
                worker_class=worker_class,
                settings=remote,
            )
    return stacks


# The scenarios the app answers itself (no nginx cache): the tail budgets apply to each,
# at the run's --connections and at FEW_CONNECTIONS.
APP_SCENARIOS = (
    "dashboard",
    "home-signed-in",
    "site-signed-in",
    "post-signed-in",
    "home-app",
    "site-app",
    "post-app",
    "feed-app",
)
FEW_CONNECTIONS = 10
GZIP = {"Accept-Encoding": "gzip"}


def few(scenario: Scenario) -> Scenario:
    """The same scenario at FEW_CONNECTIONS: its key ends in -c10."""
    return replace(
        scenario,
        key=f"{scenario.key}-c{FEW_CONNECTIONS}",
        label=f"{scenario.label}, {FEW_CONNECTIONS} conns",
        connections=FEW_CONNECTIONS,
        rounds=[],
    )


def main_scenarios(arguments, post_path: str) -> list[Scenario]:
    site = f"/sites/{dataset.BENCH_USERNAME}/"
    feed = site + "feed.xml"
    css = "/static/css/inkpot.css"
    hello = Scenario("hello", "hello, Flask (baseline)", "hello", "/hello")
    by_the_app = [
        Scenario("dashboard", "dashboard, signed in", "app", "/dashboard/", "signed-in"),
        Scenario("home-signed-in", "home page, signed in", "app", "/", "signed-in"),
        Scenario("site-signed-in", "site front page, signed in", "app", site, "signed-in"),
        Scenario("post-signed-in", "post page, signed in", "app", post_path, "signed-in"),
        Scenario("home-app", "home page, cache bypassed", "app", "/", "bypass"),
        Scenario("site-app", "site front page, cache bypassed", "app", site, "bypass"),
        Scenario("post-app", "post page, cache bypassed", "app", post_path, "bypass"),
        Scenario("feed-app", "Atom feed, cache bypassed", "app", feed, "bypass"),
    ]
    scenarios = [
        Scenario("static", "static file, nginx (ceiling)", "app", css),
        Scenario("static-gzip", "static file, gzip asked", "app", css, headers=GZIP),
        hello,
        few(hello),
        Scenario("home", "home page", "app", "/"),
        Scenario("site", "site front page", "app", site),
        Scenario("post", "post page", "app", post_path),
        Scenario("feed", "Atom feed", "app", feed),
        Scenario("feed-gzip", "Atom feed, gzip asked", "app", feed, headers=GZIP),
        *by_the_app,
        *(few(scenario) for scenario in by_the_app),
        Scenario(
            "dashboard-sync",
            "dashboard, signed in, sync workers",
            "app-sync",
            "/dashboard/",
            "signed-in",
        ),
    ]
    if not arguments.no_remote:
        latency = f"{arguments.db_latency_ms:g} ms DB"
        for kind in ("gevent", "sync"):
            scenarios.append(
                Scenario(
                    f"remote-{kind}",
                    f"dashboard, {latency}, {kind}",
                    f"remote-{kind}",
                    "/dashboard/",
                    "signed-in",
                    arguments.remote_connections,
                )
            )
    return scenarios


def growth_stacks(arguments, databases: dict[int, Path], run_dir: Path) -> dict[str, Stack]:
    """The product as deployed, once per database size."""
    return {
        f"posts-{size}": bench_stack(arguments, run_dir / str(size), database)
        for size, database in databases.items()
    }


def growth_scenarios(sizes: tuple[int, int]) -> list[Scenario]:
    """The home and site pages, cached and not, on each database size."""
    site = f"/sites/{dataset.BENCH_USERNAME}/"
    scenarios = []
    for size in sizes:
        stack = f"posts-{size}"
        scenarios += [
            Scenario(f"home-{size}", f"home page, {size:,} posts", stack, "/"),
            Scenario(f"site-{size}", f"site front page, {size:,} posts", stack, site),
            Scenario(
                f"home-app-{size}",
                f"home page, {size:,} posts, cache bypassed",
                stack,
                "/",
                "bypass",
            ),
            Scenario(
                f"site-app-{size}",
                f"site page, {size:,} posts, cache bypassed",
                stack,
                site,
                "bypass",
            ),
        ]
    return scenarios
