"""The API's OpenAPI document and its reference page: valid, complete, and served from the site."""

import pytest
from openapi_spec_validator import validate

from tests.support.pages import parse

OPERATIONS = {
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/docs"),
    ("get", "/api/v1/sites/{site_slug}"),
    ("get", "/api/v1/sites/{site_slug}/posts"),
    ("get", "/api/v1/sites/{site_slug}/posts/{post_slug}"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/me/posts"),
    ("post", "/api/v1/me/posts"),
    ("get", "/api/v1/me/posts/{post_id}"),
    ("patch", "/api/v1/me/posts/{post_id}"),
    ("delete", "/api/v1/me/posts/{post_id}"),
}


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def operations(document):
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }


@pytest.mark.smoke
def test_the_document_is_valid_openapi(document):
    validate(document)  # raises on any error

    assert document["openapi"].startswith("3.")


def test_the_validator_can_fail(document):
    broken = {**document, "paths": {"/x": {"get": {"responses": {"200": {}}}}}}

    with pytest.raises(Exception, match="not valid"):
        validate(broken)


def test_the_document_describes_every_api_url(document):
    assert set(operations(document)) == OPERATIONS


def test_every_operation_lists_the_problems_it_can_answer(document):
    for (method, path), operation in operations(document).items():
        statuses = set(operation["responses"])
        assert {"400", "401", "429", "500"} <= statuses, (method, path)
        if method != "get":
            assert "403" in statuses, (method, path)
        if method in {"post", "patch"}:
            assert {"413", "415", "422"} <= statuses, (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)
    problem = document["components"]["responses"]["UNAUTHORIZED"]["content"]
    assert set(problem) == {"application/problem+json"}


def test_what_needs_a_token_says_so(document):
    for (method, path), operation in operations(document).items():
        security = operation.get("security", document["security"])
        if path.startswith("/api/v1/me"):
            assert security == [{"bearerToken": []}], (method, path)
        else:
            assert {} in security, (method, path)
    assert document["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


def test_bodies_refuse_fields_the_document_does_not_name(document):
    for name in ("NewPost", "PostChanges"):
        assert document["components"]["schemas"][name]["additionalProperties"] is False


def test_post_fields_are_the_contracts(document):
    post = document["components"]["schemas"]["Post"]

    assert set(post["properties"]) == {
        "id", "title", "slug", "body", "body_html", "published",
        "published_at", "updated_at", "url",
    }  # fmt: skip
    assert "url" not in post["required"]
    assert post["properties"]["updated_at"]["format"] == "date-time"


def test_list_items_are_summaries_with_an_excerpt_and_a_post_alone_has_its_text(document):
    from shared_models.models import EXCERPT_MAX

    summary = document["components"]["schemas"]["PostSummary"]
    answers = {
        (method, path): operation["responses"]["20" + ("1" if method == "post" else "0")]
        for (method, path), operation in operations(document).items()
        if path.startswith(("/api/v1/me/posts", "/api/v1/sites/{site_slug}/posts"))
        and method in {"get", "post", "patch"}
    }

    assert set(summary["properties"]) == {
        "id", "title", "slug", "excerpt", "published", "published_at", "updated_at", "url",
    }  # fmt: skip
    assert summary["properties"]["excerpt"]["maxLength"] == EXCERPT_MAX
    assert "excerpt" in document["info"]["description"]
    for (method, path), answer in answers.items():
        schema = answer["content"]["application/json"]["schema"]
        if path.endswith("/posts") and method == "get":
            assert schema == {
                "type": "array",
                "items": {"$ref": "#/components/schemas/PostSummary"},
            }
        else:
            assert schema == {"$ref": "#/components/schemas/Post"}, (method, path)
    assert len(answers) == 6


def test_the_document_is_generated_from_the_views(app, document):
    """A view's docstring is its operation's summary: the document follows the code."""
    view = app.view_functions["api.create_post"]

    summary = operations(document)[("post", "/api/v1/me/posts")]["summary"]

    assert summary == view.__doc__.splitlines()[0].strip()


def test_the_reference_page_shows_every_operation(client, document):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = parse(response)
    headings = [h.words for h in page.find_all("h2")]
    for method, path in OPERATIONS:
        assert f"{method.upper()} {path}" in headings
    assert page.find("a", href="/api/v1/openapi.json") is not None


def test_the_reference_page_loads_nothing_from_elsewhere_and_keeps_the_csp(client, app):
    response = client.get("/api/v1/docs")

    page = parse(response)
    assert not page.find_all("script")
    assert not page.find_all("style")
    assert not [e for e in page.find_all() if "style" in e.attrs]
    for element in page.find_all("link") + page.find_all("img"):
        address = element.attrs.get("href") or element.attrs.get("src")
        assert address.startswith("/"), address
    assert (
        response.headers["Content-Security-Policy"]
        == app.config["SECURITY_HEADERS"]["Content-Security-Policy"]
    )


@pytest.mark.parametrize(
    "title",
    ["Hello", "  padded  ", "", "   ", "\t\n", "Bell \x07", "Line\nbreak", "ünïcödé", "\x7f"],
)
def test_the_documented_title_pattern_agrees_with_the_domain(document, title):
    import re

    from shared_models import RuleViolation
    from shared_models.models import POST_TITLE_MAX
    from shared_models.text_rules import check_text

    pattern = document["components"]["schemas"]["NewPost"]["properties"]["title"]["pattern"]
    try:
        check_text(title, "title", POST_TITLE_MAX, required="needed")
        accepted = True
    except RuleViolation:
        accepted = False

    assert (re.search(pattern, title) is not None) == accepted
    # Surrogates in a pattern make JSON Schema tools drop it (Schemathesis did).
    assert "\\ud8" not in pattern
