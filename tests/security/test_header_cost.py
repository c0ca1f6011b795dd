"""No crafted Accept-Language or Accept-Encoding header costs the app more than a plain one.

One backtracking pattern read Accept-Language: an 8 KB header of a weight's
digits and one stray letter took it 1.4 s, 16 KB 4.6 s, while the dev server
stood still. The time each parser takes on such headers is compared here with
the time it takes on plain headers of the same length, in turns, best round of
each (tests.support.timing), so the test holds on a busy machine.
tests/test_languages_in_nginx.py does the same for nginx's maps, and
tests/deploy/test_hostile_headers.py for the real stack.
"""

import pytest

from shared_web import compression, languages
from tests.support.timing import slowdown

SIZES = {"8 KB": 8 * 1024, "16 KB": 16 * 1024}
# Each shape, repeated to the size; each once made some backtracking pattern slow.
HOSTILE_SHAPES = {
    "a weight's digits": ("{value};q=0.", "1", "x"),
    "a weight's zeros": ("{value};q=0.", "0", "x"),
    "a weight of one's zeros": ("{value};q=1.", "0", "x"),
    "spaces": ("{value}", " ", "x"),
    "subtags": ("{value}", "-a", "-"),
    "commas": ("", ",", "x"),
    "many items": ("", "a,", "x"),
}
PLAIN_ITEMS = "fr-FR;q=0.8, de;q=0.7, "
PARSERS = {
    "Accept-Language": (languages.language_in_header, "en"),
    "Accept-Encoding": (compression.accepts_gzip, "gzip"),
}
# Only READ_LIMIT characters are read, in linear time: a hostile header can only be
# denser in items than a plain one, a few times the work at most. Before the fix a
# weight's digits gave thousands.
MAX_RATIO = 10


def hostile_header(shape: str, value: str, size: int) -> str:
    start, repeated, end = HOSTILE_SHAPES[shape]
    start = start.format(value=value)
    return start + repeated * ((size - len(start) - len(end)) // len(repeated)) + end


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES)
@pytest.mark.parametrize("shape", HOSTILE_SHAPES)
@pytest.mark.parametrize("header", PARSERS)
def test_a_hostile_header_costs_no_more_than_a_plain_one(header, shape, size):
    parse, value = PARSERS[header]
    hostile = hostile_header(shape, value, size)
    plain = (PLAIN_ITEMS * (size // len(PLAIN_ITEMS) + 1))[: len(hostile)]

    ratio = slowdown(parse, hostile, plain, calls=200)

    assert ratio < MAX_RATIO, f"{header}: {ratio:.0f} times as long on {shape} as on plain items"
