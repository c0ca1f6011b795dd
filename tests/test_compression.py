"""Pages gzipped by the app when the visitor accepts gzip, so that nginx keeps them gzipped.

nginx keys its cache on whether a visitor accepts gzip, by its own `map`: run
here (tests.support.nginx_maps) against the app's rule on generated headers.
"""

import gzip
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared_web.accept_headers import READ_LIMIT
from shared_web.compression import accepts_gzip
from tests.support.nginx_maps import NGINX_CONF, nginx_variable
from tests.support.timing import slowdown

GZIP = {"Accept-Encoding": "gzip"}


def test_a_page_is_gzipped_for_a_visitor_who_accepts_it(client, make_user, make_post):
    make_post(make_user("ada"), "Notes", "Many notes. " * 200)
    for url in ["/", "/sites/ada/", "/sites/ada/feed.xml"]:
        plain = client.get(url)
        compressed = client.get(url, headers=GZIP)

        assert "Content-Encoding" not in plain.headers, url
        assert compressed.headers["Content-Encoding"] == "gzip", url
        assert gzip.decompress(compressed.get_data()) == plain.get_data(), url
        assert "Accept-Encoding" in plain.headers["Vary"], url
        assert "Accept-Encoding" in compressed.headers["Vary"], url


def test_gzip_refused_or_not_worth_it_leaves_the_answer_plain(client):
    refused = client.get("/", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    # A few bytes, an error page and a static file (sent from disk) stay as they are.
    for url in ["/robots.txt", "/no-such-page", "/static/css/inkpot.css"]:
        assert "Content-Encoding" not in client.get(url, headers=GZIP).headers, url


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("gzip, deflate, br", True),
        (" deflate ;q=0.5 ,\tgzip ; Q = 0.001", True),
        ("gzip;q=1.000", True),
        # Refused, or not named: the plain page, which every client accepts.
        ("gzip;q=0", False),
        ("gzip;q=0.000, identity", False),
        ("identity", False),
        ("*", False),
        ("*;q=0.5, deflate", False),
        ("x-gzip", False),
        ("gzip;q=2", False),
        ("gzip;level=9", False),
        ("", False),
        (None, False),
    ],
)
def test_a_page_is_gzipped_only_for_a_visitor_who_names_gzip(
    client, make_user, make_post, accept_encoding, gzipped
):
    make_post(make_user("ada"), "Notes", "Many notes. " * 200)
    headers = {} if accept_encoding is None else {"Accept-Encoding": accept_encoding}

    response = client.get("/sites/ada/", headers=headers)

    assert (response.headers.get("Content-Encoding") == "gzip") is gzipped
    assert accepts_gzip(accept_encoding) is gzipped


CODINGS = st.sampled_from(["gzip", "GZip", "x-gzip", "gzipx", "deflate", "br", "*", "identity", ""])
WEIGHTS = st.sampled_from(
    ["", ";q=0", ";q=0.0", ";q=0.5", "; q = 1", ";Q=0.001", ";q=1.5", ";q=", ";v=1"]
)
SPACES = st.sampled_from(["", " ", "\t"])
ACCEPT_ENCODING = st.lists(
    st.tuples(SPACES, CODINGS, WEIGHTS, SPACES).map("".join), max_size=5
).map(",".join)
# Headers that reach past the part both sides read (READ_LIMIT), cut anywhere before it.
LONG_ACCEPT_ENCODING = st.builds(
    lambda length, header: ("deflate;q=0.5, " * 40)[:length] + header,
    st.integers(READ_LIMIT - 30, READ_LIMIT + 5),
    ACCEPT_ENCODING,
)


@settings(max_examples=300, deadline=None)
@given(accept_encoding=st.one_of(ACCEPT_ENCODING, LONG_ACCEPT_ENCODING))
@example(accept_encoding="x" * (READ_LIMIT - 5) + ",gzip")
@example(accept_encoding="x" * (READ_LIMIT - 4) + ",gzip")
@example(accept_encoding="gzip;q=0." + "1" * 8100 + "x")
def test_nginx_keys_its_cache_on_gzip_exactly_as_the_app_decides(accept_encoding):
    nginx_decides = nginx_variable("inkpot_encoding", {"http_accept_encoding": accept_encoding})
    assert (nginx_decides == "gzip") is accepts_gzip(accept_encoding)


def test_nginx_tells_the_app_what_it_decided_for_its_cache_key():
    # So the copy stored under a key is always the one the key says, whatever the
    # visitor's own header (tests/deploy/test_hostile_headers.py shows it through nginx).
    conf = NGINX_CONF.read_text()
    key = re.search(r"^\s*proxy_cache_key (.*);$", conf, re.MULTILINE).group(1)
    assert "encoding=$inkpot_encoding" in key
    assert "proxy_set_header Accept-Encoding $inkpot_encoding;" in conf


def test_nginx_reads_a_hostile_accept_encoding_as_fast_as_a_plain_one():
    hostile = "gzip;q=0." + "1" * 8100 + "x"
    plain = ("deflate;q=0.5, " * 600)[: len(hostile)]

    def nginx_decides(accept_encoding):
        return nginx_variable("inkpot_encoding", {"http_accept_encoding": accept_encoding})

    # Linear time gives a few at most (the two differ in what they make the maps read).
    assert slowdown(nginx_decides, hostile, plain, calls=100) < 10
