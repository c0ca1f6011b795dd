"""Where slow requests come from: gunicorn variants side by side, read from their logs.

    python -m bench.tail                                   # the shipped config vs a few variants
    python -m bench.tail --variant shipped: --variant wc10:GUNICORN_WORKER_CONNECTIONS=10 \\
        --scenario dashboard --connections 10,50 --rounds 3 --duration 5

Each variant is the production stack (deploy/) with some env-file values or
gunicorn options changed (`max_requests=0`, `worker_class=sync`, `workers=3`, `keep_alive=0`,
any other KEY=VALUE goes into the env file). Every variant is measured in every
round, one after the other, so the machine's noise falls on all alike; each
request carries a `tail=` tag in its query string, so the logs tell the rounds
apart. From gunicorn's access log (`%(M)sms ... worker=%(p)s`) and nginx's
(`upstream_time=`, `time=`) it reports: how the requests spread over the
workers, the latency gunicorn saw against the one wrk saw (the difference is
time spent queued before a worker read the request), how many workers were
replaced during the round, and how many of the slow requests (over ten times the
median) a worker served among its first requests after it started.
bench/README.md ("The tail") shows what it found.
"""

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench import dataset
from bench.measure import load_average, newest_post_path, run_wrk, sign_in, wait_for_quiet
from bench.scenarios import BYPASS_COOKIE, bench_stack
from deploy import LAYOUTS
from deploy.stack import start_all, stop_all

BENCH = Path(__file__).resolve().parent
SITE = f"/sites/{dataset.BENCH_USERNAME}/"
# key: (path or None for the newest post, visitor)
SCENARIOS = {
    "hello": ("/hello", "anonymous"),  # with a variant serving wsgi_app=bench.hello:app
    "dashboard": ("/dashboard/", "signed-in"),
    "home-signed-in": ("/", "signed-in"),
    "site-signed-in": (SITE, "signed-in"),
    "post-signed-in": (None, "signed-in"),
    "home-app": ("/", "bypass"),
    "site-app": (SITE, "bypass"),
    "post-app": (None, "bypass"),
    "feed-app": (SITE + "feed.xml", "bypass"),
}
STACK_FIELDS = {"max_requests": int, "worker_class": str, "workers": int, "wsgi_app": str}
# gunicorn options a variant may change on the command line.
GUNICORN_OPTIONS = {"keep_alive": "--keep-alive", "backlog": "--backlog"}
# A request this many times slower than its round's median is "slow".
SLOW = 10
# A worker's first requests after it started: where starting costs would show.
EARLY = 50
ACCESS = re.compile(
    r'"GET (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d+) \S+ (?P<ms>\d+)ms .* worker=<?(?P<pid>\d+)'
)
NGINX = re.compile(
    r'"GET (?P<path>\S+) HTTP/[\d.]+" .* upstream_time=(?P<upstream>[\d.]+) time=(?P<time>[\d.]+)'
)


def variant(text: str) -> tuple[str, dict, dict]:
    """NAME:KEY=VALUE,KEY=VALUE → (name, env-file settings, Stack fields)."""
    name, _, pairs = text.partition(":")
    settings, fields = {}, {}
    for pair in filter(None, pairs.split(",")):
        key, _, value = pair.partition("=")
        if key in STACK_FIELDS:
            fields[key] = STACK_FIELDS[key](value)
        elif key in GUNICORN_OPTIONS:
            fields["gunicorn_args"] = (
                *fields.get("gunicorn_args", ()),
                GUNICORN_OPTIONS[key],
                value,
            )
        else:
            settings[key] = value
    return name, settings, fields


def tagged(path: str, tag: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}tail={tag}"


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


