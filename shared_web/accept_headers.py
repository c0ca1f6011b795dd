"""Accept-Language and Accept-Encoding, read item by item in time linear in the header.

Both are lists of `value;q=weight` items, and every visitor writes their own: one
backtracking pattern over the whole header once took seconds on a crafted 8 KB
one. So they are read in steps that cannot backtrack, and only as far as
READ_LIMIT characters. nginx's `map`s (deploy/nginx/inkpot.conf) read the same
headers by the same rules, for its cache key; tests/test_languages_in_nginx.py and
tests/test_compression.py hold the two to it.
"""

import re
from collections.abc import Iterator

# Browsers send a few dozen characters. Past this many no item is read, and an item
# cut by the limit is not read either: `zh-TW` cut to `zh` would name another language.
READ_LIMIT = 512
# Allowed around an item and around each part of its weight.
WHITESPACE = " \t"
# A weight above 0, as HTTP writes weights (0 to 1): `1`, `1.000`, `0.5`, `0.001`.
POSITIVE_WEIGHT = re.compile(r"1(?:\.0*+)?+|0\.0*+[1-9][0-9]*+")


def read_part(header: str) -> str:
    """The header's items that end within its first READ_LIMIT characters."""
    if len(header) <= READ_LIMIT:
        return header
    last_comma = header.rfind(",", 0, READ_LIMIT + 1)
    return header[:last_comma] if last_comma != -1 else ""


def accepted_values(header: str | None) -> Iterator[str]:
    """The values a header accepts, in its order, as written (whitespace aside).

    An item is a value, optionally followed by `;q=` and a weight. A weight of 0
    refuses the value; an empty item, one with another parameter, or one whose
    weight is not one (`q=2`, `q=x`) says nothing, and is skipped.
    """
    for item in read_part(header or "").split(","):
        value, semicolon, parameter = item.partition(";")
        value = value.strip(WHITESPACE)
        if not value:
            continue
        if semicolon:
            name, equals, weight = parameter.partition("=")
            if not (
                name.strip(WHITESPACE).lower() == "q"
                and equals
                and POSITIVE_WEIGHT.fullmatch(weight.strip(WHITESPACE))
            ):
                continue
        yield value
