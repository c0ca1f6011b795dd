"""The sites area: each user's public blog, its posts and its Atom feed."""

from flask import Blueprint

bp = Blueprint(
    "sites",
    __name__,
    url_prefix="/sites",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

from divisional_layout.sites import views  # noqa: E402, F401  (registers the routes on bp)
