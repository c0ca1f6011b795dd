"""Jinja filters both layouts share: how dates and devices read on every page."""

from datetime import datetime

from shared_models.models import as_utc
from shared_models.sessions import describe_device


def format_date(moment: datetime | None) -> str:
    """'23 Nov 2026'."""
    return as_utc(moment).strftime("%-d %b %Y") if moment else ""


def format_datetime(moment: datetime | None) -> str:
    """'23 Nov 2026, 14:05 UTC'."""
    return as_utc(moment).strftime("%-d %b %Y, %H:%M UTC") if moment else ""


def isoformat(moment: datetime | None) -> str:
    """RFC 3339, as Atom feeds and <time datetime> want it."""
    return as_utc(moment).isoformat(timespec="seconds") if moment else ""


TEMPLATE_FILTERS = {
    "date": format_date,
    "datetime": format_datetime,
    "isoformat": isoformat,
    "device": describe_device,
}
