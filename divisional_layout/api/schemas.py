"""The API's JSON shapes: what its views read and answer, and what its OpenAPI document shows."""

from marshmallow import Schema, fields, missing, validate

from shared_models.models import EXCERPT_MAX, POST_BODY_MAX, POST_TITLE_MAX
from shared_web.fields import (
    CURSOR_PATTERN,
    STORABLE_TEXT,
    STORABLE_TITLE,
    Cursor,
    StrictBoolean,
    UtcDateTime,
    at_most,
)
from shared_web.responses import public_url

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
URL = {"type": "string", "format": "uri"}


class SiteSchema(Schema):
    class Meta:
        description = "A public site: a writer's blog."

    slug = fields.String(
        required=True, metadata={"description": "The site's name on Inkpot: its owner's username."}
    )
    title = fields.String(required=True)
    tagline = fields.String(required=True)
    url = fields.Method(
        "front_page_url", required=True, metadata={**URL, "description": "Its front page."}
    )

    def front_page_url(self, site):
        return public_url("sites.front_page", site_slug=site.slug)


class UserSchema(Schema):
    class Meta:
        description = "A token's owner."

    id = fields.Integer(required=True)
    username = fields.String(required=True)
    site = fields.Nested(SiteSchema, required=True)


class PostHeadSchema(Schema):
    """What a post shows wherever it appears, lists included: all but its text."""

    id = fields.Integer(required=True)
    title = fields.String(required=True)
    slug = fields.String(
        required=True,
        metadata={"description": "Its name in its URL: set by the title until it is published."},
    )
    published = fields.Boolean(required=True, attribute="is_published")
    published_at = UtcDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When it first went public (kept if it goes back to draft)."},
    )
    updated_at = UtcDateTime(required=True, metadata={"description": "When it last changed."})
    url = fields.Method(
        "post_url", metadata={**URL, "description": "Its public page; absent for a draft."}
    )

    def post_url(self, post):
        if not post.is_published:
            return missing
        return public_url("sites.post_page", site_slug=post.site.slug, post_slug=post.slug)


class PostSchema(PostHeadSchema):
    class Meta:
        description = "A post, with its text. Only its owner, through /me, sees drafts."

    body = fields.String(required=True, metadata={"description": "Markdown, as written."})
    body_html = fields.String(
        required=True, metadata={"description": "The body rendered to HTML, sanitized."}
    )


class PostSummarySchema(PostHeadSchema):
    class Meta:
        description = (
            "A post in a list: its excerpt in place of its text, which the post's own URL "
            "answers (`/api/v1/sites/{site_slug}/posts/{slug}`; `/api/v1/me/posts/{id}`)."
        )

    excerpt = fields.String(
        required=True,
        metadata={
            "maxLength": EXCERPT_MAX,
            "description": "The start of its text, without markup, cut at a word.",
        },
    )


TITLE = {"pattern": STORABLE_TITLE, "description": "Plain text; white space around it is dropped."}
BODY = {"pattern": STORABLE_TEXT, "description": "Markdown."}
PUBLISHED = {"description": "Whether the post is public; a draft otherwise."}


# The schemas of what clients send carry no Meta.description: with one, apispec leaves
# `additionalProperties: false` out, and the document would invite fields that are refused.


class NewPostSchema(Schema):
    """A post to write."""

    title = fields.String(required=True, validate=at_most(POST_TITLE_MAX), metadata=TITLE)
    body = fields.String(load_default="", validate=at_most(POST_BODY_MAX), metadata=BODY)
    published = StrictBoolean(load_default=False, metadata=PUBLISHED)


class PostChangesSchema(Schema):
    """Changes to a post: any of its three fields; the others stay as they are."""

    title = fields.String(validate=at_most(POST_TITLE_MAX), metadata=TITLE)
    body = fields.String(validate=at_most(POST_BODY_MAX), metadata=BODY)
    published = StrictBoolean(metadata=PUBLISHED)


class PageSchema(Schema):
    """Which page of a list to answer."""

    cursor = Cursor(
        load_default=None,
        metadata={
            "pattern": f"^{CURSOR_PATTERN.pattern}$",
            "description": "Where the page starts: from the previous page's Link header.",
        },
    )
    limit = fields.Integer(
        load_default=DEFAULT_PAGE_SIZE,
        validate=validate.Range(1, MAX_PAGE_SIZE),
        metadata={"description": "How many posts the page holds, at most."},
    )
