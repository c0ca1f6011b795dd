"""Marshmallow fields the API's schemas share: UTC times, strict booleans, opaque page cursors."""

import re
from datetime import UTC, datetime, timedelta

from marshmallow import ValidationError, fields, validate

from shared_models.models import as_utc
from shared_models.queries import PostKey
from shared_models.text_rules import UNSTORABLE_CHARACTERS, too_long

# The domain's text rules as JSON Schema patterns, for the OpenAPI document: from it a
# client, or a fuzzer, learns which texts the domain refuses (the domain does the
# refusing). Lone surrogates, which it refuses too, are left out: the regex dialects of
# JSON Schema tools cannot name them, and JSON encoders do not write them.
_CONTROLS = UNSTORABLE_CHARACTERS.pattern.strip("[]").replace(r"\ud800-\udfff", "")
STORABLE_TEXT = rf"^[^{_CONTROLS}]*$"
# ... with something besides white space in it, as a title needs.
STORABLE_TITLE = rf"^[^{_CONTROLS}]*[^\s{_CONTROLS}][^{_CONTROLS}]*$"

# A cursor is a post's sort key: its time in microseconds since 1970 (14 hex digits last
# until the year 4253) and its id (15 hex digits). Every text of this shape names a
# place in a list, so the OpenAPI document can say exactly which cursors are accepted.
CURSOR_PATTERN = re.compile(r"[0-9a-f]{29}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BAD_CURSOR = "This is not a cursor the API gave out: start again from the first page."


def at_most(max_length: int) -> validate.Length:
    """A length limit that refuses in the domain's words, as the forms' limits do."""
    return validate.Length(max=max_length, error=too_long(max_length))


class UtcDateTime(fields.DateTime):
    """A moment as ISO 8601 in UTC, to the second: `2026-11-23T14:05:00Z`."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


class StrictBoolean(fields.Boolean):
    """JSON `true` or `false`, nothing else: `1` or `"yes"` is refused, as the document says."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def encode_cursor(key: PostKey) -> str:
    """The text a client sends back for the page after the row with this sort key."""
    moment, row_id = key
    micros = (as_utc(moment) - _EPOCH) // timedelta(microseconds=1)
    return f"{micros:014x}{row_id:015x}"


def decode_cursor(cursor: str) -> PostKey:
    """The sort key in a cursor from encode_cursor; ValueError for any other text."""
    if not CURSOR_PATTERN.fullmatch(cursor):
        raise ValueError("not a cursor")
    return _EPOCH + timedelta(microseconds=int(cursor[:14], 16)), int(cursor[14:], 16)


class Cursor(fields.String):
    """Where a page starts: the `cursor` in the previous page's `Link` header."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return decode_cursor(super()._deserialize(value, attr, data, **kwargs))
        except ValueError:
            raise ValidationError(BAD_CURSOR) from None
