"""How Inkpot launches Debian's Chromium, for the browser tests, screenshots and the bench chart."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and none of Chromium's own traffic (updates, sync, safe browsing):
# this machine reaches only 127.0.0.1, and never `playwright install`.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
