"""The sites area: each user's public blog, its posts and its Atom feed."""

from flask import Blueprint, abort, g, render_template, request

from shared_models import queries

bp = Blueprint("sites", __name__, url_prefix="/sites")


@bp.url_value_preprocessor
def load_site(endpoint, values):
    """Make the site named in the URL `g.site` for every view here; an unknown one is 404."""
    if values and "site_slug" in values:
        g.site = queries.public_site(values.pop("site_slug")) or abort(404)


@bp.get("/<site_slug>/")
def front_page():
    """A site's title, tagline and published posts."""
    posts = queries.front_page_posts(g.site, request.args.get("page"))
    return render_template("sites/front_page.html", site=g.site, posts=posts)


@bp.get("/<site_slug>/<post_slug>")
def post_page(post_slug):
    """One published post."""
    post = queries.public_post(g.site, post_slug) or abort(404)
    return render_template("sites/post.html", site=g.site, post=post)


@bp.get("/<site_slug>/feed.xml")
def feed():
    """The site's newest published posts as an Atom feed."""
    posts = queries.site_feed_posts(g.site)
    xml = render_template("sites/feed.xml", site=g.site, posts=posts)
    return xml, {"Content-Type": "application/atom+xml; charset=utf-8"}
