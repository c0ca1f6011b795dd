"""`make screenshots`: the key pages of every layout, at desktop and phone widths, as small PNGs.

Each layout is served on a free loopback port from one throwaway database holding the demo
data, and Debian's Chromium (driven by Playwright, nothing downloaded) takes the pictures into
docs/screenshots/<layout>-<page>-<width>.png. The home page and a post are taken in Chinese
too (`-zh` pages), by a browser set to Chinese; they need a CJK font (fonts-noto-cjk).
"""

import sys
import tempfile
import threading
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from deploy import LAYOUTS, layout_module
from scripts.chromium import CHROMIUM, CHROMIUM_ARGS, save_small_png
from shared_models import db
from shared_models.demo import DEMO_ADMIN, DEMO_PASSWORD, seed_demo
from shared_models.models import Post, Site

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "screenshots"
# Modest heights keep each PNG small: they are committed.
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}
WRITER = "ada@example.com"
SHOWN_POST = "On the Analytical Engine"


class QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def make_layout_app(layout: str, database_url: str):
    return layout_module(layout).create_app(
        {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False}
    )


def prepare_database(layout: str, database_url: str) -> Post:
    """Migrate and seed the demo data; the post the pictures show."""
    app = make_layout_app(layout, database_url)
    with app.app_context():
        upgrade()
        seed_demo()
        post = db.session.execute(
            select(Post).join(Post.site).where(Site.slug == "ada", Post.title == SHOWN_POST)
        ).scalar_one()
        db.session.expunge(post)
        db.engine.dispose()
    return post


# The browser's language setting for each language of the pictures.
BROWSER_LOCALES = {"en": "en-GB", "zh-Hans": "zh-CN"}


def pages(post: Post) -> list[tuple[str, str, str | None, str]]:
    """(name, path, who is signed in, language) for every picture."""
    return [
        ("home", "/", None, "en"),
        ("site", "/sites/ada/", None, "en"),
        ("post", f"/sites/ada/{post.slug}", None, "en"),
        ("dashboard", "/dashboard/", WRITER, "en"),
        ("editor", f"/dashboard/posts/{post.id}/edit", WRITER, "en"),
        ("admin", "/admin/", DEMO_ADMIN, "en"),
        ("home-zh", "/", None, "zh-Hans"),
        ("post-zh", f"/sites/ada/{post.slug}", None, "zh-Hans"),
        ("dashboard-zh", "/dashboard/", WRITER, "zh-Hans"),
    ]


def photograph(browser, layout: str, base_url: str, post: Post) -> list[Path]:
    """Every page at every size; the paths of the PNGs written."""
    taken = []
    darkroom = browser.new_page()  # a blank page (no CSP) where screenshots are quantized
    try:
        for size_name, viewport in SIZES.items():
            tabs = {}  # one browser tab per person and language, signed in once
            for page_name, path, email, language in pages(post):
                if (email, language) not in tabs:
                    tabs[email, language] = open_tab(browser, viewport, base_url, email, language)
                tab = tabs[email, language]
                response = tab.goto(base_url + path)
                assert response is not None and response.ok, (
                    f"{layout} {path}: {response and response.status}"
                )
                drawn_in = tab.evaluate("document.documentElement.lang")
                assert drawn_in == language, f"{layout} {path} is in {drawn_in}, not {language}"
                target = OUTPUT / f"{layout}-{page_name}-{size_name}.png"
                screenshot = tab.screenshot(full_page=False, animations="disabled", caret="hide")
                save_small_png(darkroom, screenshot, target)
                taken.append(target)
            for tab in tabs.values():
                tab.context.close()
    finally:
        darkroom.context.close()
    return taken


def open_tab(browser, viewport: dict, base_url: str, email: str | None, language: str):
    """A tab in a fresh context at this size and language, signed in as `email` unless None."""
    context = browser.new_context(
        viewport=viewport, color_scheme="light", locale=BROWSER_LOCALES[language]
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    if email:
        tab.goto(base_url + "/login")
        tab.locator("#email").fill(email)
        tab.locator("#password").fill(DEMO_PASSWORD)
        with tab.expect_navigation():
            tab.locator("form.card button[type=submit]").click()
        assert tab.url.endswith("/dashboard/"), f"signing in as {email} failed: {tab.url}"
    return tab


def main() -> int:
    if not CHROMIUM.exists():
        print(f"Screenshots need Debian's Chromium at {CHROMIUM}.", file=sys.stderr)
        return 1
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        database_url = f"sqlite:///{Path(scratch) / 'demo.sqlite3'}"
        post = prepare_database(LAYOUTS[0], database_url)
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            for layout in LAYOUTS:
                app = make_layout_app(layout, database_url)
                server = make_server(
                    "127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler
                )
                thread = threading.Thread(target=server.serve_forever, daemon=True)
                thread.start()
                try:
                    url = f"http://127.0.0.1:{server.server_port}"
                    taken = photograph(browser, layout, url, post)
                finally:
                    server.shutdown()
                    server.server_close()
                    with app.app_context():
                        db.engine.dispose()
                total = sum(path.stat().st_size for path in taken)
                print(f"{layout}: {len(taken)} screenshots, {total // 1024} KB")
                for path in taken:
                    print(f"  {path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
