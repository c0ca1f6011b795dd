"""Inkpot in Flask's functional layout: views/, forms/ and templates/ each split by area."""

from urllib.parse import unquote_to_bytes

from flask import Flask, abort, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

import shared_models
from functional_layout.extensions import csrf, limiter, login_manager
from shared_models.config import INSTANCE_PATH, load_config


def create_app(config: dict | None = None) -> Flask:
    """Build the site; `config` overrides settings read from the environment."""
    app = Flask(__name__, instance_path=str(INSTANCE_PATH))
    load_config(app, config)
    if app.config["TRUST_PROXY_HEADERS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    # First of all hooks, so it reads the raw body before anything parses the form.
    app.before_request(refuse_unreadable_input)
    shared_models.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from functional_layout.views import admin, control_panel, home, sites

    app.register_blueprint(home.bp)
    app.register_blueprint(sites.bp)
    app.register_blueprint(control_panel.bp)
    app.register_blueprint(admin.bp)

    register_error_pages(app)
    app.after_request(add_security_headers)
    return app


def register_error_pages(app: Flask) -> None:
    """Answer every HTTP error, and any crash, with a page in the site's look."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/csrf.html", error=error), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(500)
    def server_error(error):
        shared_models.db.session.rollback()
        return render_template("errors/500.html"), 500


def add_security_headers(response):
    """Send the configured security headers, unless a view chose its own."""
    for name, value in current_app.config["SECURITY_HEADERS"].items():
        response.headers.setdefault(name, value)
    return response


def refuse_unreadable_input():
    """Answer 400 to a NUL byte or broken UTF-8 anywhere in the URL or a submitted form.

    No page can show such text and PostgreSQL refuses NUL, so it is turned away
    before any view or query sees it; left alone, Werkzeug would keep broken
    UTF-8 as the literal text `%FF`.
    """
    encoded = [request.query_string]
    if request.mimetype == "application/x-www-form-urlencoded":
        encoded.append(request.get_data(cache=True))
    raw = [request.environ.get("PATH_INFO", "").encode("latin-1")]
    raw += [unquote_to_bytes(part.replace(b"+", b" ")) for part in encoded]
    # Multipart forms arrive decoded already (broken UTF-8 becomes U+FFFD there).
    fields = [text for pair in request.form.items(multi=True) for text in pair]
    if any(b"\x00" in part for part in raw) or any("\x00" in text for text in fields):
        abort(400)
    try:
        for part in raw:
            part.decode("utf-8")
    except UnicodeDecodeError:
        abort(400)
