"""nginx's cache key works the page's language out exactly as the app does.

Its `map`s are read from deploy/nginx/inkpot.conf and run here with Python's `re`
(tests.support.nginx_maps), against the app's own rules
(tests.support.languages.app_language), for any cookie and Accept-Language header
hypothesis makes up.
"""

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared_web.languages import PROXY_HEADER
from tests.support.languages import app_language
from tests.support.nginx_maps import NGINX_CONF, nginx_variable


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
ACCEPT_LANGUAGE = st.lists(
    st.tuples(SPACES, LANGUAGE_ITEMS, Q_VALUES, SPACES).map("".join), max_size=5
).map(",".join)
COOKIE_PARTS = st.sampled_from(
    ["locale=zh-Hans", "locale=en", "locale=fr", "locale=", "locale", 'locale="zh-Hans"',
     "locale=ZH-HANS", " locale =zh-Hans", "locale= en", "xlocale=zh-Hans", "localex=en",
     "theme=dark", 'a="x;locale=zh-Hans"', 'a="b', "=zh-Hans", "locale=zh-Hans x",
     "functional_layout_session=abc", "locale=en;", '"', 'a="x']
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
