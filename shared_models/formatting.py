"""How dates read on every page and in feeds, the same in both layouts."""

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything Inkpot stores is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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
}
