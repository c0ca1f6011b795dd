"""The JSON API's OpenAPI document: written by flask-smorest from the api blueprint's code.

flask-smorest's `Api` is bound once per app (it keeps the document it writes),
but two of its habits are switched off: it would answer errors with JSON of its
own shape (the app's handlers answer problem details, shared_web.problems), and
it would serve the document from a blueprint of its own (the api blueprint
serves it instead, so the app keeps exactly its five area blueprints).
"""

import json
from dataclasses import dataclass
from http import HTTPStatus

import flask_smorest
from flask import Flask, Request, current_app
from flask_smorest.utils import prepare_response
from markupsafe import Markup
from marshmallow import missing
from webargs.flaskparser import FlaskParser, is_json_request

from shared_models.publishing import render_markdown
from shared_web.bearer import SAFE_METHODS, SECURITY_SCHEME
from shared_web.problems import PROBLEM_MIMETYPE, ProblemSchema

DESCRIPTION = """\
Inkpot's JSON API: read any public site and its posts, and write your own posts
with a personal API token made on your dashboard (`/dashboard/tokens`), sent as
`Authorization: Bearer <token>`. A `read` token reads; a `write` token also
creates, changes and deletes.

Lists come a page at a time, newest first: when more follow, the `Link` header
names the next page (`rel="next"`). A list's posts carry their `excerpt` (the
start of their text, without markup) instead of `body` and `body_html`, so a
page stays small however long its posts are: a post's own URL answers its
whole text. Every error is an RFC 9457 problem
(`application/problem+json`). Calls are throttled per token (per address
without one); a throttled call says in `Retry-After` when to come back."""

# Any call can be refused as unreadable (400), for a token that does not work
# (401), for coming too fast (429), or crash (500). A write can also meet a
# read-only token (403), and one with a body its size, type or contents.
PROBLEMS_OF_EVERY_CALL = (400, 401, 429, 500)
PROBLEMS_OF_A_WRITE = (403,)
PROBLEMS_OF_A_BODY = (413, 415, 422)
METHODS_WITH_A_BODY = frozenset({"POST", "PUT", "PATCH"})

# The headers the API's responses document.
LINK_HEADER = {
    "Link": {
        "description": 'The next page, as `<URL>; rel="next"`; absent on the last page.',
        "schema": {"type": "string"},
    }
}
LOCATION_HEADER = {
    "Location": {
        "description": "The new post's URL in this API.",
        "schema": {"type": "string", "format": "uri"},
    }
}


def problems_of(method: str) -> list[int]:
    """The error statuses any API call with this method can answer."""
    statuses = list(PROBLEMS_OF_EVERY_CALL)
    if method not in SAFE_METHODS:
        statuses += PROBLEMS_OF_A_WRITE
    if method in METHODS_WITH_A_BODY:
        statuses += PROBLEMS_OF_A_BODY
    return sorted(statuses)


class Api(flask_smorest.Api):
    """flask-smorest's Api, documenting problem details and leaving errors to the app."""

    ERROR_SCHEMA = ProblemSchema
    # Each operation lists the errors it can give (ApiBlueprint), instead of a catch-all.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        """Register nothing: shared_web's handlers answer every API error as a problem."""

    def _register_responses(self):
        """Describe every error status as problem details, for operations to refer to."""
        for status in HTTPStatus:
            if status >= 400:
                response = {"description": status.phrase, "schema": self.ERROR_SCHEMA}
                prepare_response(response, self.spec, PROBLEM_MIMETYPE)
                self.spec.components.response(status.name, response, lazy=True)


class ArgumentsParser(FlaskParser):
    """webargs' parser for Flask, reading JSON bodies with the app's own parser.

    webargs calls Python's json.loads itself, and turns only some of its errors
    into a 400; the app's (shared_web.json_provider) raises ValueError for every
    body it cannot take, and each is answered as JSON that does not parse.
    """

    def _raw_load_json(self, req: Request):
        if not is_json_request(req):
            return missing
        body = req.get_data(cache=True)
        if not body:  # as webargs does: no body is no fields, which the schema may refuse
            return missing
        try:
            return current_app.json.loads(body)
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors too
            return self._handle_invalid_json_error(error, req)


class ApiBlueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, listing on each operation the problems any call can give.

    A view documents only what is its own: its success, its 404.
    """

    ARGUMENTS_PARSER = ArgumentsParser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_problems_doc)

    @staticmethod
    def _prepare_problems_doc(doc, doc_info, *, method, **kwargs):
        responses = doc.setdefault("responses", {})
        for status in problems_of(method.upper()):
            responses.setdefault(status, HTTPStatus(status).name)
        return doc


def init_app(app: Flask) -> None:
    """Bind a fresh Api (and so a fresh document) to the app."""
    api = Api(
        app,
        spec_kwargs={
            "info": {"description": DESCRIPTION},
            # Public reads work without a token too; views that need one say so.
            "security": [{}, {SECURITY_SCHEME: []}],
        },
    )
    api.spec.components.security_scheme(
        SECURITY_SCHEME,
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from /dashboard/tokens: `inkpot_…`.",
        },
    )


def _api(app: Flask) -> Api:
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"]


def register_blueprint(app: Flask, blueprint: ApiBlueprint) -> None:
    """Register the api blueprint on the app, and its views in the app's OpenAPI document."""
    _api(app).register_blueprint(blueprint)


