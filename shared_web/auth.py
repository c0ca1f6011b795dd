"""Signing a browser in and out: a server-side session (shared_models.sessions) and its cookies."""

from flask import g, request
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError

from shared_models import db, sessions
from shared_models.models import User
from shared_web.extensions import login_manager


def sign_in(user: User, remember: bool = False) -> None:
    """Open a server-side session for this browser and give it the session cookies."""
    sessions.start_session(user, remember, request.user_agent.string, request.remote_addr or "")
    login_user(user, remember=remember)


def sign_out() -> None:
    """End this browser's session on the server, then drop its cookies."""
    if current_user.is_authenticated:
        sessions.end_session(current_user.session_id)
    logout_user()


def forget_user_if_unreadable() -> None:
    """Count the visitor as anonymous if who is signed in cannot be read: the database is down.

    Every template asks who is signed in (Flask-Login's context processor), so
    without this the 500 page itself would fail for a signed-in visitor.
    """
    try:
        current_user._get_current_object()
    except SQLAlchemyError:
        db.session.rollback()
        g._login_user = login_manager.anonymous_user()
