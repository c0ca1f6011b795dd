"""What both sites do alike at the HTTP level: extensions, proxy headers, input guard, errors.

shared_models holds the domain and knows nothing of HTTP; this package holds
what every Inkpot app sets up the same way whatever its layout (configuration,
the Flask extensions, the request and response rules, request ids, logs and
metrics, the error pages, /robots.txt, the page's language), so each layout's
create_app registers it with one call instead of a copy. What differs between
the layouts is only where views, forms, templates, static files and their
translation catalogues live.
"""

from pathlib import Path

from flask import Flask, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import configure_mappers
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

import shared_models
from shared_models import RuleViolation, db
from shared_models.errors import N_
from shared_models.queries import database_is_up
from shared_web import (
    auth,
    background,
    bearer,
    compression,
    languages,
    metrics,
    openapi,
    page_cache,
    problems,
    request_log,
    static_files,
    throttling,
)
from shared_web.converters import RowIdConverter
from shared_web.extensions import csrf, login_manager
from shared_web.formatting import TEMPLATE_FILTERS
from shared_web.hooks import add_security_headers, refuse_unreadable_input
from shared_web.json_provider import JSONProvider
from shared_web.logs import configure_logging
from shared_web.request_ids import request_id, send_request_id

__all__ = ["init_app", "register_api", "register_error_pages", "throttle_views", "warm_up"]

# The catalogues every app shares, merged before the app's own: the domain's rule
# messages are translated there once, not once per layout.
SHARED_CATALOGUES = [
    shared_models.TRANSLATIONS_DIRECTORY,
    str(Path(__file__).resolve().parent / "translations"),
]

# The api blueprint goes through flask-smorest, which writes its views into the OpenAPI document.
register_api = openapi.register_blueprint

# Last in create_app: it throttles the views the blueprints registered.
throttle_views = throttling.throttle_views


def init_app(app: Flask) -> None:
    """Bind the extensions, logs, metrics and the worker, trust the proxy, guard input."""
    if not app.testing:
        configure_logging(app.config["LOG_FORMAT"])
    app.json = JSONProvider(app)
    # Before any route is added: every `<int:…>` in the URL map is a bounded row id.
    app.url_map.converters["int"] = RowIdConverter
    if app.config["TRUST_PROXY_HEADERS"]:
        # Exactly one proxy (nginx) in front: its X-Forwarded-* are the visitor's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    # The app's URL value preprocessors run first of all, before every blueprint's
    # (sites loads g.site there) and before any before_request hook. First of them
    # the clock starts (the request's log line and latency count from here), then
    # the input guard reads the raw body before anything parses the form.
    app.url_value_preprocessors.setdefault(None, [])[:0] = [
        lambda endpoint, values: request_log.start_request(),
        lambda endpoint, values: refuse_unreadable_input(),
    ]
    # First registered, so it runs after every other after_request hook (Flask runs
    # them in reverse): the body it compresses is final.
    compression.init_app(app)
    app.after_request(add_security_headers)
    app.after_request(send_request_id)
    request_log.init_app(app)
    metrics.init_app(app)
    app.session_interface = bearer.SessionInterface()
    register_error_pages(app)
    languages.init_app(app, SHARED_CATALOGUES)
    app.jinja_env.filters.update(TEMPLATE_FILTERS)
    page_cache.init_app(app)
    static_files.init_app(app)
    app.add_url_rule("/robots.txt", "robots_txt", robots_txt)
    csrf.init_app(app)
    login_manager.init_app(app)
    throttling.init_app(app)
    openapi.init_app(app)
    background.init_app(app)


def warm_up(app: Flask) -> None:
    """Do now what a new worker's first requests would otherwise do while visitors wait.

    Compiling a template takes tens of milliseconds, and a worker that has just
    started would compile each one on its first request for it, with every other
    request it holds waiting behind (gevent runs one at a time). deploy/wsgi.py
    calls this as a worker builds the app, before it accepts a connection.
    """
    for name in app.jinja_env.list_templates():
        app.jinja_env.get_template(name)
    configure_mappers()
    with app.app_context():
        database_is_up()
        db.session.remove()


UNTRUSTED_HOST = N_("This site does not answer to that host name.")

# Crawlers may read every public page; the signed-in areas are of no use to them, and
# the links from emails (which carry tokens) are none of their business.
ROBOTS_TXT = """\
User-agent: *
Disallow: /dashboard/
Disallow: /admin/
Disallow: /login
Disallow: /signup
Disallow: /confirm/
Disallow: /password/
"""


def robots_txt():
    """What crawlers may read: the public pages, not the control panel or the admin area."""
    return ROBOTS_TXT, {"Content-Type": "text/plain; charset=utf-8"}


def register_error_pages(app: Flask) -> None:
    """Answer every HTTP error, and any crash, with the layout's own error templates.

    Under /api/ the answer is problem details instead (shared_web.problems): no
    HTML page ever reaches an API client.
    """

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if problems.is_api_request():
            return problems.problem_for_http_error(error)
        # With Secure cookies (production) a browser on plain http:// never sends the
        # session back, so every form fails: the page says why, for the site not yet on
        # HTTPS or the visitor who typed http://.
        over_plain_http = app.config["SESSION_COOKIE_SECURE"] and not request.is_secure
        return render_template(
            "errors/csrf.html", error=error, over_plain_http=over_plain_http
        ), 400

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # Raised before routing, for a Host not in TRUSTED_HOSTS: no URL can be built
        # for it, so no page with links either.
        if problems.is_api_request():
            return problems.problem(400, UNTRUSTED_HOST)
        return gettext(UNTRUSTED_HOST) + "\n", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(error):
        if problems.is_api_request():
            return problems.problem_for_http_error(error)
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(RuleViolation)
    def rule_violation(violation):
        # The API lets the domain's refusals through to here; every form catches its own,
        # so one reaching here from a page is a bug, and crashes as one.
        if problems.is_api_request():
            return problems.problem_for_violation(violation)
        raise violation

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        if problems.is_api_request():
            return problems.problem(500)
        auth.forget_user_if_unreadable()
        # Flask has logged the traceback, with this id: the page shows it to quote.
        return render_template("errors/500.html", request_id=request_id()), 500
