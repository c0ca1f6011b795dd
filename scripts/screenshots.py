"""`make screenshots`: the key pages of every layout, at desktop and phone widths, as small PNGs.

Each layout is served on a free loopback port from one throwaway database holding the demo
data, and Debian's Chromium (driven by Playwright, nothing downloaded) takes the pictures into
docs/screenshots/<layout>-<page>-<width>.png. The home page and a post are taken in Chinese
too (`-zh` pages), by a browser set to Chinese; they need a CJK font (fonts-noto-cjk).
"""

import base64
import struct
import sys
import tempfile
import threading
import zlib
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from deploy import LAYOUTS, layout_module
from scripts.chromium import CHROMIUM, CHROMIUM_ARGS
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


# Screenshots of a UI hold few colours: the 256 most used ones (the rest mapped to the nearest
# of them) give an indexed PNG a third the size of Chromium's truecolour one, with no visible loss.
QUANTIZE = """async (png) => {
  const image = new Image();
  image.src = 'data:image/png;base64,' + png;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const rgba = context.getImageData(0, 0, image.width, image.height).data;
  const counts = new Map();
  for (let i = 0; i < rgba.length; i += 4) {
    const colour = (rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2];
    counts.set(colour, (counts.get(colour) || 0) + 1);
  }
  const palette = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 256).map(([colour]) => colour);
  const slot = new Map(palette.map((colour, i) => [colour, i]));
  const nearest = (colour) => {
    let best = 0, bestDistance = Infinity;
    palette.forEach((candidate, i) => {
      const dr = (candidate >> 16) - (colour >> 16);
      const dg = ((candidate >> 8) & 255) - ((colour >> 8) & 255);
      const db = (candidate & 255) - (colour & 255);
      const distance = 3 * dr * dr + 4 * dg * dg + 2 * db * db;
      if (distance < bestDistance) [best, bestDistance] = [i, distance];
    });
    return best;
  };
  const indices = new Uint8Array(image.width * image.height);
  for (let i = 0, p = 0; i < rgba.length; i += 4, p++) {
    const colour = (rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2];
    let index = slot.get(colour);
    if (index === undefined) slot.set(colour, index = nearest(colour));
    indices[p] = index;
  }
  let binary = '';
  for (let i = 0; i < indices.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, indices.subarray(i, i + 0x8000));
  }
  return {width: image.width, height: image.height, palette, indices: btoa(binary)};
}"""


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def write_indexed_png(path: Path, width: int, height: int, palette: list[int], indices: bytes):
    """An 8-bit palette PNG, compressed as hard as zlib goes."""
    rows = b"".join(b"\x00" + indices[row * width : (row + 1) * width] for row in range(height))
    plte = b"".join(colour.to_bytes(3, "big") for colour in palette)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
        + png_chunk(b"PLTE", plte)
        + png_chunk(b"IDAT", zlib.compress(rows, 9))
        + png_chunk(b"IEND", b"")
    )


def save_small_png(darkroom, screenshot: bytes, path: Path) -> None:
    """Quantize a screenshot in the browser (`darkroom`, a blank page) and save it indexed."""
    image = darkroom.evaluate(QUANTIZE, base64.b64encode(screenshot).decode("ascii"))
    indices = base64.b64decode(image["indices"])
    write_indexed_png(path, image["width"], image["height"], image["palette"], indices)


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
