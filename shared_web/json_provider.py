"""The app's JSON, in and out: UTF-8 answers, and bodies that fail to parse as a ValueError.

Flask reads and writes JSON through `app.json` (request.get_json, jsonify), and
so do the API's views (flask-smorest, and the webargs parser shared_web.openapi
gives it) and its problem details: the app's JSON is read and written here.

Out: the text as it is, in UTF-8. Escaped to ASCII, a character beyond the Basic
Multilingual Plane (an emoji) takes 12 bytes (`\\ud83d\\ude00`) instead of 4.

In: Python's parser answers some bodies of a few kilobytes with errors its
callers do not expect, which would end as a 500. Here every body it cannot take
is a ValueError, which Flask (request.get_json) and the API's parser answer 400:
- nesting deeper than the interpreter's recursion limit (`[[[…]]]`, 3,000 deep,
  is 6 KB) raises RecursionError;
- integers are converted digit by digit, at a cost that grows with the square
  of their length: the interpreter caps them at 4,300 digits, but that cap is a
  setting (PYTHONINTMAXSTRDIGITS), so the limit is kept here, far lower;
- `NaN`, `Infinity` and `-Infinity` are not JSON at all (RFC 8259).
"""

import json

from flask.json.provider import DefaultJSONProvider

# Far beyond any number the API takes (its ids have at most nine digits).
INTEGER_DIGITS_MAX = 100


class UnreadableJSON(ValueError):
    """A body Python's parser could read no sense from, or not within its limits."""


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > INTEGER_DIGITS_MAX:
        raise UnreadableJSON(f"An integer has more than {INTEGER_DIGITS_MAX} digits.")
    return int(digits)


def _no_constants(name: str):
    raise UnreadableJSON(f"{name} is not a JSON value.")


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, written in UTF-8, and read within limits."""

    ensure_ascii = False

    def loads(self, s: str | bytes, **kwargs):
        kwargs.setdefault("parse_int", _integer)
        kwargs.setdefault("parse_constant", _no_constants)
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise UnreadableJSON("The JSON is nested too deeply.") from None
