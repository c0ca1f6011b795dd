"""Writing: post slugs, Markdown rendering and sanitizing, and the changes owners make."""

import re
import string
import unicodedata

import mistune
import nh3
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shared_models import audit
from shared_models.database import db
from shared_models.errors import N_, RuleViolation
from shared_models.models import (
    EXCERPT_LENGTH,
    POST_BODY_MAX,
    POST_SLUG_MAX,
    POST_TITLE_MAX,
    SITE_TITLE_MAX,
    TAGLINE_MAX,
    Post,
    Site,
    User,
    utcnow,
)
from shared_models.text_rules import UNSTORABLE_CHARACTERS, check_text


class _Renderer(mistune.HTMLRenderer):
    """mistune's HTML, with raw HTML shown as text and table alignment as an attribute.

    The sanitizer strips `style`, which mistune would otherwise use for alignment.
    """

    def inline_html(self, html: str) -> str:
        return mistune.escape(html)

    def block_html(self, html: str) -> str:
        return f"<p>{mistune.escape(html.strip())}</p>\n"

    def table_cell(self, text: str, align: str | None = None, head: bool = False) -> str:
        tag = "th" if head else "td"
        aligned = f' align="{align}"' if align in {"left", "center", "right"} else ""
        return f"<{tag}{aligned}>{text}</{tag}>\n"


class _BlockParser(mistune.BlockParser):
    """mistune's block rules, with a heading's closing `#`s trimmed by plain string steps.

    mistune trims them with a regex that tries each space of a run that no `#`
    ends: `# a`, 40,000 spaces and `x` took 6 seconds, four times the spaces
    sixteen times as long.
    """

    def parse_atx_heading(self, m: re.Match, state: mistune.BlockState) -> int:
        text = m.group("atx_2").strip(string.whitespace)
        # The optional closing sequence: `#`s at the very end, alone or after a space.
        bare = text.rstrip()
        if bare.endswith("#"):
            before = bare.rstrip("#")
            if not before or before[-1].isspace():
                text = before.rstrip()
        level = len(m.group("atx_1"))
        state.append_token(
            {"type": "heading", "text": text, "attrs": {"level": level}, "style": "atx"}
        )
        return m.end() + 1


def _create_markdown() -> mistune.Markdown:
    """mistune with tables and strikethrough, reading raw HTML as text like any other.

    Posts are Markdown, and reading HTML in them cost more than it gave:
    mistune's pattern for a tag's attributes backtracks exponentially (`z <x`
    then 24 times a tab, `a=b`, a tab and `c`: 148 characters took 8 seconds),
    and deeply nested tags make the sanitizer's HTML parser quadratic. With
    these rules off, the sanitizer only ever reads what the renderer wrote.
    """
    block = _BlockParser()
    for rules in (block.rules, block.block_quote_rules, block.list_rules):
        rules.remove("raw_html")
    inline = mistune.InlineParser(max_nested_level=block.max_nested_level)
    inline.rules.remove("inline_html")
    return mistune.Markdown(
        # escape=False keeps character references such as `&copy;` working; raw
        # HTML that still becomes a token (a block quote's lazy continuation
        # stops at an HTML block) is escaped by the renderer itself.
        renderer=_Renderer(escape=False),
        block=block,
        inline=inline,
        plugins=[mistune.import_plugin("table"), mistune.import_plugin("strikethrough")],
    )


# Every rule left parses in time linear in the text's length, whatever its
# shape: tests/security/test_render_cost.py times hostile shapes of each
# against ordinary Markdown of the same length.
_markdown = _create_markdown()

# What survives sanitizing: exactly what the renderer writes (text formatting,
# links, images, code and tables), so that nothing a writer types can pass for
# the site's own markup. Everything else (script, style, iframe, forms, event
# handlers, javascript: and data: URLs) is removed.
ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def _only_code_languages(tag: str, attribute: str, value: str) -> str | None:
    """Of a `class`, keep only the one kind the renderer writes: a code block's `language-…`.

    A writer's own classes, such as `button flash flash-error`, would dress their
    text up as the site's buttons and error messages.
    """
    if attribute != "class":
        return value
    languages = [name for name in value.split() if name.startswith("language-")]
    return " ".join(languages) or None


_sanitizer = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_only_code_languages,
    url_schemes=ALLOWED_URL_SCHEMES,
    link_rel="nofollow noopener noreferrer",
)


def sanitize_html(html: str) -> str:
    """HTML with only the tags, attributes, classes and URL schemes listed above left."""
    return _sanitizer.clean(html)


