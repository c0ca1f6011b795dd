"""One id per request, from nginx to the logs and the 500 page: X-Request-ID.

nginx makes one per request ($request_id) and sends it on; behind the proxy the
app takes it, as ProxyFix takes X-Forwarded-*, and anywhere else it makes its
own, so a visitor cannot choose the id their request is logged under.
"""

import re
import uuid

from flask import current_app, g

HEADER = "X-Request-ID"
# nginx's ids are 32 hex digits; anything shaped otherwise is not taken.
ACCEPTED = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id() -> str:
    """This request's id: the proxy's when it sent one (production), otherwise a new one."""
    if "request_id" not in g:
        from flask import request

        sent = request.headers.get(HEADER, "")
        trusted = current_app.config["TRUST_PROXY_HEADERS"] and ACCEPTED.fullmatch(sent)
        g.request_id = sent if trusted else uuid.uuid4().hex
    return g.request_id


def send_request_id(response):
    """Every response carries its request's id."""
    response.headers[HEADER] = request_id()
    return response
