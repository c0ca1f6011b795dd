"""Test-only WSGI app: the real `deploy.wsgi` app plus a page that crashes."""

# First, as in production: deploy.wsgi patches gevent, then builds the real site.
from deploy.wsgi import app


@app.get("/_probe/crash")
def crash():
    """A view with a bug: the site must answer its styled 500 page and log the traceback."""
    raise RuntimeError("the probe crashed on purpose")


__all__ = ["app"]