def render_markdown(source: str) -> str:
    """Markdown to HTML that is safe to show as it is, in a page and in the Atom feed."""
    html = sanitize_html(_markdown(source))
    # A character reference such as `&#1;` comes out of both as the raw control
    # character, which XML cannot carry: left in, it would break the feed.
    return UNSTORABLE_CHARACTERS.sub("", html)


def excerpt_of(body_html: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of a post's text, without markup, cut at a word: for lists and descriptions.

    Made when the post is saved, with its HTML, never per page: a list of ten
    posts would otherwise strip the tags of ten whole posts on every view.
    """
    # body_html is sanitized HTML already; striptags also decodes its entities.
    text = " ".join(Markup(body_html).striptags().split())  # noqa: S704
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def rendered(body: str) -> dict[str, str]:
    """The columns made from a post's Markdown: its safe HTML and its excerpt."""
    html = render_markdown(body)
    return {"body_html": html, "excerpt": excerpt_of(html)}


def slugify(text: str, max_length: int = POST_SLUG_MAX) -> str:
    """ASCII-fold, lower-case and hyphenate; a text that folds to nothing gives 'post'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug or "post"


# Room kept for "-2" … "-99999999" (and a hyphen trimmed before it) at the end of a slug.
SLUG_SUFFIX_ROOM = 10


def unique_post_slug(site: Site, title: str, exclude_post_id: int | None = None) -> str:
    """A slug for this title that no other post of the site uses: `x`, `x-2`, `x-3`, …"""
    base = slugify(title)
    # A numbered candidate cuts the end off a long base to stay within the
    # limit, so look up every slug sharing the part all candidates keep.
    kept = base[: POST_SLUG_MAX - SLUG_SUFFIX_ROOM]
    query = select(Post.slug).where(Post.site_id == site.id, Post.slug.startswith(kept))
    if exclude_post_id is not None:
        query = query.where(Post.id != exclude_post_id)
    taken = set(db.session.execute(query).scalars())
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: POST_SLUG_MAX - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        n += 1


def _check_post_fields(title: str, body: str) -> str:
    check_text(body, "body", POST_BODY_MAX, strip=False)
    return check_text(title, "title", POST_TITLE_MAX, required=N_("A post needs a title."))


# Two saves of one title can pick the same free slug at once; the database keeps
# only one, and the other tries the next suffix. Each clash means another save of
# that title has just succeeded, so this many covers ten of them at once; past
# that the writer is asked to try again.
SLUG_ATTEMPTS = 10


def _save(post: Post, fields: dict, new_slug: bool) -> None:
    """Set the post's fields and commit; with new_slug, under a slug no other post has.

    A concurrent save can take the chosen slug between the check and the commit:
    then the transaction is rolled back, which drops the changes, so they are set
    again before the next free slug is tried.
    """
    for _ in range(SLUG_ATTEMPTS):
        for name, value in fields.items():
            setattr(post, name, value)
        if post.is_published and post.published_at is None:
            post.published_at = utcnow()
        if new_slug:
            with db.session.no_autoflush:
                post.slug = unique_post_slug(post.site, fields["title"], exclude_post_id=post.id)
        db.session.add(post)
        try:
            db.session.commit()
            return
        except IntegrityError as error:
            db.session.rollback()
            if not (new_slug and "slug" in str(error.orig)):
                raise
    raise RuleViolation(
        N_("Many posts with this title are being saved right now; try again."), "title"
    )


def create_post(author: User, title: str, body: str, published: bool) -> Post:
    """Write a new post on the author's site; commit and return it."""
    title = _check_post_fields(title, body)
    post = Post(site=author.site)
    fields = {"title": title, "body": body, **rendered(body)}
    _save(post, {**fields, "is_published": published}, new_slug=True)
    return post


def update_post(post: Post, title: str, body: str, published: bool) -> Post:
    """Save an edit. A post's slug follows its title only until it is first published."""
    title = _check_post_fields(title, body)
    new_slug = post.published_at is None and title != post.title
    fields = {"title": title, "is_published": published}
    if body != post.body:
        fields |= {"body": body, **rendered(body)}
    _save(post, fields, new_slug)
    return post


def delete_post(post: Post) -> None:
    db.session.delete(post)
    db.session.commit()


def delete_post_as_admin(admin: User, post: Post) -> None:
    audit.record_event(
        audit.POST_DELETED_BY_ADMIN,
        actor=admin,
        target=post,
        detail=f"{post.site.slug}/{post.slug}: {post.title}",
    )
    db.session.delete(post)
    db.session.commit()


def update_site(site: Site, title: str, tagline: str) -> Site:
    title = check_text(title, "title", SITE_TITLE_MAX, required=N_("Your site needs a title."))
    site.tagline = check_text(tagline, "tagline", TAGLINE_MAX)
    site.title = title
    db.session.commit()
    return site
