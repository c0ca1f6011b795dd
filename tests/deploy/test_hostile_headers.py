"""Headers a visitor shapes, through nginx → gunicorn → the app: what they cost, what they key.

nginx reads Cookie, Accept-Language and Accept-Encoding with regex `map`s on every
proxied request, cache hits included, to key its micro-cache; the app reads the
same headers when asked directly. A crafted header once cost nginx a tenth of a
second per request (and an alert line in its error log) and the app seconds. Here
each hostile header is timed against a plain one of the same length, in turns,
best round of each (tests.support.timing): a ratio, which a busy machine does not
change, rather than a time. And a visitor's Accept-Encoding, however spelled,
never leaves a copy in the cache that another visitor cannot read.
"""

import gzip
import http.client
import uuid

import pytest

from tests.deploy.stacks import Visitor
from tests.support.timing import slowdown

pytestmark = pytest.mark.slow

# Linear time gives about 1; before the fix nginx gave a hundred and more, the app thousands.
MAX_RATIO = 3
ROUNDS = 7
PCRE_GAVE_UP = "pcre2_match() failed"

# Header → (hostile, plain of the same length), 8 KB each: about the most nginx
# takes in one header line (large_client_header_buffers, 8k by default).
HOSTILE_HEADERS = {
    "Accept-Language": (
        "en;q=0." + "1" * 8100 + "x",
        ("fr-FR;q=0.8, de;q=0.7, " * 400)[:8108],
    ),
    "Cookie": (
        'a="' + "._" * 4050 + "en",
        'a="' + "xy" * 4050 + "en",
    ),
    "Accept-Encoding": (
        "gzip;q=0." + "1" * 8100 + "x",
        ("deflate;q=0.5, br;q=0.4, " * 400)[:8110],
    ),
}


def unique(path: str) -> str:
    """A URL no other test uses: its own cache entries."""
    return f"{path}?headers-test={uuid.uuid4().hex}"


def through_nginx(stack, url: str, header: str):
    """A request that sends one header through nginx, timed by `slowdown`."""
    return lambda value: Visitor(stack.url).get(url, headers={header: value})


def straight_to_the_app(stack, url: str, header: str):
    """A request that sends one header to gunicorn itself, where the app reads it."""

    def request(value: str) -> None:
        port = stack.config.app_ports[0]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            host = stack.url.removeprefix("http://")
            connection.request("GET", url, headers={"Host": host, header: value})
            assert connection.getresponse().read()
        finally:
            connection.close()

    return request


@pytest.mark.parametrize("header", HOSTILE_HEADERS)
def test_a_hostile_header_costs_nginx_no_more_than_a_plain_one(stack, header):
    hostile, plain = HOSTILE_HEADERS[header]
    assert len(hostile) == len(plain)
    # A cached page: nginx's own work is all there is to time, its maps included.
    url = unique("/")
    Visitor(stack.url).get(url)

    ratio = slowdown(through_nginx(stack, url, header), hostile, plain, rounds=ROUNDS)

    assert ratio < MAX_RATIO, f"nginx took {ratio:.0f} times as long on the hostile {header}"
    assert PCRE_GAVE_UP not in stack.read_log("nginx-error.log")


@pytest.mark.parametrize("header", ["Accept-Language", "Accept-Encoding"])
def test_a_hostile_header_costs_the_app_no_more_than_a_plain_one(stack, header):
    hostile, plain = HOSTILE_HEADERS[header]
    # Asked directly, the app reads the header itself (behind nginx it takes nginx's word).
    request = straight_to_the_app(stack, "/", header)

    ratio = slowdown(request, hostile, plain, rounds=ROUNDS)

    assert ratio < MAX_RATIO, f"the app took {ratio:.0f} times as long on the hostile {header}"


def is_gzipped(response) -> bool:
    return response.headers.get("Content-Encoding") == "gzip"


def html_of(response) -> str:
    body = gzip.decompress(response.body) if is_gzipped(response) else response.body
    return body.decode("utf-8")


# Accept-Encoding → whether that visitor gets the gzipped page: gzip named, with a
# weight above 0 (shared_web/compression.py). `*` accepts the plain page too.
ACCEPT_ENCODINGS = {
    "*": False,
    "gzip;q=0": False,
    "gzip;q=0, identity": False,
    "identity": False,
    "GZIP": True,
    "deflate, gzip;q=0.5": True,
}
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.mark.parametrize("accept_encoding", ACCEPT_ENCODINGS)
def test_every_visitor_gets_a_copy_in_an_encoding_they_accept(stack, accept_encoding):
    sent = {"visitor": {"Accept-Encoding": accept_encoding}, "plain": {}, "browser": BROWSER}
    # Whoever comes first leaves the copy that the next visitors of their key are served.
    for order in [("visitor", "plain", "browser"), ("browser", "visitor", "plain")]:
        url = unique("/")

        answers = {who: Visitor(stack.url).get(url, headers=sent[who]) for who in order}

        assert [answer.status for answer in answers.values()] == [200] * 3
        assert not is_gzipped(answers["plain"]), f"gzip for a client that asked for none: {order}"
        assert is_gzipped(answers["browser"]), order
        assert is_gzipped(answers["visitor"]) is ACCEPT_ENCODINGS[accept_encoding], order
        assert all('<html lang="en"' in html_of(answer) for answer in answers.values())
