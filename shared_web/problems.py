"""The JSON API's errors as problem details (RFC 9457), decided once for the whole app.

Every error under /api/ is answered as `application/problem+json`, whatever
raised it: an unknown URL, a wrong method, a body too large, a refused rule, a
throttled client, a crash. The rest of the site keeps its HTML error pages
(shared_web.register_error_pages asks `is_api_request` which one to give).
"""

from http import HTTPStatus

from flask import Request, current_app, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from shared_models import RuleViolation
from shared_web.request_ids import request_id

API_PATH_PREFIX = "/api/"
PROBLEM_MIMETYPE = "application/problem+json"

# What each error means to a client, in the API's own words (its messages stay English).
DETAILS = {
    400: "The request could not be understood.",
    401: "Send a valid API token: `Authorization: Bearer <token>`.",
    403: "This token may only read. Writing needs a token with the write scope.",
    404: "There is nothing here.",
    405: "This URL does not accept that method; the Allow header lists those it does.",
    413: "The request body is too large: the API accepts at most 1 MiB.",
    415: "Send the request body as JSON, with `Content-Type: application/json`.",
    422: "Some fields are missing or not valid: see `errors`.",
    429: "Too many requests. Wait as many seconds as Retry-After says, then try again.",
    500: "Something went wrong on our side, and it has been logged. Please try again later.",
}
INVALID_JSON = "The request body is not valid JSON."


class ProblemSchema(Schema):
    """An error, as RFC 9457 problem details."""

    type = fields.String(
        required=True,
        metadata={"description": "A URI naming the kind of problem; `about:blank` for plain HTTP."},
    )
    title = fields.String(required=True, metadata={"description": "The HTTP status, in words."})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    detail = fields.String(
        required=True, metadata={"description": "What went wrong, and what to do about it."}
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "For a refused request body or query: each field's errors."},
    )
    request_id = fields.String(
        required=True,
        metadata={
            "description": "This request's id, as in the X-Request-ID header: "
            "quote it when you ask about an error."
        },
    )


def is_api_request(req: Request | None = None) -> bool:
    """Whether the request is for the JSON API: anything under /api/, routed or not."""
    path = (req or request).path
    return path == API_PATH_PREFIX.rstrip("/") or path.startswith(API_PATH_PREFIX)


def problem(status: int, detail: str | None = None, errors: dict | None = None, headers=None):
    """A problem+json response with this status, detail and field errors."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or DETAILS.get(status, HTTPStatus(status).description),
    }
    if errors:
        body["errors"] = errors
    body["request_id"] = request_id()
    return current_app.response_class(
        # In the order RFC 9457 lists the members, in UTF-8 as every API answer.
        current_app.json.dumps(body, sort_keys=False),
        status=status,
        mimetype=PROBLEM_MIMETYPE,
        headers=headers,
    )


def problem_for_http_error(error: HTTPException):
    """The problem details of an HTTP error raised while answering an API request."""
    # Allow (405), WWW-Authenticate (401) and the like; the body is ours.
    headers = [(name, value) for name, value in error.get_headers() if name != "Content-Type"]
    # webargs (behind flask-smorest's @arguments) says what it refused, by location.
    refused = getattr(error, "data", None) or {}
    detail, errors = None, {}
    for messages in (refused.get("messages") or {}).values():
        if isinstance(messages, list):  # the body as a whole, e.g. JSON that doesn't parse
            detail = INVALID_JSON if error.code == 400 else " ".join(messages)
            continue
        for field, field_messages in messages.items():
            if field == "_schema":  # marshmallow's name for "the body as a whole"
                detail = " ".join(field_messages)
            else:
                errors[field] = field_messages
    return problem(error.code or 500, detail, errors, headers)


def problem_for_violation(violation: RuleViolation):
    """A rule the domain refused: 422, with the message under the field it concerns."""
    errors = {violation.field: [violation.message]} if violation.field else None
    return problem(422, violation.message, errors)
