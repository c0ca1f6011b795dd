"""The control panel: a signed-in user's posts, site settings, password and API tokens."""

from flask import Blueprint

bp = Blueprint(
    "control_panel",
    __name__,
    url_prefix="/dashboard",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

from divisional_layout.control_panel import views  # noqa: E402, F401  (registers the routes on bp)
