"""Jinja filters both layouts share: how dates, excerpts and devices read on every page."""

from datetime import datetime

from markupsafe import Markup

from shared_models.models import as_utc
from shared_models.sessions import describe_device

# A summary's length in characters: two or three lines in a list, and what search
# engines show of a page's description.
EXCERPT_LENGTH = 220


def format_date(moment: datetime | None) -> str:
    """'23 Nov 2026'."""
    return as_utc(moment).strftime("%-d %b %Y") if moment else ""


def format_datetime(moment: datetime | None) -> str:
    """'23 Nov 2026, 14:05 UTC'."""
    return as_utc(moment).strftime("%-d %b %Y, %H:%M UTC") if moment else ""


def isoformat(moment: datetime | None) -> str:
    """RFC 3339, as Atom feeds and <time datetime> want it."""
    return as_utc(moment).isoformat(timespec="seconds") if moment else ""


def excerpt(post, length: int = EXCERPT_LENGTH) -> str:
    """The start of a post's text, without markup, cut at a word: for lists and descriptions."""
    # body_html is sanitized HTML already; striptags also decodes its entities.
    text = " ".join(Markup(post.body_html).striptags().split())  # noqa: S704
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


TEMPLATE_FILTERS = {
    "date": format_date,
    "datetime": format_datetime,
    "isoformat": isoformat,
    "excerpt": excerpt,
    "device": describe_device,
}