def analyse(access_log: str, nginx_log: str, tag: str) -> dict:
    """What the logs say about one round: spread over workers, latency, restarts, early slowness."""
    seen_before: dict[int, int] = Counter()
    marker = f"tail={tag}"
    # A worker's rank counts every request it served, earlier rounds' too.
    order = []
    for line in access_log.splitlines():
        match = ACCESS.search(line)
        if not match:
            continue
        pid = int(match["pid"])
        rank = seen_before[pid]
        seen_before[pid] += 1
        if match["path"].endswith(marker):
            order.append((pid, rank, int(match["ms"])))
    if not order:
        return {}
    latencies = [ms for _, _, ms in order]
    median = statistics.median(latencies)
    slow = [(pid, rank, ms) for pid, rank, ms in order if ms > SLOW * max(median, 1)]
    per_worker = Counter(pid for pid, _, _ in order)
    upstream = [
        float(m["upstream"]) * 1000
        for m in map(NGINX.search, nginx_log.splitlines())
        if m and m["path"].endswith(marker)
    ]
    return {
        "requests": len(order),
        "workers_seen": len(per_worker),
        "new_workers": sum(1 for pid, rank, _ in order if rank == 0),
        "busiest_worker_share": max(per_worker.values()) / len(order),
        "quietest_worker_share": min(per_worker.values()) / len(order),
        "gunicorn_p50_ms": median,
        "gunicorn_p99_ms": percentile(latencies, 0.99),
        "gunicorn_max_ms": max(latencies),
        "nginx_upstream_p99_ms": percentile(upstream, 0.99),
        "slow_requests": len(slow),
        "slow_in_first_requests_of_a_worker": sum(1 for _, rank, _ in slow if rank < EARLY),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", choices=LAYOUTS, default=LAYOUTS[0])
    parser.add_argument(
        "--variant",
        type=variant,
        action="append",
        help="NAME:KEY=VALUE,... (repeatable); default: the shipped config and three others",
    )
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS))
    parser.add_argument("--connections", default="10,50", help="comma-separated (10,50)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-load", type=float)
    parser.add_argument("--output", type=Path, default=BENCH / "tail.json")
    parser.add_argument(
        "--setting", action="append", default=[], help="KEY=VALUE for every variant"
    )
    arguments = parser.parse_args(argv)
    arguments.setting = dict(item.split("=", 1) for item in arguments.setting)
    variants = arguments.variant or [
        variant("shipped:"),
        variant("never-recycled:max_requests=0"),
        variant("wc10:GUNICORN_WORKER_CONNECTIONS=10"),
        variant("sync:worker_class=sync"),
    ]
    scenarios = arguments.scenario or ["dashboard", "home-app"]
    connections = [int(n) for n in arguments.connections.split(",")]
    if arguments.max_load:
        wait_for_quiet(arguments.max_load, 600)
    database = dataset.ensure_database(100, 10_000)
    results = []
    with tempfile.TemporaryDirectory(prefix="inkpot-tail-") as run_dir:
        configs = {
            name: bench_stack(arguments, Path(run_dir) / name, database, settings, **fields)
            for name, settings, fields in variants
        }
        print(f"Starting {len(configs)} stacks ({', '.join(configs)})…", flush=True)
        stacks = dict(zip(configs, start_all(configs.values(), migrate_first=False), strict=True))
        try:
            signs_in = any(SCENARIOS[s][1] == "signed-in" for s in scenarios)
            cookies = {
                name: sign_in(stack.config.port, dataset.BENCH_EMAIL, dataset.BENCH_PASSWORD)
                if signs_in
                else ""
                for name, stack in stacks.items()
            }
            first = next(iter(stacks.values()))
            post = (
                newest_post_path(first.config.port, dataset.BENCH_USERNAME)
                if any(SCENARIOS[s][0] is None for s in scenarios)
                else None
            )
            bypass = BYPASS_COOKIE.format(app=f"{arguments.layout}_layout")
            for number in range(arguments.rounds + 1):
                warmup = number == 0
                print("Warming up…" if warmup else f"Round {number} (load {load_average()})")
                for scenario in scenarios:
                    path, visitor = SCENARIOS[scenario]
                    for conns in connections:
                        for name, stack in stacks.items():
                            tag = f"{number}-{scenario}-{conns}-{name}"
                            cookie = {"signed-in": cookies[name], "bypass": bypass}.get(visitor)
                            wrk = run_wrk(
                                stack.config.port,
                                tagged(path or post, tag),
                                conns,
                                1 if warmup else arguments.duration,
                                arguments.threads,
                                {"Cookie": cookie} if cookie else {},
                            )
                            if warmup:
                                continue
                            time.sleep(0.5)  # the last lines reach the logs
                            row = {
                                "round": number,
                                "scenario": scenario,
                                "connections": conns,
                                "variant": name,
                                "rps": wrk["requests"] / (wrk["duration_us"] / 1e6),
                                "wrk_p50_ms": wrk["p50_us"] / 1000,
                                "wrk_p99_ms": wrk["p99_us"] / 1000,
                                "load": load_average()[0],
                                # Redis reads that failed or timed out (the cache then rests).
                                "page_cache_failures": stack.read_log("inkpot-app.log").count(
                                    "The page cache is unavailable"
                                ),
                                **analyse(
                                    stack.read_log("inkpot-access.log"),
                                    stack.read_log("nginx-access.log"),
                                    tag,
                                ),
                            }
                            results.append(row)
                            print(
                                f"  {scenario:<15} c{conns:<3} {name:<16} {row['rps']:7.0f} req/s "
                                f"wrk p50 {row['wrk_p50_ms']:6.1f} p99 {row['wrk_p99_ms']:7.1f} | "
                                f"gunicorn p99 {row.get('gunicorn_p99_ms', 0):6.0f} "
                                f"max {row.get('gunicorn_max_ms', 0):5.0f} | "
                                f"workers {row.get('workers_seen', 0)} "
                                f"(+{row.get('new_workers', 0)} new) busiest "
                                f"{row.get('busiest_worker_share', 0):.0%} | slow "
                                f"{row.get('slow_requests', 0)}, early "
                                f"{row.get('slow_in_first_requests_of_a_worker', 0)} | cache "
                                f"failures so far {row['page_cache_failures']}",
                                flush=True,
                            )
        finally:
            stop_all(stacks.values())
    arguments.output.write_text(json.dumps({"rows": results}, indent=2) + "\n")
    print(f"Written {arguments.output}")
    summary = defaultdict(list)
    for row in results:
        summary[(row["scenario"], row["connections"], row["variant"])].append(row)
    print("\nMedians over the rounds: req/s, wrk p50 / p99 (ms), p99 ÷ p50")
    for (scenario, conns, name), rows in summary.items():
        rps = statistics.median(r["rps"] for r in rows)
        p50 = statistics.median(r["wrk_p50_ms"] for r in rows)
        p99 = statistics.median(r["wrk_p99_ms"] for r in rows)
        ratio = p99 / p50 if p50 else 0.0
        print(
            f"  {scenario:<15} c{conns:<3} {name:<16} {rps:7.0f}"
            f"  {p50:6.1f} / {p99:7.1f}  {ratio:5.1f}×"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
