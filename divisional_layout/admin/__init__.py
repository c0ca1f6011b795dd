"""The admin area: platform counts, users, posts and the audit log."""

from flask import Blueprint

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

from divisional_layout.admin import views  # noqa: E402, F401  (registers the routes on bp)
