"""Measuring with wrk: every scenario round after round, and one worker's memory over many requests.

Visitors sign in through the real form, so the signed-in scenarios carry a real
session cookie; the machine's load is read before and during every round.
"""

import argparse
import http.client
import json
import os
import re
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from bench import dataset
from bench.scenarios import BYPASS_COOKIE, Scenario, bench_stack, errors
from deploy.processes import http_get
from deploy.stack import RunningStack, StackError, start_all, stop_all

BENCH = Path(__file__).resolve().parent
REPORT_SCRIPT = BENCH / "report.lua"
MIX_SCRIPT = BENCH / "mix.lua"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def wait_for_quiet(max_load: float, max_wait: float) -> None:
    """Wait (bounded) until the one-minute load average drops below max_load."""
    deadline = time.monotonic() + max_wait
    while os.getloadavg()[0] >= max_load and time.monotonic() < deadline:
        print(f"  load average {os.getloadavg()[0]:.2f} ≥ {max_load}: waiting…", flush=True)
        time.sleep(15)


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
        fields = {"email": email, "password": password, "csrf_token": token.group(1)}
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        headers = {**host, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/login", body=urllib.parse.urlencode(fields), headers=headers)
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


def run_wrk(
    port: int, path: str, connections: int, duration: int, threads: int, headers: dict[str, str]
) -> dict:
    """One wrk run; its numbers as report.lua prints them."""
    command = [
        "wrk",
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--timeout=5s",
        f"--script={REPORT_SCRIPT}",
    ]
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
            return {**scenario.headers, "Cookie": self.cookies[scenario.stack]}
        if scenario.visitor == "bypass":
            cookie = BYPASS_COOKIE.format(app=f"{self.arguments.layout}_layout")
            return {**scenario.headers, "Cookie": cookie}
        return dict(scenario.headers)

    def wrk(self, scenario: Scenario, duration: int) -> dict:
        return run_wrk(
            self.stacks[scenario.stack].config.port,
            scenario.path,
            scenario.connections or self.arguments.connections,
            duration,
            self.arguments.threads,
            self.headers_for(scenario),
        )

    def measure(self, scenarios: list[Scenario]) -> None:
        """Every scenario once per round, round after round, printing as it goes."""
        arguments = self.arguments
        if arguments.warmup > 0:
            # Not recorded: every worker compiles its templates and opens its database
            # connections, and nginx's cache holds every public page, as on a live server.
            print(f"Warming up ({arguments.warmup:g} s per scenario)…", flush=True)
            for scenario in scenarios:
                self.wrk(scenario, arguments.warmup)
        for number in range(1, arguments.rounds + 1):
            print(f"Round {number} of {arguments.rounds} (load {load_average()})", flush=True)
            for scenario in scenarios:
                result = self.wrk(scenario, arguments.duration)
                result["load"] = load_average()[0]
                scenario.rounds.append(result)
                rps = result["requests"] / (result["duration_us"] / 1e6)
                print(
                    f"  {scenario.label:<44} {rps:>9,.0f} req/s  "
                    f"p99 {result['p99_us'] / 1000:>7.1f} ms  errors {errors(result)}",
                    flush=True,
                )


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
        app = f"http://127.0.0.1:{stack.config.app_ports[0]}/"
        samples = []
        done, errors_so_far, rate = 0, 0, 200.0
        for target in (first, last):
            started = time.monotonic()
            # wrk runs for a time, not a count: short runs, each sized by the rate so far.
            while done < target:
                seconds = round(min(max((target - done) / rate, 1), 30))
                command = ["wrk", "--threads=1", "--connections=10", f"--duration={seconds}s"]
                command += ["--timeout=10s", f"--script={MIX_SCRIPT}", app, "--", cookie, *paths]
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
            print(
                f"  after {done:>6,} requests: worker RSS {sample['rss_mb']:.1f} MB "
                f"({sample['errors']} errors, {sample['seconds']} s)",
                flush=True,
            )
    finally:
        stop_all([stack])
    return {
        "samples": samples,
        "growth_mb": samples[-1]["rss_mb"] - samples[0]["rss_mb"],
        "paths": paths,
    }
