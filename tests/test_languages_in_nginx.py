"""nginx's cache key works the page's language out exactly as the app does, and as fast.

Its `map`s are read from deploy/nginx/inkpot.conf and run here with Python's `re`
(tests.support.nginx_maps), against the app's own rules
(tests.support.languages.app_language), for any cookie and Accept-Language header
hypothesis makes up, hostile ones included. tests/deploy/test_hostile_headers.py
runs the real nginx on hostile headers.
"""

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared_web.accept_headers import READ_LIMIT
from shared_web.languages import PROXY_HEADER
from tests.support.languages import app_language
from tests.support.nginx_maps import NGINX_CONF, nginx_variable
from tests.support.timing import slowdown


def nginx_language(cookie_header: str, accept_language: str) -> str:
    """$inkpot_language, worked out by nginx's maps from the two request headers."""
    request = {"http_cookie": cookie_header, "http_accept_language": accept_language}
    return nginx_variable("inkpot_language", request)


LANGUAGE_ITEMS = st.sampled_from(
    ["en", "en-GB", "EN-us", "zh", "zh-CN", "zh-cn", "zh-Hans", "zh-Hans-CN", "zh-TW", "zh-Hant",
     "zh-HK", "zh-SG", "zh-MY", "zh-Hant-TW", "fr", "de-DE", "*", "eng", "zhx", "zh-", "en-"]
)  # fmt: skip
Q_VALUES = st.sampled_from(
    [
        "",
        ";q=0",
        ";q=0.0",
        ";q=0.5",
        "; q=1",
        ";q=1.0",
        ";q=0.001",
        ";Q=0.8",
        ";q=x",
        ";q=1.5",
        ";level=1",
    ]
)
SPACES = st.sampled_from(["", " ", "\t", "  "])
SHORT_ACCEPT_LANGUAGE = st.lists(
    st.tuples(SPACES, LANGUAGE_ITEMS, Q_VALUES, SPACES).map("".join), max_size=5
).map(",".join)
# Headers that reach past the part both sides read, cut anywhere in the items before.
LONG_ACCEPT_LANGUAGE = st.builds(
    lambda length, header: ("fr-FR;q=0.8, " * 50)[:length] + header,
    st.integers(READ_LIMIT - 30, READ_LIMIT + 5),
    SHORT_ACCEPT_LANGUAGE,
)
ACCEPT_LANGUAGE = st.one_of(SHORT_ACCEPT_LANGUAGE, LONG_ACCEPT_LANGUAGE)
COOKIE_PARTS = st.sampled_from(
    ["locale=zh-Hans", "locale=en", "locale=fr", "locale=", "locale", 'locale="zh-Hans"',
     "locale=ZH-HANS", " locale =zh-Hans", "locale= en", "xlocale=zh-Hans", "localex=en",
     "theme=dark", 'a="x;locale=zh-Hans"', 'a="b', "=zh-Hans", "locale=zh-Hans x",
     "functional_layout_session=abc", "locale=en;", '"', 'a="x', 'a="x\\"', 'a="\\\\"',
     'a="x\\";locale=zh-Hans"', 'locale="zh-Hans\\"', 'a=\\"']
)  # fmt: skip
COOKIE_HEADER = st.lists(COOKIE_PARTS, max_size=4).flatmap(
    lambda parts: st.sampled_from([";", "; ", " ;"]).map(lambda sep: sep.join(parts))
)


@settings(max_examples=400, deadline=None)
@given(cookie=COOKIE_HEADER, accept_language=ACCEPT_LANGUAGE)
@example(cookie="", accept_language="zh-TW,zh;q=0.9")
@example(cookie='a="x;locale=zh-Hans"', accept_language="en")
@example(cookie='a="x;locale=zh-Hans;"', accept_language="en")
@example(cookie="locale=fr; locale=zh-Hans", accept_language="en")
@example(cookie="locale=zh-Hans", accept_language="en;q=0, zh;q=0")
# A backslash escapes the next character of a quoted value, a quote included.
@example(cookie='a="x\\"; locale=zh-Hans; b="', accept_language="en")
# Only the items that end within the part read count: not `zh-TW` cut to `zh`.
@example(cookie="", accept_language="x" * (READ_LIMIT - 3) + ",zh-TW")
@example(cookie="", accept_language="x" * (READ_LIMIT - 3) + ",zh")
@example(cookie="", accept_language="x" * (READ_LIMIT - 2) + ",zh")
@example(cookie="", accept_language="x" * 400 + ",zh," + "y" * 8000)
@example(cookie="", accept_language="fr," * 300 + "zh")
# Hostile: each once cost the app or nginx seconds, or a tenth of one.
@example(cookie="", accept_language="en;q=0." + "1" * 8100 + "x")
@example(cookie='a="' + "._" * 12 + "en", accept_language="zh")
def test_nginx_works_out_the_language_exactly_as_the_app_does(cookie, accept_language):
    assert nginx_language(cookie, accept_language) == app_language(cookie, accept_language)


def test_the_map_runner_reads_the_real_maps():
    # Not a tautology: both sides give the languages the contract gives.
    assert nginx_language("", "") == "en"
    assert nginx_language("", "zh-CN,zh;q=0.9") == "zh-Hans"
    assert nginx_language("locale=en", "zh") == "en"
    assert nginx_language("locale=zh-Hans", "en") == "zh-Hans"
    assert nginx_language("locale=klingon", "zh") == "zh-Hans"


def test_the_cache_key_holds_the_language_nginx_passes_to_the_app():
    conf = NGINX_CONF.read_text()
    key = re.search(r"^\s*proxy_cache_key (.*);$", conf, re.MULTILINE).group(1)
    assert "$inkpot_language" in key
    assert f"proxy_set_header {PROXY_HEADER} $inkpot_language;" in conf


# Headers on which a backtracking pattern spends far more than on others of their length.
HOSTILE_HEADERS = {
    "a weight's digits": (
        "http_accept_language",
        "en;q=0." + "1" * 8100 + "x",
        ("fr-FR;q=0.8, " * 700)[:8108],
    ),
    "a quoted value's dots": (
        "http_cookie",
        'a="' + "._" * 14 + "en",
        'a="' + "xy" * 14 + "en",
    ),
}


@pytest.mark.parametrize(
    ("header", "hostile", "plain"), HOSTILE_HEADERS.values(), ids=HOSTILE_HEADERS
)
def test_nginx_works_the_language_out_as_fast_from_a_hostile_header_as_from_a_plain_one(
    header, hostile, plain
):
    assert len(hostile) == len(plain)

    def nginx_language_from(value):
        return nginx_variable("inkpot_language", {header: value})

    ratio = slowdown(nginx_language_from, hostile, plain, calls=100)

    # Linear time gives a few at most (the two make the maps read different amounts);
    # before the fix, a thousand and more.
    assert ratio < 10, f"nginx's maps took {ratio:.0f} times as long on the hostile {header}"
