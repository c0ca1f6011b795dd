"""Browser fixtures: each layout served on a free loopback port, one Chromium, visitors.

The journeys drive Debian's Chromium through Playwright (no browser downloads). Without
/usr/bin/chromium they are skipped, unless CI=true, where a missing browser is a failure.
Every journey runs once in each language; in Chinese it needs a CJK font (Debian's
fonts-noto-cjk), without which Chromium draws empty boxes: skipped on a laptop without
one, a failure under CI=true, and every Chinese page is checked for real glyphs anyway.
"""

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from scripts.chromium import CHROMIUM, CHROMIUM_ARGS
from shared_models import accounts, db, publishing
from tests.browser.visitors import Visitor, new_visitor
from tests.support.apps import make_app
from tests.support.clients import PASSWORD
from tests.support.machine import free_port, unavailable


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session; each test opens its own context."""
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(
            f"browser journeys need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000
        )
        yield browser
        browser.close()


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without a log line per request; errors are still logged."""

    def log_request(self, *args, **kwargs):
        pass


@dataclass
class LiveServer:
    """A layout served by a real WSGI server in a thread, on its own fresh database."""

    app: Flask
    url: str

    def create_user(self, username, admin=False, posts=()):
        """A user with a site and these (title, Markdown) posts, all published."""
        with self.app.app_context():
            user = accounts.sign_up(username, f"{username}@example.com", PASSWORD, confirmed=True)
            if admin:
                accounts.create_admin(user.email, PASSWORD)
            for title, body in posts:
                publishing.create_post(user, title, body, published=True)
            db.session.remove()


@pytest.fixture
def live_server(layout, database_url):
    # Its own address is its PUBLIC_URL: the links in its emails lead back to it.
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(layout, database_url, RATELIMIT_ENABLED=False, PUBLIC_URL=url)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    try:
        yield LiveServer(app, url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(params=["en", "zh-Hans"])
def language(request):
    """The language of the visitors' browsers; Chinese needs a CJK font to be drawn at all."""
    if request.param == "zh-Hans":
        require_chinese_fonts()
    return request.param


def require_chinese_fonts() -> None:
    fc_list = shutil.which("fc-list")
    found = (
        fc_list
        and subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
        ).stdout.strip()
    )
    if not found:
        unavailable("Chinese pages need a CJK font (apt-get install fonts-noto-cjk)")


@pytest.fixture
def open_visitor(browser, live_server, language):
    """`open_visitor(**context_options)`: another visitor, in a browser context of their own."""
    visitors = []

    def open_visitor(**options) -> Visitor:
        options.setdefault("language", language)
        visitors.append(new_visitor(browser, live_server.url, **options))
        return visitors[-1]

    yield open_visitor
    for visitor in visitors:
        visitor.page.context.close()


@pytest.fixture
def visitor(open_visitor) -> Visitor:
    """An anonymous visitor on a phone-sized screen, JavaScript on."""
    return open_visitor()
