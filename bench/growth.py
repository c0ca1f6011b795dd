"""`make bench BENCH_ARGS="--growth"`: the home and site pages on 1,000 and on 100,000 posts."""

import json
import tempfile
import time
from pathlib import Path

from bench import dataset, report
from bench.measure import Run, load_average
from bench.scenarios import growth_scenarios, growth_stacks
from deploy.stack import start_all, stop_all


def compare(rows: dict[str, dict], small: int, large: int) -> list[dict]:
    """How much slower each page is on the large database than on the small one."""
    comparisons = []
    for page in ("home", "site", "home-app", "site-app"):
        before, after = rows[f"{page}-{small}"], rows[f"{page}-{large}"]
        slowdown = before["rps"] / after["rps"] if after["rps"] else float("inf")
        p50_ratio = after["p50_ms"] / before["p50_ms"] if before["p50_ms"] else float("inf")
        comparisons.append(
            {
                "page": after["label"].replace(f", {large:,} posts", ""),
                "slowdown": round(slowdown, 2),
                "p50_ratio": round(p50_ratio, 2),
                "met": slowdown <= report.GROWTH_SLOWDOWN,
            }
        )
    return comparisons


def growth(arguments) -> int:
    """Home and site pages on 1,000 and on 100,000 posts, both stacks measured in every round."""
    started = time.monotonic()
    load_before = load_average()
    small, large = arguments.growth_posts
    databases = {size: dataset.ensure_database(arguments.sites, size) for size in (small, large)}
    with tempfile.TemporaryDirectory(prefix="inkpot-growth-") as run_dir:
        configs = growth_stacks(arguments, databases, Path(run_dir))
        print(f"Starting {len(configs)} stacks…", flush=True)
        stacks = dict(zip(configs, start_all(configs.values(), migrate_first=False), strict=True))
        scenarios = growth_scenarios((small, large))
        try:
            Run(arguments, stacks).measure(scenarios)
        finally:
            stop_all(stacks.values())
    rows = report.rows(scenarios, arguments.connections)
    settings = report.run_settings(arguments, [small, large])
    results = report.assemble(
        arguments,
        started,
        load_before,
        scenarios,
        rows,
        settings,
        growth=compare(rows, small, large),
    )
    output = arguments.output or report.GROWTH_RESULTS
    output.write_text(json.dumps(results, indent=2) + "\n")
    report.print_growth_report(results)
    print(f"\nWritten {output}; {results['seconds']} s in all.")
    return 0
