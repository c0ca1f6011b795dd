"""Static file URLs that name their content (`?v=` and the file's hash), so they may be kept a year.

Every `url_for('static', filename=...)`, and a blueprint's own
`url_for('<area>.static', ...)`, gets `?v=<the first 12 hex digits of the file's SHA-256>`,
in development as behind nginx, without a template saying so. A changed file gets
a new URL, so a browser never keeps an old copy under the new one; nginx sends
`Cache-Control: public, max-age=31536000, immutable` for a URL with a version
(deploy/nginx/inkpot.conf). A query string rather than a hashed file name keeps
the files where they are, under the names the templates use, and nginx serves
them from disk as they are.
"""

import hashlib
from pathlib import Path

from flask import Flask, current_app
from werkzeug.security import safe_join

VERSION_LENGTH = 12


def init_app(app: Flask) -> None:
    app.url_defaults(add_file_version)


def add_file_version(endpoint: str, values: dict) -> None:
    """url_for's hook: add `v` to a static file's URL (unless one was given)."""
    if (endpoint == "static" or endpoint.endswith(".static")) and "v" not in values:
        version = file_version(endpoint, values.get("filename"))
        if version:
            values["v"] = version


def file_version(endpoint: str, filename: str | None) -> str | None:
    """The hash of the file a static endpoint serves, or None if there is no such file."""
    if not filename:
        return None
    blueprint = endpoint.rpartition(".")[0]
    folder = current_app.blueprints[blueprint].static_folder if blueprint else None
    folder = folder or current_app.static_folder
    joined = safe_join(folder, filename)
    if joined is None:
        return None
    path = Path(joined)
    # Files do not change under a running server, but they do under `make run`.
    stamp = path.stat().st_mtime_ns if current_app.debug and path.is_file() else None
    versions = current_app.extensions.setdefault("static_file_versions", {})
    key = (str(path), stamp)
    if key not in versions:
        versions[key] = _hash(path)
    return versions[key]


def _hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:VERSION_LENGTH]
    except OSError:
        return None
