"""The JSON API: public sites and posts, a token owner's own posts, and the API's reference."""

from flask import abort, g, make_response, render_template

from functional_layout.schemas.api import (
    NewPostSchema,
    PageSchema,
    PostChangesSchema,
    PostSchema,
    PostSummarySchema,
    SiteSchema,
    UserSchema,
)
from shared_models import publishing, queries
from shared_web import bearer, hooks, openapi, responses
from shared_web.extensions import csrf
from shared_web.throttling import throttle_api

bp = openapi.ApiBlueprint(
    "api", __name__, url_prefix="/api/v1", description="Inkpot's sites and posts, as JSON."
)
# No CSRF token here, on purpose. A forged cross-site request can only carry what a
# browser adds by itself, its cookies, and the API reads none: it knows callers by
# the Authorization header alone, which no other site can make a browser send.
csrf.exempt(bp)
throttle_api(bp)


@bp.before_request
def check_caller_and_body():
    """Know the caller by their bearer token alone, and take request bodies in JSON only."""
    bearer.authenticate_caller()
    hooks.refuse_non_json_body()


def get_public_site(site_slug):
    """The site with this slug, unless its owner is suspended; 404 otherwise."""
    return queries.public_site(site_slug) or abort(404)


def get_own_post(post_id):
    """The token owner's post with this id; anyone else's is 404."""
    return queries.owned_post(g.api_token.user, post_id) or abort(404)


@bp.get("/openapi.json")
@bp.response(200, {"type": "object"})
def openapi_document():
    """This API's OpenAPI 3 document, generated from its code."""
    response = make_response(openapi.document_json())
    response.mimetype = "application/json"
    return response


@bp.get("/docs")
@bp.response(200, {"type": "string"}, content_type="text/html")
def reference():
    """This API's reference, as a page to read."""
    return make_response(
        render_template("api/reference.html", api=openapi.reference(openapi.document()))
    )


@bp.get("/sites/<site_slug>")
@bp.response(200, SiteSchema)
@bp.alt_response(404, response="NOT_FOUND")
def site(site_slug):
    """A public site."""
    return get_public_site(site_slug)


@bp.get("/sites/<site_slug>/posts")
@bp.arguments(PageSchema, location="query", as_kwargs=True)
@bp.response(200, PostSummarySchema(many=True), headers=openapi.LINK_HEADER)
@bp.alt_response(404, response="NOT_FOUND")
def site_posts(site_slug, cursor, limit):
    """A site's published posts, newest first, a page at a time."""
    page = queries.site_public_posts_page(get_public_site(site_slug), cursor, limit)
    return page.items, responses.next_page_link(page, limit)


@bp.get("/sites/<site_slug>/posts/<post_slug>")
@bp.response(200, PostSchema)
@bp.alt_response(404, response="NOT_FOUND")
def site_post(site_slug, post_slug):
    """One published post of a site."""
    return queries.public_post(get_public_site(site_slug), post_slug) or abort(404)


@bp.get("/me")
@bearer.token_required
@bp.response(200, UserSchema)
def me():
    """The token's owner, and their site."""
    return g.api_token.user


@bp.get("/me/posts")
@bearer.token_required
@bp.arguments(PageSchema, location="query", as_kwargs=True)
@bp.response(200, PostSummarySchema(many=True), headers=openapi.LINK_HEADER)
def my_posts(cursor, limit):
    """Your posts, drafts included, most recently changed first, a page at a time."""
    page = queries.user_posts_page(g.api_token.user, cursor, limit)
    return page.items, responses.next_page_link(page, limit)


@bp.post("/me/posts")
@bearer.token_required
@bp.arguments(NewPostSchema)
@bp.response(201, PostSchema, headers=openapi.LOCATION_HEADER)
def create_post(fields):
    """Write a post: a draft, unless it is sent as published. Needs a write token."""
    post = publishing.create_post(
        g.api_token.user, fields["title"], fields["body"], fields["published"]
    )
    return post, {"Location": responses.public_url("api.my_post", post_id=post.id)}


@bp.get("/me/posts/<int:post_id>")
@bearer.token_required
@bp.response(200, PostSchema)
@bp.alt_response(404, response="NOT_FOUND")
def my_post(post_id):
    """One of your posts, draft or published."""
    return get_own_post(post_id)


@bp.patch("/me/posts/<int:post_id>")
@bearer.token_required
@bp.arguments(PostChangesSchema)
@bp.response(200, PostSchema)
@bp.alt_response(404, response="NOT_FOUND")
def update_post(changes, post_id):
    """Change a post's title, body or published state. Needs a write token."""
    post = get_own_post(post_id)
    return publishing.update_post(
        post,
        changes.get("title", post.title),
        changes.get("body", post.body),
        changes.get("published", post.is_published),
    )


@bp.delete("/me/posts/<int:post_id>")
@bearer.token_required
@bp.response(204)
@bp.alt_response(404, response="NOT_FOUND")
def delete_post(post_id):
    """Delete a post, for good. Needs a write token."""
    publishing.delete_post(get_own_post(post_id))
    return responses.no_content()
