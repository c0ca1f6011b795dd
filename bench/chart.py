"""docs/bench.png from bench/results.json: an SVG bar chart, photographed by Debian's Chromium.

    python -m bench.chart            # redraw the chart from the last results

No plotting library: the chart is a few lines of SVG, and Playwright (a dev
dependency already, with /usr/bin/chromium, as scripts/chromium.py launches it) turns
it into a small PNG for the README.
"""

import json
import math
import sys
from html import escape
from pathlib import Path

from scripts.chromium import CHROMIUM, CHROMIUM_ARGS, save_small_png

WIDTH = 860
ROW = 24
LABEL_WIDTH = 270
BAR_WIDTH = 330
TOP = 58

# Bars by what they measure: the two yardsticks, nginx's cache, the app itself, gevent vs sync.
COLOURS = {
    "static": "#6b7280",
    "hello": "#6b7280",
    "home": "#15803d",
    "site": "#15803d",
    "post": "#15803d",
    "feed": "#15803d",
}
APP_COLOUR = "#c2410c"
REMOTE_COLOUR = "#7c3aed"


def colour(key: str) -> str:
    if key.startswith("remote"):
        return REMOTE_COLOUR
    return COLOURS.get(key, APP_COLOUR)


def svg(results: dict) -> str:
    """Horizontal bars of req/s on a log scale (the rows span four orders of magnitude)."""
    rows = results["scenarios"]
    top = max(row["rps"] for row in rows)
    decades = math.ceil(math.log10(max(top, 10)))
    height = TOP + ROW * len(rows) + 44

    def x(rps: float) -> float:
        return LABEL_WIDTH + BAR_WIDTH * max(math.log10(max(rps, 1)), 0) / decades

    settings, machine = results["settings"], results["machine"]
    title = (
        f"Inkpot ({settings['layout']} layout), {settings['posts']:,} posts: "
        f"requests per second, wrk -c{settings['connections']}, {settings['rounds']} rounds × "
        f"{settings['duration_s']:g} s"
    )
    subtitle = (
        f"{machine['cores']} cores, {machine['memory_gib']} GiB; nginx → gunicorn "
        f"({settings['gunicorn_workers']} gevent workers); log scale"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
        f'<text x="12" y="22" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<text x="12" y="40" fill="#4b5563">{escape(subtitle)}</text>',
    ]
    for decade in range(decades + 1):
        gx = LABEL_WIDTH + BAR_WIDTH * decade / decades
        bottom = TOP + ROW * len(rows)
        parts += [
            f'<line x1="{gx:.1f}" y1="{TOP - 6}" x2="{gx:.1f}" y2="{bottom}" stroke="#e5e7eb"/>',
            f'<text x="{gx:.1f}" y="{bottom + 14}" fill="#6b7280" text-anchor="middle">'
            f"{10**decade:,}</text>",
        ]
    for index, row in enumerate(rows):
        y = TOP + ROW * index
        label = row["label"]
        if row["key"].startswith("remote"):
            label += f" (c{row['connections']})"
        value = f"{row['rps']:,.0f}/s · p99 {row['p99_ms']:,.0f} ms"
        if row["errors"]:
            value += f" · {row['errors']} errors"
        parts += [
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{x(row["rps"]) - LABEL_WIDTH:.1f}" '
            f'height="{ROW - 8}" fill="{colour(row["key"])}"/>',
            f'<text x="{x(row["rps"]) + 6:.1f}" y="{y + 15}" fill="#111827">{escape(value)}</text>',
        ]
    legend_y = height - 10
    legend = [
        ("yardsticks", "#6b7280"),
        ("nginx micro-cache", "#15803d"),
        ("the app renders", APP_COLOUR),
        ("remote database", REMOTE_COLOUR),
    ]
    lx = 12
    for name, fill in legend:
        parts.append(f'<rect x="{lx}" y="{legend_y - 10}" width="10" height="10" fill="{fill}"/>')
        parts.append(f'<text x="{lx + 14}" y="{legend_y}" fill="#374151">{escape(name)}</text>')
        lx += 24 + 7 * len(name)
    parts.append("</svg>")
    return "\n".join(parts)


def draw_chart(results: dict, output: Path) -> Path:
    """Render the chart to a PNG at output (its folder is created)."""
    from playwright.sync_api import sync_playwright

    output.parent.mkdir(parents=True, exist_ok=True)
    picture = svg(results)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": WIDTH, "height": 200})
            tab.set_content(f'<!doctype html><html><body style="margin:0">{picture}</body></html>')
            screenshot = tab.locator("svg").screenshot(animations="disabled")
            # An indexed PNG, as the screenshots are: a third of Chromium's size.
            save_small_png(tab, screenshot, output)
        finally:
            browser.close()
    return output


def main() -> int:
    from bench.report import CHART, RESULTS

    draw_chart(json.loads(RESULTS.read_text()), CHART)
    print(f"Drew {CHART}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
