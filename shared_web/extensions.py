"""The Flask extensions every Inkpot app uses, created once and bound in shared_web.init_app."""

from flask_babel import gettext
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from shared_models.errors import N_
from shared_models.sessions import load_user_for_session

csrf = CSRFProtect()

login_manager = LoginManager()
login_manager.login_view = "home.login"
login_manager.login_message = N_("Please sign in to see that page.")
# Flashed in the page's language when Flask-Login sends a visitor to sign in.
login_manager.localize_callback = gettext
login_manager.login_message_category = "info"
login_manager.user_loader(load_user_for_session)
