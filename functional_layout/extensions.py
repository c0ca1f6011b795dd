"""The site's Flask extensions, created once and bound in create_app."""

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from shared_models.accounts import load_user_for_session, normalize_email
from shared_models.models import EMAIL_MAX

csrf = CSRFProtect()

login_manager = LoginManager()
login_manager.login_view = "home.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"
login_manager.user_loader(load_user_for_session)

# Counts per client address: behind nginx, ProxyFix (see create_app) makes that
# the visitor's address rather than the proxy's.
limiter = Limiter(key_func=get_remote_address)


def configured_limit(name: str):
    """A limit read from app.config when a request needs it, so all values live in config."""
    return lambda: current_app.config[name]


def submitted_account() -> str:
    """Key failed sign-ins by the email they name, the way accounts looks it up."""
    return "account:" + normalize_email(request.form.get("email", ""))[:EMAIL_MAX]


def sign_in_failed(response) -> bool:
    """Only failed sign-ins count: a successful one redirects."""
    return response.status_code != 302
