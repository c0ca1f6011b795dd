"""Test-only WSGI app: the real `deploy.wsgi` app plus a public page that starts a session."""

# First, as in production: deploy.wsgi patches gevent, then builds the real site.
from deploy.wsgi import app

# isort: split
from flask import session


@app.get("/sites/_probe/starts-a-session")
def starts_a_session():
    """A public URL whose answer sets a cookie, as a page with a form for visitors would."""
    session["probe"] = "started"
    return "<p>This answer sets a session cookie.</p>"


__all__ = ["app"]
