"""Jinja filters both layouts share: how dates, numbers, durations and devices read on every page.

Dates and numbers are written the way the page's language writes them
(shared_web.languages): "23 Nov 2026" in English, "2026年11月23日" in Chinese.
Machine-readable times (`<time datetime>`, the Atom feed) stay ISO 8601.
"""

from datetime import datetime, timedelta

import flask_babel

from shared_models.models import as_utc
from shared_models.sessions import describe_device
from shared_web.languages import current_language


def format_date(moment: datetime | None) -> str:
    """'23 Nov 2026', '2026年11月23日'."""
    if not moment:
        return ""
    return flask_babel.format_date(as_utc(moment), current_language().date_format)


def format_datetime(moment: datetime | None) -> str:
    """'23 Nov 2026, 14:05 UTC', '2026年11月23日 14:05 UTC'."""
    if not moment:
        return ""
    return flask_babel.format_datetime(as_utc(moment), current_language().datetime_format)


def format_number(number: int) -> str:
    """'1,234' in English and in Chinese alike, but as each language writes it."""
    return flask_babel.format_number(number)


def lasting(duration: timedelta) -> str:
    """'48 hours', '1 hour': how long an emailed link works, in the page's or email's language."""
    hours = int(duration.total_seconds() // 3600)
    return flask_babel.ngettext("%(num)d hour", "%(num)d hours", hours)


def isoformat(moment: datetime | None) -> str:
    """RFC 3339, as Atom feeds and <time datetime> want it."""
    return as_utc(moment).isoformat(timespec="seconds") if moment else ""


def device(user_agent: str) -> str:
    """'Firefox on Linux', in the page's language."""
    return describe_device(user_agent, translate=flask_babel.gettext)


TEMPLATE_FILTERS = {
    "date": format_date,
    "datetime": format_datetime,
    "number": format_number,
    "isoformat": isoformat,
    "lasting": lasting,
    "device": device,
}
