"""The home area: the landing page, signing up, signing in and out, and the health check."""

from flask import Blueprint

bp = Blueprint(
    "home",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/home/static",
)

from divisional_layout.home import views  # noqa: E402, F401  (registers the routes on bp)