def document() -> dict:
    """The current app's OpenAPI document, as the JSON it is served as."""
    # Status codes are ints in flask-smorest's dict; JSON makes every key a string.
    return json.loads(json.dumps(_api(current_app).spec.to_dict()))


def document_json() -> str:
    """The document as served: sorted and indented, so it reads well and diffs well."""
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# The reference page (/api/v1/docs) renders the document on the server, from this digest.


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Response:
    status: str
    description: str
    schema: str | None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: Markup
    needs_token: bool
    parameters: list[Field]
    body: str | None
    responses: list[Response]


@dataclass(frozen=True)
class Schema:
    name: str
    description: str
    fields: list[Field]


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    description: Markup
    operations: list[Operation]
    schemas: list[Schema]

    @property
    def schema_names(self) -> set[str]:
        return {schema.name for schema in self.schemas}


def _html(markdown: str) -> Markup:
    """The document's own Markdown (its description, docstrings), as sanitized HTML."""
    return Markup(render_markdown(markdown))  # noqa: S704  (sanitized by render_markdown)


def _ref_name(node: dict) -> str | None:
    return node["$ref"].rsplit("/", 1)[-1] if "$ref" in node else None


def type_of(node: dict) -> str:
    """A JSON schema's type in a few words: `string (date-time) or null`, `array of Post`."""
    if "$ref" in node:
        return _ref_name(node)
    kind = node.get("type", "any")
    if kind == "array":
        text = f"array of {type_of(node.get('items', {}))}"
    elif kind == "object" and isinstance(node.get("additionalProperties"), dict):
        text = f"object of {type_of(node['additionalProperties'])}"
    else:
        text = kind + (f" ({node['format']})" if "format" in node else "")
    if "enum" in node:
        text += ": " + " or ".join(f"`{value}`" for value in node["enum"])
    return text + (" or null" if node.get("nullable") else "")


def _limits(node: dict) -> str:
    words = {
        "minimum": "at least {}",
        "maximum": "at most {}",
        "minLength": "at least {:,} characters",
        "maxLength": "at most {:,} characters",
        "default": "default {}",
    }
    return "; ".join(text.format(node[key]) for key, text in words.items() if key in node)


def _field(name: str, node: dict, required: bool) -> Field:
    description = " ".join(filter(None, [node.get("description", ""), _limits(node)]))
    return Field(name, type_of(node), required, description)


def _body_schema(content: dict) -> str | None:
    for media in content.values():
        return _ref_name(media.get("schema", {})) or type_of(media.get("schema", {}))
    return None


def _anchor(method: str, path: str) -> str:
    """`get-api-v1-me-posts-post_id`: an operation's id on the reference page."""
    return "-".join([method, *path.strip("/").replace("{", "").replace("}", "").split("/")])


def _operation(document: dict, path: str, method: str) -> Operation:
    item = document["paths"][path]
    operation = item[method]
    responses = []
    for status, response in sorted(operation["responses"].items()):
        if "$ref" in response:
            response = document["components"]["responses"][_ref_name(response)]
        schema = _body_schema(response.get("content", {}))
        responses.append(Response(status, response["description"], schema))
    body = operation.get("requestBody", {}).get("content", {})
    return Operation(
        method=method.upper(),
        path=path,
        anchor=_anchor(method, path),
        summary=operation.get("summary", ""),
        description=_html(operation.get("description", "")),
        needs_token={} not in operation.get("security", document.get("security", [])),
        parameters=[
            _field(parameter["name"], parameter.get("schema", {}), parameter.get("required", False))
            for parameter in item.get("parameters", []) + operation.get("parameters", [])
        ],
        body=_body_schema(body) if body else None,
        responses=responses,
    )


def _schema(name: str, schema: dict) -> Schema:
    required = schema.get("required", [])
    fields = [
        _field(field, node, field in required) for field, node in schema["properties"].items()
    ]
    return Schema(name, schema.get("description", ""), fields)


def reference(document: dict) -> Reference:
    """What the reference page shows, read from the OpenAPI document."""
    operations = [
        _operation(document, path, method)
        for path, item in sorted(document["paths"].items())
        # Besides its operations, a path item may list parameters they share.
        for method in item
        if method != "parameters"
    ]
    schemas = [
        _schema(name, schema) for name, schema in sorted(document["components"]["schemas"].items())
    ]
    info = document["info"]
    description = _html(info.get("description", ""))
    return Reference(info["title"], info["version"], description, operations, schemas)
