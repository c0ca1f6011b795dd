"""The page cache: the costly, impersonal parts of public pages, drawn once, shared by all workers.

nginx's micro-cache answers anonymous readers with whole pages; a signed-in
reader's page is personal (their navigation, their CSRF token), so it is drawn
by the app every time. What is the same for every reader, the list of posts
and the Atom feed, is kept here instead, as rendered HTML, and the personal
page is drawn around it: a template marks such a part with

    {% call cached("home posts", posts.version) %} ... {% endcall %}

and the block runs only when the cache has a copy for no other state of the
data. `posts.version` comes from the domain (shared_models.versions): what the
list shows (every site's posts, page 2) and a number that goes up in the same
transaction as any change to it. The key names what the part shows; the copy
holds the number it was drawn for. So a write makes the next page view find an
older number, draw the part and replace the copy: there is one copy per part,
never one per change. What else a part depends on (the host its absolute links
use, anything about the viewer) goes into the key too.

A copy is data, never code: a header line naming this format and the number,
then the HTML as UTF-8. A value in any other shape (a pickle planted by
whoever reached Redis, another program's data) is a miss, drawn again and
replaced. A part bigger than CACHE_ENTRY_MAX_BYTES is not kept at all.

With CACHE_REDIS_URL (production, and every local stack) the copies are kept in
Redis, shared by every worker and app server, each for CACHE_TIMEOUT seconds
at most; that Redis is the cache's alone, and drops the least recently used
copies when full (deploy/redis/inkpot-cache.conf). Without it, each process
keeps its own in memory, CACHE_MEMORY_MAX_BYTES at most (development, tests,
and a server not told of a Redis). If Redis is down or slow, pages are drawn
without it (slower, never an error) and it is tried again RETRY_AFTER seconds
later.
"""

import hashlib
import logging
import threading
import time
from collections import OrderedDict

import redis
from flask import Flask, current_app, request
from markupsafe import Markup

from shared_models.versions import Version
from shared_web.languages import current_language

log = logging.getLogger(__name__)

# The first word of every copy: the format it is in. Change it when the format changes.
FORMAT = b"inkpot-page-cache/1"

# After a failed read or write, the cache is left alone this long (per worker), so that
# an outage costs each worker one timeout, not one per fragment.
RETRY_AFTER = 5.0


class RedisStore:
    """Copies in a Redis every worker shares, each expiring after `timeout` seconds."""

    def __init__(self, url: str, options: dict, timeout: int):
        self.client = redis.Redis.from_url(url, **options)
        self.timeout = timeout

    def get(self, key: str) -> bytes | None:
        return self.client.get(key)

    def set(self, key: str, value: bytes) -> None:
        self.client.set(key, value, ex=self.timeout)

    def clear(self, prefix: str) -> None:
        for key in self.client.scan_iter(match=f"{prefix}*", count=1000):
            self.client.unlink(key)


class MemoryStore:
    """Copies in this process's memory: `max_bytes` in all, least recently used dropped first."""

    def __init__(self, max_bytes: int, timeout: int):
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.size = 0
        self.copies: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        # gevent's patching makes this lock cooperative; with threads it is a real one.
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            expires, value = self.copies.get(key, (0.0, None))
            if value is None or expires < time.monotonic():
                self._drop(key)
                return None
            self.copies.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        with self.lock:
            self._drop(key)
            self.copies[key] = (time.monotonic() + self.timeout, value)
            self.size += len(value)
            while self.size > self.max_bytes:
                self._drop(next(iter(self.copies)))

    def clear(self, prefix: str) -> None:
        with self.lock:
            for key in [key for key in self.copies if key.startswith(prefix)]:
                self._drop(key)

    def _drop(self, key: str) -> None:
        _, value = self.copies.pop(key, (0.0, b""))
        self.size -= len(value)


