"""Signing a browser in and out: a server-side session (shared_models.sessions) and its cookies."""

from flask import request
from flask_login import current_user, login_user, logout_user

from shared_models import sessions
from shared_models.models import User


def sign_in(user: User, remember: bool = False) -> None:
    """Open a server-side session for this browser and give it the session cookies."""
    sessions.start_session(user, remember, request.user_agent.string, request.remote_addr or "")
    login_user(user, remember=remember)


def sign_out() -> None:
    """End this browser's session on the server, then drop its cookies."""
    if current_user.is_authenticated:
        sessions.end_session(current_user.session_id)
    logout_user()
