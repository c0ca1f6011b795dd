"""`make bench`: Inkpot under load, next to the framework's baseline and the machine's ceiling.

    python -m bench.run                                        # the whole benchmark, ~7 minutes
    python -m bench.run --rounds 2 --duration 3 --no-memory    # a quick look
    python -m bench.run --growth            # home and site pages: 1,000 vs 100,000 posts

Every stack is the production one (deploy/: nginx → gunicorn with gevent workers
under supervisor) on free loopback ports, on a database of realistic posts built
once under bench/data/. wrk measures every scenario with the same connections and
duration, round after round, each round visiting every scenario in turn, so the
machine's noise (other programs, CPU frequency) falls on all of them alike.
The table is printed, written to bench/results.json, and drawn in docs/bench.png.
bench/README.md says what the numbers mean.

This module is the command line and the default run; the stacks and scenarios are
in bench/scenarios.py, wrk and the memory check in bench/measure.py, the growth
run in bench/growth.py, and the rows, budgets and table in bench/report.py.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench import dataset, report
from bench.growth import growth
from bench.measure import (
    Run,
    load_average,
    measure_memory,
    newest_post_path,
    sign_in,
    wait_for_quiet,
)
from bench.scenarios import main_scenarios, main_stacks
from deploy import LAYOUTS
from deploy.stack import StackError, find_nginx, start_all, stop_all

TOOLS_MISSING = """\
`make bench` drives the production stack with wrk, and needs {missing}, not installed here.
Install {them}, then run `make bench` again:

    sudo apt-get install {packages}      # Debian, Ubuntu
"""


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

    rows = report.rows(scenarios, arguments.connections)
    report.add_yardsticks(rows)
    settings = report.run_settings(
        arguments,
        arguments.posts,
        remote_connections=arguments.remote_connections,
        db_latency_ms=arguments.db_latency_ms,
        gunicorn_workers=configs["app"].worker_count,
    )
    budgets = report.check_budgets(rows, memory, arguments.connections)
    results = report.assemble(
        arguments, started, load_before, scenarios, rows, settings, memory=memory, budgets=budgets
    )
    output = arguments.output or report.RESULTS
    output.write_text(json.dumps(results, indent=2) + "\n")
    report.print_report(results)
    print(f"\nWritten {output}", end="")
    if not arguments.no_chart:
        from bench.chart import draw_chart

        draw_chart(results, report.CHART)
        print(f" and {report.CHART}", end="")
    print(f"; {results['seconds']} s in all, load average {load_average()}.")
    return 0


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
        "--duration", type=int, default=4, help="seconds of wrk per scenario per round (4)"
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
