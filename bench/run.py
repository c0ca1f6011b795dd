"""`make bench`: Inkpot under load, next to the framework's baseline and the machine's ceiling.

    python -m bench.run                       # the whole benchmark, about 7 minutes
    python -m bench.run --rounds 2 --duration 3 --no-memory       # a quick look
    python -m bench.run --growth              # home and site pages: 1,000 vs 100,000 posts

Every stack is the production one (deploy/: nginx → gunicorn with gevent workers
under supervisor) on free loopback ports, on a database of realistic posts built
once under bench/data/. wrk measures every scenario with the same connections and
duration, round after round, each round visiting every scenario in turn, so the
machine's noise (other programs, CPU frequency) falls on all of them alike.
The table is printed, written to bench/results.json, and drawn in docs/bench.png.
bench/README.md says what the numbers mean.
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path

from bench import dataset
from deploy import LAYOUTS
from deploy.processes import http_get
from deploy.stack import RunningStack, Stack, StackError, find_nginx, start_all, stop_all

BENCH = Path(__file__).resolve().parent
REPOSITORY = BENCH.parent
RESULTS = BENCH / "results.json"
GROWTH_RESULTS = BENCH / "growth.json"
CHART = REPOSITORY / "docs" / "bench.png"
REPORT_SCRIPT = BENCH / "report.lua"
MIX_SCRIPT = BENCH / "mix.lua"

TOOLS_MISSING = """\
`make bench` drives the production stack with wrk, and needs {missing}, not installed here.
Install {them}, then run `make bench` again:

    sudo apt-get install {packages}      # Debian, Ubuntu
"""
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
# Any cookie with the session's name sends a visitor past nginx's micro-cache; one the
# app cannot read (this one) leaves them anonymous: the page as the app renders it.
BYPASS_COOKIE = "{app}_session=not-a-session"

# The budgets issue 6 set, checked against every run.
PUBLIC_OVER_CEILING = 0.8
DASHBOARD_OVER_BASELINE = 0.5
GEVENT_OVER_SYNC = 10
REMOTE_P99_MS = 1000
GROWTH_SLOWDOWN = 1.3
MEMORY_GROWTH_MB = 5


@dataclass
class Scenario:
    """One line of the table: a URL of one stack, visited by one kind of visitor."""

    key: str
    label: str
    stack: str
    path: str
    visitor: str = "anonymous"  # anonymous, signed-in, or bypass (a cookie past the cache)
    connections: int | None = None  # None: the run's --connections
    rounds: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        """req/s over all rounds; p50 and p99 the median of the rounds'; errors summed."""
        requests = sum(r["requests"] for r in self.rounds)
        seconds = sum(r["duration_us"] for r in self.rounds) / 1e6
        return {
            "key": self.key,
            "label": self.label,
            "connections": self.connections,
            "requests": requests,
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


def check_tools() -> str | None:
    """The message naming what is missing (nginx, wrk), or None when both are installed."""
    missing = []
    if find_nginx() is None:
        missing.append(("nginx", "nginx-light"))
    if shutil.which("wrk") is None:
        missing.append(("wrk", "wrk"))
    if not missing:
        return None
    names = " and ".join(name for name, _ in missing)
    return TOOLS_MISSING.format(
        missing=names,
        them="them" if len(missing) > 1 else "it",
        packages=" ".join(package for _, package in missing),
    )


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def machine() -> dict:
    """What the numbers were measured on: cores, memory, load, versions."""
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    nginx = subprocess.run([find_nginx(), "-v"], capture_output=True, text=True, check=False)
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "nginx": nginx.stderr.strip().removeprefix("nginx version: "),
        "wrk": (wrk.stdout or wrk.stderr).split(" [")[0].strip(),
    }


def wait_for_quiet(max_load: float, max_wait: float) -> None:
    """Wait (bounded) until the one-minute load average drops below max_load."""
    deadline = time.monotonic() + max_wait
    while os.getloadavg()[0] >= max_load and time.monotonic() < deadline:
        print(f"  load average {os.getloadavg()[0]:.2f} ≥ {max_load}: waiting…", flush=True)
        time.sleep(15)


# --- Visiting the stack like a browser -------------------------------------------------


