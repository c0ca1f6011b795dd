"""The benchmark's results: a row per scenario, the budgets, the table, and the JSON file.

python -m bench.report                      # the table and budgets of bench/results.json
python -m bench.report bench/growth.json    # the growth run's table and comparisons
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.measure import load_average
from bench.scenarios import APP_SCENARIOS, FEW_CONNECTIONS, Scenario
from deploy.stack import find_nginx

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results.json"
GROWTH_RESULTS = BENCH / "growth.json"
CHART = BENCH.parent / "docs" / "bench.png"

# The budgets every run is checked against (bench/README.md, "Budgets").
PUBLIC_OVER_CEILING = 0.8
DASHBOARD_OVER_BASELINE = 0.3
UNCACHED_OVER_BASELINE = 0.2
# p99 at most this many times p50: at FEW_CONNECTIONS, and at the run's --connections.
TAIL_AT_FEW = 10
TAIL_AT_MANY = 25
GEVENT_OVER_SYNC = 10
REMOTE_P99_MS = 1000
GROWTH_SLOWDOWN = 1.3
MEMORY_GROWTH_MB = 5


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


def rows(scenarios: list[Scenario], connections: int) -> dict[str, dict]:
    """Each scenario's summary by its key; `connections` for those without a number of their own."""
    return {scenario.key: scenario.summary(connections) for scenario in scenarios}


def add_yardsticks(rows: dict[str, dict]) -> tuple[float, float]:
    """Each row's req/s as a multiple of the hello baseline's and of the static ceiling's."""
    baseline, ceiling = rows["hello"]["rps"], rows["static"]["rps"]
    for row in rows.values():
        row["over_baseline"] = row["rps"] / baseline
        row["over_ceiling"] = row["rps"] / ceiling
    return baseline, ceiling


def run_settings(arguments, posts, **more) -> dict:
    """What a run measured with, for the JSON file."""
    return {
        "layout": arguments.layout,
        "sites": arguments.sites,
        "posts": posts,
        "rounds": arguments.rounds,
        "duration_s": arguments.duration,
        "warmup_s": arguments.warmup,
        "connections": arguments.connections,
        "threads": arguments.threads,
        **more,
        "extra_settings": arguments.setting,
    }


def assemble(arguments, started: float, load_before, scenarios, rows, settings, **parts) -> dict:
    """The JSON file's content: when, how, on what and under what load; the rows; `parts`."""
    return {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "make bench" + (f' BENCH_ARGS="{arguments.raw}"' if arguments.raw else ""),
        "machine": machine(),
        "load_average": {
            "before": load_before,
            "after": load_average(),
            "during": [result["load"] for scenario in scenarios for result in scenario.rounds],
        },
        "settings": settings,
        "scenarios": list(rows.values()),
        **parts,
        "seconds": round(time.monotonic() - started),
    }


def budget(name: str, reached: str, met: bool | None, why: str = "") -> dict:
    """One budget; `why` says what the number means when it is missed (or was not measured)."""
    return {"budget": name, "reached": reached, "met": met, "why": "" if met else why}


def row_bytes(row: dict) -> str:
    """The answer's size, when wrk's report gave it."""
    requests = row.get("requests") or 0
    size = row.get("bytes", 0) / requests if requests else 0
    return f"{size / 1024:.0f} KB" if size else "the page"


def ratio_budgets(rows: dict[str, dict]) -> list[dict]:
    """Throughput against the static ceiling (cached pages) and the hello baseline (the app's)."""
    ceiling, baseline = rows["static"], rows["hello"]
    budgets = []
    for key in ("home", "site", "post", "feed"):
        ratio = rows[key]["rps"] / ceiling["rps"]
        name = f"{rows[key]['label']} ≥ {PUBLIC_OVER_CEILING}× the static ceiling"
        why = (
            f"nginx serves a cached copy of {row_bytes(rows[key])}: the gap to the static file "
            "is the copy's size, and other work on the machine (bench/README.md, the feed)"
        )
        budgets.append(budget(name, f"{ratio:.2f}×", ratio >= PUBLIC_OVER_CEILING, why))
    floors = [("dashboard", DASHBOARD_OVER_BASELINE)] + [
        (key, UNCACHED_OVER_BASELINE) for key in ("home-app", "site-app", "post-app")
    ]
    for key, floor in floors:
        row = rows[key]
        ratio = row["rps"] / baseline["rps"]
        name = f"{row['label']} ≥ {floor}× the hello baseline"
        why = (
            f"p50 {row['p50_ms']:.1f} ms against hello's {baseline['p50_ms']:.1f} ms: the page's "
            "own work (python -m bench.profile)"
        )
        budgets.append(budget(name, f"{ratio:.2f}×", ratio >= floor, why))
    return budgets


