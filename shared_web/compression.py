"""Answers gzipped by the app, once per copy, when the visitor accepts gzip.

nginx would gzip them too, but on every answer it sends: a page or feed from its
micro-cache is compressed again for each reader (`make bench`: the feed, 103 KB,
went from 12,000 copies a second to under 300 when the client asked for gzip).
Compressed here, the copy nginx keeps is already small, and every reader of it
costs nginx a file read. nginx never compresses an answer that is compressed
already. Its cache keeps a gzipped and a plain copy of each page apart, keyed on
whether the visitor accepts gzip as `accepts_gzip` decides it (its
$inkpot_encoding map reads the header by the same rules); and it tells the app
what it decided, in place of the visitor's own header, so the copy filed under
either key is always the one the key says.
"""

import gzip

from flask import Flask, Response, request

from shared_web.accept_headers import accepted_values

# What compresses well; images and fonts are compressed already.
COMPRESSIBLE = {
    "text/html",
    "text/css",
    "text/plain",
    "text/xml",
    "application/atom+xml",
    "application/json",
    "application/problem+json",
    "application/javascript",
    "application/xml",
}
# Smaller answers fit in a packet or two either way.
MIN_SIZE = 1024
# nginx's gzip_comp_level is 5 per answer; once per copy, a little more is worth it.
LEVEL = 6


def init_app(app: Flask) -> None:
    """Register before every other after_request hook, so that it runs after all of them."""
    app.after_request(compress)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether the visitor names gzip with a weight above 0.

    Only by name: `*` (any coding) gets the plain answer, which it accepts too,
    so that there is one rule, simple enough for nginx's map to read alike.
    """
    return any(coding.lower() == "gzip" for coding in accepted_values(accept_encoding))


def compress(response: Response) -> Response:
    if (
        response.status_code != 200
        or response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or response.mimetype not in COMPRESSIBLE
    ):
        return response
    response.vary.add("Accept-Encoding")
    if not accepts_gzip(request.headers.get("Accept-Encoding")):
        return response
    body = response.get_data()
    if len(body) < MIN_SIZE:
        return response
    response.set_data(gzip.compress(body, LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response