def sign_in(port: int, email: str, password: str) -> str:
    """Sign in through the real form (CSRF token from the page); the Cookie header to send."""
    host = {"Host": f"127.0.0.1:{port}"}
    cookies: dict[str, str] = {}

    def keep(response) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                cookies[name] = morsel.value

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request("GET", "/login", headers=host)
        page = connection.getresponse()
        body = page.read().decode()
        keep(page)
        token = CSRF_FIELD.search(body)
        if page.status != 200 or token is None:
            raise StackError(f"/login answered {page.status} without a CSRF token")
        form = urllib.parse.urlencode({"email": email, "password": password,
                                       "csrf_token": token.group(1)})  # fmt: skip
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        headers = {**host, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/login", body=form, headers=headers)
        answer = connection.getresponse()
        answer.read()
        keep(answer)
    finally:
        connection.close()
    if answer.status != 302:
        raise StackError(f"signing in as {email} answered {answer.status}, not a redirect")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def newest_post_path(port: int, site: str) -> str:
    """The newest post on a site's front page."""
    status, _, body = http_get(port, f"/sites/{site}/")
    links = re.findall(rf'href="(/sites/{re.escape(site)}/(?!feed\.xml)[^"/?#]+)"', body.decode())
    if status != 200 or not links:
        raise StackError(f"/sites/{site}/ answered {status} with no post links")
    return links[0]


# --- Running wrk --------------------------------------------------------------------------


def run_wrk(port: int, path: str, connections: int, duration: int, threads: int,
            headers: dict[str, str]) -> dict:  # fmt: skip
    """One wrk run; its numbers as report.lua prints them."""
    command = [
        "wrk", f"--threads={min(threads, connections)}", f"--connections={connections}",
        f"--duration={duration}s", "--timeout=5s", f"--script={REPORT_SCRIPT}",
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    last = (finished.stdout.strip().splitlines() or [""])[-1]
    if finished.returncode != 0 or not last.startswith("{"):
        raise RuntimeError(f"wrk failed ({finished.returncode}): {finished.stderr.strip()}")
    return json.loads(last)


@dataclass
class Run:
    """What one benchmark run measures with, and the stacks and cookies it measures."""

    arguments: argparse.Namespace
    stacks: dict[str, RunningStack]
    cookies: dict[str, str] = field(default_factory=dict)

    def headers_for(self, scenario: Scenario) -> dict[str, str]:
        if scenario.visitor == "signed-in":
            return {"Cookie": self.cookies[scenario.stack]}
        if scenario.visitor == "bypass":
            return {"Cookie": BYPASS_COOKIE.format(app=f"{self.arguments.layout}_layout")}
        return {}

    def measure(self, scenarios: list[Scenario]) -> None:
        """Every scenario once per round, round after round, printing as it goes."""
        arguments = self.arguments
        if arguments.warmup > 0:
            # Not recorded: every worker compiles its templates and opens its database
            # connections, and nginx's cache holds every public page, as on a live server.
            print(f"Warming up ({arguments.warmup:g} s per scenario)…", flush=True)
            for scenario in scenarios:
                run_wrk(
                    self.stacks[scenario.stack].config.port,
                    scenario.path,
                    scenario.connections or arguments.connections,
                    arguments.warmup,
                    arguments.threads,
                    self.headers_for(scenario),
                )
        for number in range(1, arguments.rounds + 1):
            print(f"Round {number} of {arguments.rounds} (load {load_average()})", flush=True)
            for scenario in scenarios:
                result = run_wrk(
                    self.stacks[scenario.stack].config.port,
                    scenario.path,
                    scenario.connections or arguments.connections,
                    arguments.duration,
                    arguments.threads,
                    self.headers_for(scenario),
                )
                result["load"] = load_average()[0]
                scenario.rounds.append(result)
                rps = result["requests"] / (result["duration_us"] / 1e6)
                print(f"  {scenario.label:<44} {rps:>9,.0f} req/s  "
                      f"p99 {result['p99_us'] / 1000:>7.1f} ms  errors {errors(result)}",
                      flush=True)  # fmt: skip


# --- The main benchmark -----------------------------------------------------------------


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
                wsgi_app="bench.wsgi:app",
                worker_class=worker_class,
                settings=remote,
            )
    return stacks


def main_scenarios(arguments, post_path: str) -> list[Scenario]:
    site = f"/sites/{dataset.BENCH_USERNAME}/"
    scenarios = [
        Scenario("static", "static file, nginx (ceiling)", "app", "/static/css/inkpot.css"),
        Scenario("hello", "hello, Flask (baseline)", "hello", "/hello"),
        Scenario("home", "home page", "app", "/"),
        Scenario("site", "site front page", "app", site),
        Scenario("post", "post page", "app", post_path),
        Scenario("feed", "Atom feed", "app", site + "feed.xml"),
        Scenario("dashboard", "dashboard, signed in", "app", "/dashboard/", "signed-in"),
        Scenario("home-app", "home page, cache bypassed", "app", "/", "bypass"),
        Scenario("site-app", "site front page, cache bypassed", "app", site, "bypass"),
        Scenario("post-app", "post page, cache bypassed", "app", post_path, "bypass"),
        Scenario("feed-app", "Atom feed, cache bypassed", "app", site + "feed.xml", "bypass"),
        Scenario("dashboard-sync", "dashboard, signed in, sync workers", "app-sync",
                 "/dashboard/", "signed-in"),
    ]  # fmt: skip
    if not arguments.no_remote:
        remote = arguments.remote_connections
        latency = f"{arguments.db_latency_ms:g} ms DB"
        scenarios += [
            Scenario("remote-gevent", f"dashboard, {latency}, gevent", "remote-gevent",
                     "/dashboard/", "signed-in", remote),
            Scenario("remote-sync", f"dashboard, {latency}, sync", "remote-sync",
                     "/dashboard/", "signed-in", remote),
        ]  # fmt: skip
    return scenarios


def rss_bytes(pid: int) -> int:
    """A process's resident set size, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def measure_memory(arguments, database: Path, run_dir: Path, post_path: str) -> dict:
    """One gevent worker's RSS after the first and after the last of many requests.

    One worker, never recycled (max_requests 0: the shipped config replaces workers
    every ~2,000 requests, which would hide a leak), requested directly (nginx would
    answer the public pages from its cache): the public pages anonymously, the
    dashboard and a post signed in.
    """
    config = bench_stack(arguments, run_dir / "memory", database, workers=1, max_requests=0)
    site = f"/sites/{dataset.BENCH_USERNAME}/"
    paths = ["/", site, post_path, site + "feed.xml", "+/dashboard/", f"+{post_path}"]
    first, last = arguments.memory_requests
    (stack,) = start_all([config], migrate_first=False)
    try:
        cookie = sign_in(stack.config.port, dataset.BENCH_EMAIL, dataset.BENCH_PASSWORD)
        (worker,) = stack.worker_pids()
        samples = []
        done, errors_so_far, rate = 0, 0, 200.0
        for target in (first, last):
            started = time.monotonic()
            # wrk runs for a time, not a count: short runs, each sized by the rate so far.
            while done < target:
                seconds = round(min(max((target - done) / rate, 1), 30))
                command = [
                    "wrk", "--threads=1", "--connections=10", f"--duration={seconds}s",
                    "--timeout=10s", f"--script={MIX_SCRIPT}",
                    f"http://127.0.0.1:{stack.config.app_ports[0]}/", "--", cookie, *paths,
                ]  # fmt: skip
                finished = subprocess.run(
                    command, capture_output=True, text=True, timeout=seconds + 60, check=True
                )
                counted = json.loads(finished.stdout.strip().splitlines()[-1])
                done += counted["requests"]
                errors_so_far += counted["errors"]
                rate = max(counted["requests"] / (counted["duration_us"] / 1e6), 1)
            time.sleep(1)  # the worker settles: nothing in flight when RSS is read
            if stack.worker_pids() != {worker}:
                raise StackError("the worker was replaced during the memory check")
            sample = {
                "requests": done,
                "rss_mb": round(rss_bytes(worker) / 2**20, 2),
                "errors": errors_so_far,
                "seconds": round(time.monotonic() - started, 1),
            }
            samples.append(sample)
            print(f"  after {done:>6,} requests: worker RSS {sample['rss_mb']:.1f} MB "
                  f"({sample['errors']} errors, {sample['seconds']} s)", flush=True)  # fmt: skip
    finally:
        stop_all([stack])
    return {
        "samples": samples,
        "growth_mb": samples[-1]["rss_mb"] - samples[0]["rss_mb"],
        "paths": paths,
    }


def check_budgets(rows: dict[str, dict], memory: dict | None) -> list[dict]:
    """Each budget of issue 6 with what this run reached; met True, False, or None (not run)."""
    ceiling, baseline = rows["static"]["rps"], rows["hello"]["rps"]
    budgets = []
    for key in ("home", "site", "post", "feed"):
        ratio = rows[key]["rps"] / ceiling
        budgets.append({
            "budget": f"{rows[key]['label']} ≥ {PUBLIC_OVER_CEILING}× the static ceiling",
            "reached": f"{ratio:.2f}×", "met": ratio >= PUBLIC_OVER_CEILING,
        })  # fmt: skip
    ratio = rows["dashboard"]["rps"] / baseline
    budgets.append({
        "budget": f"dashboard ≥ {DASHBOARD_OVER_BASELINE}× the hello baseline",
        "reached": f"{ratio:.2f}×", "met": ratio >= DASHBOARD_OVER_BASELINE,
    })  # fmt: skip
    if "remote-gevent" in rows:
        gevent, sync = rows["remote-gevent"], rows["remote-sync"]
        ratio = gevent["rps"] / sync["rps"] if sync["rps"] else float("inf")
        met = ratio >= GEVENT_OVER_SYNC and gevent["p99_ms"] < REMOTE_P99_MS
        budgets.append({
            "budget": f"remote DB: gevent ≥ {GEVENT_OVER_SYNC}× sync, p99 < {REMOTE_P99_MS} ms, "
                      "no errors",
            "reached": f"{ratio:.1f}×, p99 {gevent['p99_ms']:.0f} ms, "
                       f"{gevent['errors']} errors",
            "met": met and gevent["errors"] == 0,
        })  # fmt: skip
    if memory is not None:
        first, last = memory["samples"][0], memory["samples"][-1]
        budgets.append({
            "budget": f"gevent worker RSS grows < {MEMORY_GROWTH_MB} MB from "
                      f"{first['requests']:,} to {last['requests']:,} requests",
            "reached": f"{memory['growth_mb']:+.1f} MB "
                       f"({first['rss_mb']:.1f} → {last['rss_mb']:.1f} MB)",
            "met": memory["growth_mb"] < MEMORY_GROWTH_MB,
        })  # fmt: skip
    return budgets


def table(rows: list[dict], baseline: float | None, ceiling: float | None) -> str:
    """The results as a Markdown table (it reads as well in a terminal)."""
    lines = [
        "| scenario | conns | req/s | p50 ms | p99 ms | errors | × hello | × static |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        over_baseline = f"{row['rps'] / baseline:.2f}" if baseline else "–"
        over_ceiling = f"{row['rps'] / ceiling:.2f}" if ceiling else "–"
        lines.append(
            f"| {row['label']} | {row['connections']} | {row['rps']:,.0f} | "
            f"{row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['errors']} | "
            f"{over_baseline} | {over_ceiling} |"
        )
    return "\n".join(lines)


def budget_lines(budgets: list[dict]) -> str:
    marks = {True: "met", False: "MISSED", None: "not run"}
    return "\n".join(f"  [{marks[b['met']]:>7}] {b['budget']}: {b['reached']}" for b in budgets)


def benchmark(arguments) -> int:
    """The default run: every scenario, the remote-database pair, then the memory check."""
    started = time.monotonic()
    load_before = load_average()
    database = dataset.ensure_database(arguments.sites, arguments.posts)
    with tempfile.TemporaryDirectory(prefix="inkpot-bench-") as run_dir:
        configs = main_stacks(arguments, database, Path(run_dir))
        print(f"Starting {len(configs)} stacks ({', '.join(configs)})…", flush=True)
        stacks = dict(zip(configs, start_all(configs.values(), migrate_first=False), strict=True))
        try:
            run = Run(arguments, stacks)
            for name, stack in stacks.items():
                if name != "hello":
                    run.cookies[name] = sign_in(
                        stack.config.port, dataset.BENCH_EMAIL, dataset.BENCH_PASSWORD
                    )
            post_path = newest_post_path(stacks["app"].config.port, dataset.BENCH_USERNAME)
            scenarios = main_scenarios(arguments, post_path)
            run.measure(scenarios)
        finally:
            stop_all(stacks.values())
        memory = None
        if not arguments.no_memory:
            print("Memory: one gevent worker, never recycled…", flush=True)
            memory = measure_memory(arguments, database, Path(run_dir), post_path)

    rows = {scenario.key: scenario.summary() for scenario in scenarios}
    for row in rows.values():
        row["connections"] = row["connections"] or arguments.connections
    ceiling, baseline = rows["static"]["rps"], rows["hello"]["rps"]
    for row in rows.values():
        row["over_baseline"] = row["rps"] / baseline
        row["over_ceiling"] = row["rps"] / ceiling
    budgets = check_budgets(rows, memory)
    results = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "make bench" + (f' BENCH_ARGS="{arguments.raw}"' if arguments.raw else ""),
        "machine": machine(),
        "load_average": {"before": load_before, "after": load_average(),
                         "during": [r["load"] for s in scenarios for r in s.rounds]},
        "settings": {
            "layout": arguments.layout, "sites": arguments.sites, "posts": arguments.posts,
            "rounds": arguments.rounds, "duration_s": arguments.duration,
            "warmup_s": arguments.warmup,
            "connections": arguments.connections, "threads": arguments.threads,
            "remote_connections": arguments.remote_connections,
            "db_latency_ms": arguments.db_latency_ms,
            "gunicorn_workers": configs["app"].worker_count,
            "extra_settings": arguments.setting,
        },
        "scenarios": list(rows.values()),
        "memory": memory,
        "budgets": budgets,
        "seconds": round(time.monotonic() - started),
    }  # fmt: skip
    output = arguments.output or RESULTS
    output.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(list(rows.values()), baseline, ceiling))
    print()
    print("Budgets:")
    print(budget_lines(budgets))
    print(f"\nWritten {output}", end="")
    if not arguments.no_chart:
        from bench.chart import draw_chart

        draw_chart(results, CHART)
        print(f" and {CHART}", end="")
    print(f"; {results['seconds']} s in all, load average {load_average()}.")
    return 0


# --- Growth: the same pages over a hundred times the posts -----------------------------------


def growth(arguments) -> int:
    """Home and site pages on 1,000 and on 100,000 posts, both stacks measured in every round."""
    started = time.monotonic()
    load_before = load_average()
    small, large = arguments.growth_posts
    databases = {size: dataset.ensure_database(arguments.sites, size) for size in (small, large)}
    site = f"/sites/{dataset.BENCH_USERNAME}/"
    with tempfile.TemporaryDirectory(prefix="inkpot-growth-") as run_dir:
        configs = {
            f"posts-{size}": bench_stack(arguments, Path(run_dir) / str(size), database)
            for size, database in databases.items()
        }
        print(f"Starting {len(configs)} stacks…", flush=True)
        stacks = dict(zip(configs, start_all(configs.values(), migrate_first=False), strict=True))
        scenarios = []
        try:
            for size in (small, large):
                stack = f"posts-{size}"
                scenarios += [
                    Scenario(f"home-{size}", f"home page, {size:,} posts", stack, "/"),
                    Scenario(f"site-{size}", f"site front page, {size:,} posts", stack, site),
                    Scenario(f"home-app-{size}", f"home page, {size:,} posts, cache bypassed",
                             stack, "/", "bypass"),
                    Scenario(f"site-app-{size}", f"site page, {size:,} posts, cache bypassed",
                             stack, site, "bypass"),
                ]  # fmt: skip
            Run(arguments, stacks).measure(scenarios)
        finally:
            stop_all(stacks.values())
    rows = {scenario.key: scenario.summary() for scenario in scenarios}
    for row in rows.values():
        row["connections"] = row["connections"] or arguments.connections
    comparisons = []
    for page in ("home", "site", "home-app", "site-app"):
        before, after = rows[f"{page}-{small}"], rows[f"{page}-{large}"]
        slowdown = before["rps"] / after["rps"] if after["rps"] else float("inf")
        p50_ratio = after["p50_ms"] / before["p50_ms"] if before["p50_ms"] else float("inf")
        comparisons.append({
            "page": after["label"].replace(f", {large:,} posts", ""),
            "slowdown": round(slowdown, 2), "p50_ratio": round(p50_ratio, 2),
            "met": slowdown <= GROWTH_SLOWDOWN,
        })  # fmt: skip
    results = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": f'make bench BENCH_ARGS="{arguments.raw}"',
        "machine": machine(),
        "load_average": {"before": load_before, "after": load_average(),
                         "during": [r["load"] for s in scenarios for r in s.rounds]},
        "settings": {"layout": arguments.layout, "sites": arguments.sites,
                     "posts": [small, large], "rounds": arguments.rounds,
                     "duration_s": arguments.duration, "warmup_s": arguments.warmup,
                     "connections": arguments.connections, "threads": arguments.threads,
                     "extra_settings": arguments.setting},
        "scenarios": list(rows.values()),
        "growth": comparisons,
        "seconds": round(time.monotonic() - started),
    }  # fmt: skip
    output = arguments.output or GROWTH_RESULTS
    output.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(list(rows.values()), None, None))
    print(f"\nBudget: {large:,} posts no slower than {GROWTH_SLOWDOWN}× {small:,} posts "
          "(req/s at 1,000 ÷ req/s at 100,000):")  # fmt: skip
    for c in comparisons:
        mark = "met" if c["met"] else "MISSED"
        print(f"  [{mark:>6}] {c['page']}: {c['slowdown']:.2f}× slower (p50 ×{c['p50_ratio']})")
    print(f"\nWritten {output}; {results['seconds']} s in all.")
    return 0


# --- Command line -------------------------------------------------------------------------


def two_numbers(text: str) -> tuple[int, int]:
    first, second = (int(part) for part in text.split(","))
    if not 0 < first < second:
        raise argparse.ArgumentTypeError("expected two increasing numbers, e.g. 10000,50000")
    return first, second


def setting(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", choices=LAYOUTS, default=os.environ.get("LAYOUT", LAYOUTS[0]))
    parser.add_argument("--sites", type=int, default=100, help="sites in the database (100)")
    parser.add_argument(
        "--posts", type=int, default=10_000, help="posts in all, spread over the sites (10,000)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every scenario (3)")
    parser.add_argument(
        "--duration", type=int, default=5, help="seconds of wrk per scenario per round (5)"
    )
    parser.add_argument(
        "--connections", type=int, default=50, help="wrk's open connections for every scenario (50)"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads (2)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="unrecorded seconds per scenario first (1)"
    )
    parser.add_argument(
        "--remote-connections",
        type=int,
        default=100,
        help="connections for the remote-database pair (100)",
    )
    parser.add_argument(
        "--db-latency-ms",
        type=float,
        default=20,
        help="the remote database's wait before every statement (20)",
    )
    parser.add_argument(
        "--memory-requests",
        type=two_numbers,
        default=(10_000, 50_000),
        metavar="FIRST,LAST",
        help="when to read the worker's RSS (10000,50000)",
    )
    parser.add_argument("--no-remote", action="store_true", help="skip the remote-database pair")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory check")
    parser.add_argument("--no-chart", action="store_true", help="leave docs/bench.png alone")
    parser.add_argument(
        "--output", type=Path, help="the JSON file (bench/results.json, or growth.json)"
    )
    parser.add_argument(
        "--growth", action="store_true", help="instead: home and site pages, 1,000 vs 100,000 posts"
    )
    parser.add_argument(
        "--growth-posts",
        type=two_numbers,
        default=(1_000, 100_000),
        metavar="SMALL,LARGE",
        help="the two sizes --growth compares",
    )
    parser.add_argument(
        "--max-load",
        type=float,
        default=None,
        help="first wait (up to 10 min) for the 1-minute load to drop below this",
    )
    parser.add_argument(
        "--setting",
        type=setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an env-file value for every stack, e.g. GUNICORN_WORKER_CONNECTIONS=10 (repeatable)",
    )
    arguments = parser.parse_args(argv)
    arguments.setting = dict(arguments.setting)
    arguments.raw = " ".join(argv if argv is not None else sys.argv[1:])
    return arguments


def stop_on_sigterm(signum, frame):
    """A TERM (from make, or a CI timeout) unwinds like Ctrl-C, so every stack is stopped."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    arguments = parse(argv)
    missing = check_tools()
    if missing:
        print(missing, file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    if arguments.max_load is not None:
        wait_for_quiet(arguments.max_load, max_wait=600)
    try:
        return growth(arguments) if arguments.growth else benchmark(arguments)
    except KeyboardInterrupt:
        print("\nInterrupted; every stack is stopped.", file=sys.stderr)
        return 130
    except StackError as error:
        print(f"\nA stack failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
