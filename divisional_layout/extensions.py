"""The site's Flask extensions, created once and bound in create_app."""

from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from shared_models.accounts import load_user_for_session

csrf = CSRFProtect()

login_manager = LoginManager()
login_manager.login_view = "home.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"
login_manager.user_loader(load_user_for_session)
