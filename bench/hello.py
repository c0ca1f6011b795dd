"""The framework baseline: the smallest Flask app, served by the same nginx and gunicorn as Inkpot.

It answers /hello (not /, which nginx micro-caches) and /healthz, and is patched
by gevent first, exactly as deploy/wsgi.py is, so the two differ only in the app.
"""

from gevent import monkey

monkey.patch_all()

from flask import Flask  # noqa: E402  (after the patch, as in deploy/wsgi.py)

app = Flask(__name__)


@app.get("/hello")
def hello():
    """The least a Flask view can do."""
    return "Hello, World!"


@app.get("/healthz")
def healthz():
    """What the stack waits for before it is measured."""
    return {"status": "ok"}
