"""Who is calling the JSON API: the bearer token in the Authorization header, and nothing else.

The API opens no session: under /api/ the session cookie is not even read
(`SessionInterface` below), so a browser signed in to the site is an anonymous
caller there. That is also why the API needs no CSRF token (the api blueprint
says so where it is exempted).
"""

import functools

from flask import abort, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_smorest import Blueprint

from shared_models import api_tokens
from shared_models.models import ApiToken
from shared_web.extensions import login_manager
from shared_web.problems import is_api_request, problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The name of the bearer scheme in the OpenAPI document.
SECURITY_SCHEME = "bearerToken"
INVALID_TOKEN = (
    "This token does not work: it is mistyped or revoked, or its owner's account is suspended."
)


def _presented_secret() -> str | None:
    """What the Authorization header offers as a bearer token ("" for another scheme), if any."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def current_token() -> ApiToken | None:
    """The working token the request carries, or None; looked up once per request."""
    if "api_token" not in g:
        secret = _presented_secret()
        g.api_token = api_tokens.authenticate(secret) if secret else None
    return g.api_token


def unauthorized(detail: str | None = None, invalid_token: bool = False):
    """A 401 with the challenge RFC 6750 asks for."""
    challenge = 'Bearer realm="Inkpot API"'
    if invalid_token:
        challenge += ', error="invalid_token"'
    return problem(401, detail, headers={"WWW-Authenticate": challenge})


def authenticate_caller() -> None:
    """Refuse a token that does not work (401), and a write without a write token (401 or 403).

    A request without an Authorization header may read the public endpoints.
    """
    # Flask-Login would sign a browser in from its cookies as soon as anything asked
    # who it is (rendering a template does); here it is nobody, and no cookie is read.
    g._login_user = login_manager.anonymous_user()
    token = current_token()
    if token is None and _presented_secret() is not None:
        abort(unauthorized(INVALID_TOKEN, invalid_token=True))
    if request.method in SAFE_METHODS:
        return
    if token is None:
        abort(unauthorized())
    if not token.can_write:
        abort(problem(403))


def token_required(view):
    """Decorate an API view that answers only a working token (401 otherwise), and document it."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if current_token() is None:
            abort(unauthorized())
        return view(*args, **kwargs)

    return Blueprint.doc(security=[{SECURITY_SCHEME: []}])(guarded)


def caller_key() -> str:
    """Whom the API's throttling counts: the token, or the client's address when there is none."""
    token = current_token()
    return f"token:{token.id}" if token else "address:" + (request.remote_addr or "")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session everywhere but the API, which gets none at all."""

    def open_session(self, app, request):
        if is_api_request(request):
            # A null session: reads find nothing, and a write raises instead of setting a cookie.
            return self.make_null_session(app)
        return super().open_session(app, request)