def tail_budgets(rows: dict[str, dict], connections: int) -> list[dict]:
    """p99 within a multiple of p50, for every page the app answers itself, at two loads."""
    budgets = []
    for suffix, limit in ((f"-c{FEW_CONNECTIONS}", TAIL_AT_FEW), ("", TAIL_AT_MANY)):
        hello = rows.get(f"hello{suffix}")
        floor = hello["p99_ms"] / hello["p50_ms"] if hello and hello["p50_ms"] else None
        conns = FEW_CONNECTIONS if suffix else connections
        for key in APP_SCENARIOS:
            row = rows.get(key + suffix)
            if row is None:
                continue
            spread = row["p99_ms"] / row["p50_ms"] if row["p50_ms"] else float("inf")
            name = f"{rows[key]['label']}: p99 ≤ {limit}× p50 at {conns} conns"
            reached = f"p99 {row['p99_ms']:.0f} ms = {spread:.1f}× p50"
            why = f"hello's own p99 is {floor:.1f}× its p50 in this run" if floor else ""
            budgets.append(budget(name, reached, spread <= limit, why))
    return budgets


def growth_budget() -> dict:
    """The uncached home page on 100,000 posts: from the last growth run, if there is one."""
    name = f"uncached home page, 100,000 posts ≤ {GROWTH_SLOWDOWN}× its 1,000-post time"
    if not GROWTH_RESULTS.exists():
        return budget(name, "not measured", None, 'make bench BENCH_ARGS="--growth" measures it')
    saved = json.loads(GROWTH_RESULTS.read_text())
    for comparison in saved.get("growth", []):
        if comparison["page"] == "home page, cache bypassed":
            reached = f"{comparison['slowdown']:.2f}× (growth run of {saved['generated'][:10]})"
            return budget(name, reached, comparison["met"], "the list's query grows with posts")
    return budget(name, "not measured", None, 'make bench BENCH_ARGS="--growth" measures it')


def check_budgets(rows: dict[str, dict], memory: dict | None, connections: int = 50) -> list[dict]:
    """Each budget with what this run reached: met True, False, or None (not measured)."""
    budgets = ratio_budgets(rows) + tail_budgets(rows, connections)
    if "remote-gevent" in rows:
        gevent, sync = rows["remote-gevent"], rows["remote-sync"]
        ratio = gevent["rps"] / sync["rps"] if sync["rps"] else float("inf")
        met = ratio >= GEVENT_OVER_SYNC and gevent["p99_ms"] < REMOTE_P99_MS
        name = f"remote DB: gevent ≥ {GEVENT_OVER_SYNC}× sync, p99 < {REMOTE_P99_MS} ms, no errors"
        reached = f"{ratio:.1f}×, p99 {gevent['p99_ms']:.0f} ms, {gevent['errors']} errors"
        why = (
            f"sync is capped at workers ÷ time per page ({sync['rps']:.0f} req/s); gevent at the "
            f"CPU ({gevent['rps']:.0f} req/s): the ratio is at most the CPU's pages per second "
            "× the page's wait ÷ workers"
        )
        budgets.append(budget(name, reached, met and gevent["errors"] == 0, why))
    else:
        budgets.append(
            budget("remote DB: gevent against sync", "not measured", None, "--no-remote")
        )
    if memory is not None:
        first, last = memory["samples"][0], memory["samples"][-1]
        name = (
            f"gevent worker RSS grows < {MEMORY_GROWTH_MB} MB from "
            f"{first['requests']:,} to {last['requests']:,} requests"
        )
        reached = f"{memory['growth_mb']:+.1f} MB ({first['rss_mb']:.1f} → {last['rss_mb']:.1f} MB)"
        budgets.append(budget(name, reached, memory["growth_mb"] < MEMORY_GROWTH_MB, "a leak"))
    budgets.append(growth_budget())
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
    return "\n".join(
        f"  [{marks[b['met']]:>7}] {b['budget']}: {b['reached']}"
        + (f"\n            why: {b['why']}" if b.get("why") else "")
        for b in budgets
    )


def print_report(results: dict) -> None:
    """The table and the budgets of the main run."""
    by_key = {row["key"]: row for row in results["scenarios"]}
    print()
    print(table(results["scenarios"], by_key["hello"]["rps"], by_key["static"]["rps"]))
    print()
    print("Budgets:")
    print(budget_lines(results["budgets"]))


def print_growth_report(results: dict) -> None:
    """The table and the comparisons of the growth run."""
    small, large = results["settings"]["posts"]
    print()
    print(table(results["scenarios"], None, None))
    print(
        f"\nBudget: {large:,} posts no slower than {GROWTH_SLOWDOWN}× {small:,} posts "
        "(req/s at 1,000 ÷ req/s at 100,000):"
    )
    for c in results["growth"]:
        mark = "met" if c["met"] else "MISSED"
        print(f"  [{mark:>6}] {c['page']}: {c['slowdown']:.2f}× slower (p50 ×{c['p50_ratio']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="?", default=RESULTS, help="a JSON file")
    saved = json.loads(parser.parse_args(argv).results.read_text())
    if "growth" in saved:
        print_growth_report(saved)
    else:
        print_report(saved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
