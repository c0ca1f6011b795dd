"""The page cache: the costly, impersonal parts of public pages, drawn once, shared by all workers.

nginx's micro-cache answers anonymous readers with whole pages; a signed-in
reader's page is personal (their navigation, their CSRF token), so it is drawn
by the app every time. What is the same for every reader, the list of posts
and the Atom feed, is kept here instead, as rendered HTML, and the personal
page is drawn around it: a template marks such a part with

    {% call cached("home posts", posts.version) %} ... {% endcall %}

and the block runs only when the cache has no copy. `posts.version` comes from
the domain (shared_models.versions): it names the state of the data the part
shows, and goes up in the same transaction as any change to it. So nothing
here ever deletes a copy: a write makes the next page view ask for a new key,
and old copies simply expire. What else a part depends on (the host its
absolute links use, anything about the viewer) goes into the key too.

With CACHE_REDIS_URL (production, and every local stack) the copies are kept in
Redis, shared by every worker and app server; without it, each process keeps
its own in memory (development, tests, and a server not told of a Redis: since
keys carry versions, a copy per worker is never stale, only drawn more often).
If Redis is down or slow, pages are drawn without it (slower, never an error)
and it is tried again RETRY_AFTER seconds later.
"""

import hashlib
import logging
import time

from flask import Flask, current_app, request
from flask_caching import Cache
from markupsafe import Markup

from shared_web.languages import current_language

log = logging.getLogger(__name__)

cache = Cache()

# After a failed read or write, the cache is left alone this long (per worker), so that
# an outage costs each worker one timeout, not one per fragment.
RETRY_AFTER = 5.0


def init_app(app: Flask) -> None:
    """Bind the cache (config: shared_web.config) and give templates `cached`."""
    cache.init_app(app)
    # When this worker may try the cache again after a failure (time.monotonic()).
    app.extensions["page_cache_unavailable_until"] = 0.0
    app.jinja_env.globals["cached"] = cached


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


def fragment_key(name: str, parts: tuple) -> str:
    """The one place a cached part's key is made: every key comes from here.

    `parts` name the data the part shows (versions) and anything about the viewer
    it shows (whether they own the site); the rest is the same for every part:
    the app's templates (key_prefix) and the host, because a feed's links are
    absolute and built from it, and the page's language, since a part's dates and
    words are drawn in it.
    """
    shared = (request.host, current_language().tag)
    values = ":".join(str(part) for part in (*parts, *shared))
    return f"{key_prefix()}:{name}:{values}"


def cached(name: str, *parts, caller) -> Markup:
    """A `{% call %}` block's output from the cache, or rendered and kept when it is not there."""
    key = fragment_key(name, parts)
    html = _read(key)
    if html is None:
        html = str(caller())
        _write(key, html)
    return Markup(html)  # noqa: S704  (the template's own output, escaped when it was drawn)


def _available() -> bool:
    return time.monotonic() >= current_app.extensions["page_cache_unavailable_until"]


def _failed(error: Exception) -> None:
    if _available():
        log.warning(
            "The page cache is unavailable (%s); drawing pages without it for %g s.",
            error,
            RETRY_AFTER,
        )
    current_app.extensions["page_cache_unavailable_until"] = time.monotonic() + RETRY_AFTER


def _read(key: str) -> str | None:
    if not _available():
        return None
    try:
        return cache.get(key)
    except Exception as error:
        _failed(error)
        return None


def _write(key: str, html: str) -> None:
    if not _available():
        return
    try:
        cache.set(key, html)
    except Exception as error:
        _failed(error)