class PageCache:
    """The extension: where this app keeps its copies (config: shared_web.config)."""

    def init_app(self, app: Flask) -> None:
        config = app.config
        store = None
        if config["CACHE_ENABLED"] and config["CACHE_REDIS_URL"]:
            options = config["CACHE_REDIS_OPTIONS"]
            store = RedisStore(config["CACHE_REDIS_URL"], options, config["CACHE_TIMEOUT"])
        elif config["CACHE_ENABLED"]:
            store = MemoryStore(config["CACHE_MEMORY_MAX_BYTES"], config["CACHE_TIMEOUT"])
        app.extensions["page_cache"] = store
        # When this worker may try the cache again after a failure (time.monotonic()).
        app.extensions["page_cache_unavailable_until"] = 0.0
        app.jinja_env.globals["cached"] = cached

    @property
    def store(self) -> RedisStore | MemoryStore | None:
        return current_app.extensions["page_cache"]

    def clear(self) -> None:
        """Forget every copy this app drew (tests count the queries of pages drawn in full)."""
        if self.store is not None:
            self.store.clear(f"{key_prefix()}:")


cache = PageCache()


def init_app(app: Flask) -> None:
    """Bind the cache and give templates `cached`."""
    cache.init_app(app)


def key_prefix() -> str:
    """Each key's start: copies drawn by other code (another deploy's templates, the other
    layout sharing the same Redis) never answer for this app's.

    Made on first use, once every blueprint (and its templates) is registered.
    """
    extensions = current_app.extensions
    if "page_cache_prefix" not in extensions:
        extensions["page_cache_prefix"] = f"{current_app.name}:{templates_digest(current_app)}"
    return extensions["page_cache_prefix"]


def templates_digest(app: Flask) -> str:
    """A short hash of every template the app can render: it changes when any of them does."""
    digest = hashlib.sha256()
    for name in sorted(app.jinja_env.list_templates()):
        source, _, _ = app.jinja_env.loader.get_source(app.jinja_env, name)
        digest.update(name.encode() + b"\0" + source.encode() + b"\0")
    return digest.hexdigest()[:12]


def fragment_key(name: str, version: Version, parts: tuple) -> str:
    """The one place a cached part's key is made: every key comes from here.

    The key names what the part shows, never which state of it (version.number, kept
    in the copy), so a change replaces the copy. `parts` are anything about the viewer
    the part shows (whether they own the site); the rest is the same for every part:
    the app's templates (key_prefix) and the host, because a feed's links are
    absolute and built from it, and the page's language, since a part's dates and
    words are drawn in it.
    """
    shared = (request.host, current_language().tag)
    values = ":".join(str(part) for part in (*version.of, *parts, *shared))
    return f"{key_prefix()}:{name}:{values}"


def encode(number: int, html: str) -> bytes:
    """A copy as it is stored: the format and the version's number on a line, then the HTML."""
    return b"%s %d\n%s" % (FORMAT, number, html.encode())


def decode(value: bytes | None, number: int) -> str | None:
    """The HTML of a copy drawn for version `number`; None for anything else, whatever it holds."""
    if not isinstance(value, bytes):
        return None
    header, newline, html = value.partition(b"\n")
    if not newline or header != b"%s %d" % (FORMAT, number):
        return None
    try:
        return html.decode()
    except UnicodeDecodeError:
        return None


def cached(name: str, version: Version, *parts, caller) -> Markup:
    """A `{% call %}` block's output from the cache, or rendered and kept when it is not there."""
    key = fragment_key(name, version, parts)
    html = decode(_read(key), version.number)
    if html is None:
        html = str(caller())
        _write(key, encode(version.number, html))
    return Markup(html)  # noqa: S704  (the template's own output, escaped when it was drawn)


def _available() -> bool:
    return (
        cache.store is not None
        and time.monotonic() >= current_app.extensions["page_cache_unavailable_until"]
    )


def _failed(error: Exception) -> None:
    if time.monotonic() >= current_app.extensions["page_cache_unavailable_until"]:
        log.warning(
            "The page cache is unavailable (%s); drawing pages without it for %g s.",
            error,
            RETRY_AFTER,
        )
    current_app.extensions["page_cache_unavailable_until"] = time.monotonic() + RETRY_AFTER


def _read(key: str) -> bytes | None:
    if not _available():
        return None
    try:
        return cache.store.get(key)
    except Exception as error:
        _failed(error)
        return None


def _write(key: str, copy: bytes) -> None:
    # A bigger part is drawn every time rather than crowd out a hundred ordinary ones.
    if not _available() or len(copy) > current_app.config["CACHE_ENTRY_MAX_BYTES"]:
        return
    try:
        cache.store.set(key, copy)
    except Exception as error:
        _failed(error)
