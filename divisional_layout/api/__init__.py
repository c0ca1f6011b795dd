"""The JSON API: public sites and posts, a token owner's own posts, and the API's own reference."""

from shared_web.extensions import csrf
from shared_web.openapi import ApiBlueprint
from shared_web.throttling import throttle_api

bp = ApiBlueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    template_folder="templates",
    description="Inkpot's sites and posts, as JSON.",
)
# No CSRF token here, on purpose. A forged cross-site request can only carry what a
# browser adds by itself, its cookies, and the API reads none: it knows callers by
# the Authorization header alone, which no other site can make a browser send.
csrf.exempt(bp)
throttle_api(bp)

from divisional_layout.api import views  # noqa: E402, F401  (registers the routes on bp)
