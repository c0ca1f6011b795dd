"""Security headers on every kind of response, and what the session cookies allow."""

import re
from pathlib import Path

import pytest

from deploy import LAYOUTS, layout_module
from shared_models import db
from tests.support.apps import IDLE_BROKER_URL, make_app
from tests.support.clients import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRECTORIES = [Path(layout_module(layout).__file__).parent for layout in LAYOUTS]
SAFE_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
# Sources that would let injected markup run script or style the page.
UNSAFE_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:"}


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, "no Content-Security-Policy"
    directives = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name.lower()] = sources
    return directives


def assert_security_headers(response):
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    for name in ("script-src", "style-src"):
        assert name in directives, f"{name} falls back to default-src; say it outright"
        assert not UNSAFE_SOURCES & set(directives[name]), (name, directives[name])
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] in (["'self'"], ["'none'"])
    assert directives["form-action"] == ["'self'"]
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]
    assert response.headers.getlist("Referrer-Policy")[0] in SAFE_REFERRER_POLICIES
    assert len(response.headers.getlist("Content-Security-Policy")) == 1


def too_large(client):
    return client.post("/login", data={"email": "a@example.com", "password": "x" * (1 << 20)})


RESPONSES = {
    "page": lambda client: client.get("/"),
    "form page": lambda client: client.get("/login"),
    "redirect": lambda client: client.get("/dashboard/"),
    "not found": lambda client: client.get("/no-such-page"),
    "unknown site": lambda client: client.get("/sites/nobody/"),
    "method not allowed": lambda client: client.get("/logout"),
    "csrf failure": lambda client: client.post("/logout"),
    "too large": too_large,
    "feed": lambda client: client.get("/sites/writer/feed.xml"),
    "post": lambda client: client.get("/sites/writer/a-post"),
    "health check": lambda client: client.get("/healthz"),
    "static file": lambda client: client.get("/static/css/inkpot.css"),
}
EXPECTED_STATUS = {
    "page": 200,
    "form page": 200,
    "redirect": 302,
    "not found": 404,
    "unknown site": 404,
    "method not allowed": 405,
    "csrf failure": 400,
    "too large": 413,
    "feed": 200,
    "post": 200,
    "health check": 200,
    "static file": 200,
}


@pytest.mark.smoke
@pytest.mark.parametrize("kind", RESPONSES)
def test_every_kind_of_response_carries_the_security_headers(kind, client, make_user, make_post):
    make_post(make_user("writer"), title="A post")
    response = RESPONSES[kind](client)
    assert response.status_code == EXPECTED_STATUS[kind]
    assert_security_headers(response)


def test_signed_in_pages_and_forbidden_pages_carry_the_security_headers(client, auth, make_user):
    make_user("writer")
    auth.login()
    for url, status in [("/dashboard/", 200), ("/dashboard/posts/new", 200), ("/admin/", 403)]:
        response = client.get(url)
        assert response.status_code == status
        assert_security_headers(response)
    response = client.submit("/dashboard/site", {"title": "New title", "tagline": ""})
    assert response.status_code == 302
    assert_security_headers(response)


def test_the_throttled_answer_carries_the_security_headers(throttled_app):
    client = throttled_app.test_client()
    response = None
    for attempt in range(100):
        response = client.submit("/login", {"email": f"g{attempt}@example.com", "password": "x"})
        if response.status_code == 429:
            break
    assert response.status_code == 429
    assert_security_headers(response)


def test_a_crash_answers_500_with_the_security_headers(layout, database_url):
    app = make_app(layout, database_url, PROPAGATE_EXCEPTIONS=False)

    def crash():
        raise RuntimeError("boom")

    app.add_url_rule("/crash", view_func=crash)
    response = app.test_client().get("/crash")
    assert response.status_code == 500
    assert b"boom" not in response.data
    assert_security_headers(response)
    with app.app_context():
        db.engine.dispose()


def test_no_template_has_inline_script_or_style():
    # The CSP forbids inline script and style, so a template that used them would break.
    # Emails are no pages: no CSP reaches a mail app, and mail apps drop <style> blocks,
    # so their HTML styles inline; but script has no place in them either.
    offending = []
    for directory in TEMPLATE_DIRECTORIES:
        for template in directory.rglob("templates/**/*"):
            if template.is_file():
                source = template.read_text()
                inline = r"<script|\son[a-z]+="
                if "emails" not in template.parts:
                    inline += r"|<style|\sstyle="
                if re.search(inline, source, re.IGNORECASE):
                    offending.append(str(template.relative_to(ROOT)))
    assert not offending
    assert len(list(TEMPLATE_DIRECTORIES[0].rglob("templates/**/*.html"))) > 10


def set_cookies(response) -> dict[str, set[str]]:
    """Each cookie the response sets, with its attributes, lower-cased (`samesite=lax`)."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        name_value, *attributes = (part.strip() for part in header.split(";"))
        name = name_value.partition("=")[0]
        cookies[name] = {attribute.lower() for attribute in attributes}
    return cookies


def sign_in_remembered(app):
    client = app.test_client()
    first = client.get("/login")
    response = client.submit(
        "/login", {"email": "writer@example.com", "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    return {**set_cookies(first), **set_cookies(response)}


def test_session_and_remember_me_cookies_are_http_only_and_same_site_lax(app, make_user):
    make_user("writer")
    cookies = sign_in_remembered(app)
    for name in (app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"]):
        assert {"httponly", "samesite=lax"} <= cookies[name], (name, cookies[name])
        # Local development runs over plain HTTP.
        assert "secure" not in cookies[name]


def test_production_cookies_are_secure_too(layout, database_url, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = make_app(
        layout,
        database_url,
        APP_ENV="production",
        SECRET_KEY="k" * 64,
        PUBLIC_URL="http://localhost",
        CELERY_BROKER_URL=IDLE_BROKER_URL,
    )
    from shared_models import accounts

    with app.app_context():
        accounts.sign_up("writer", "writer@example.com", PASSWORD, confirmed=True)
    cookies = sign_in_remembered(app)
    for name in (app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"]):
        assert {"httponly", "samesite=lax", "secure"} <= cookies[name], (name, cookies[name])
    with app.app_context():
        db.engine.dispose()
