"""Problem details for everything under /api/: 404, 405, 413, 415, 400, 422, 500."""

import pytest

from shared_models import db
from tests.support.api import (
    assert_problem,
)

ONE_MIB = 1024 * 1024


# --- errors: problem details for everything under /api/ ------------------------------------


def test_an_unknown_api_url_is_a_404_problem_but_the_site_keeps_its_pages(client):
    assert_problem(client.get("/api/v1/no-such-thing"), 404)
    assert_problem(client.get("/api/v2/me"), 404)
    assert_problem(client.get("/api"), 404)
    assert client.get("/no-such-page").mimetype == "text/html"


def test_a_wrong_method_is_a_405_problem_with_the_allowed_ones(client):
    response = client.put("/api/v1/me/posts")

    assert_problem(response, 405)
    assert {"GET", "POST"} <= set(response.headers["Allow"].replace(" ", "").split(","))


@pytest.mark.parametrize("number", ["1000000000", "2147483648", "99999999999999999999999"])
def test_an_id_too_large_for_the_database_is_a_404_for_every_method(api, client, number):
    for method in ("get", "patch", "delete"):
        assert_problem(getattr(api, method)(f"/api/v1/me/posts/{number}", json={}), 404)
    # The site's own pages are bounded alike.
    assert client.get(f"/dashboard/posts/{number}/edit").status_code in {302, 404}
    assert client.post(f"/admin/users/{number}/suspend").status_code in {302, 400, 404}


def test_a_body_over_1_mib_is_a_413_problem(api):
    response = api.post(
        "/api/v1/me/posts",
        data='{"title": "Big", "body": "' + "x" * ONE_MIB + '"}',
        content_type="application/json",
    )

    assert_problem(response, 413)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("title=Form-encoded", "application/x-www-form-urlencoded"),
        ('{"title": "JSON, but not said so"}', "text/plain"),
        ("", None),
    ],
)
def test_a_body_that_is_not_json_is_a_415_problem(api, data, content_type):
    response = api.post("/api/v1/me/posts", data=data, content_type=content_type)

    assert_problem(response, 415)


@pytest.mark.parametrize("data", ["{", '{"title": "x"', "nul\x00", "\xff"])
def test_json_that_does_not_parse_is_a_400_problem(api, data):
    response = api.post("/api/v1/me/posts", data=data, content_type="application/json")

    assert "JSON" in assert_problem(response, 400)["detail"]


def test_a_body_that_is_json_but_not_an_object_is_a_422_problem(api):
    for data in ("[]", '"title"', "42", "null"):
        assert_problem(
            api.post("/api/v1/me/posts", data=data, content_type="application/json"), 422
        )


@pytest.fixture
def crashing_app(app):
    """The app with a test-only API URL that crashes, answered as production would."""

    @app.get("/api/v1/test-only/crash")
    def crash():
        db.session.execute(db.text("SELECT 1"))
        raise RuntimeError("secret internal detail: password=hunter2 at /srv/inkpot/app.py")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_a_crash_is_a_500_problem_with_nothing_internal_shown(crashing_app):
    response = crashing_app.test_client().get("/api/v1/test-only/crash")

    assert_problem(response, 500)
    body = response.get_data(as_text=True)
    for internal in ("secret internal detail", "hunter2", "RuntimeError", "Traceback", "/srv/"):
        assert internal not in body
    assert crashing_app.test_client().get("/api/v1/sites/nobody").status_code == 404


def test_api_errors_keep_the_sites_security_headers(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


# --- JSON that the parser itself cannot take -----------------------------------------------

# Bodies of a few kilobytes that Python's JSON parser cannot take: too deep for its
# recursion limit or too long for its digit limit (both crashed it), a number longer than
# the app's own limit, and what JSON does not allow.
UNREADABLE_JSON = {
    "nested 3,000 deep": "[" * 3000 + "]" * 3000,
    "nested 3,000 deep in a field": '{"title": ' + "[" * 3000 + "]" * 3000 + "}",
    "a 5,000-digit number": '{"title": "Digits", "published": ' + "9" * 5000 + "}",
    "a 101-digit number": '{"title": "Digits", "published": -' + "9" * 101 + "}",
    "not a number": '{"title": "Not a number", "published": NaN}',
}


def write_urls(app, post_id, post_slug):
    """Every API URL that takes a JSON body, as (method, URL), filled in for the writer's post."""
    values = {"site_slug": "writer", "post_slug": post_slug, "post_id": post_id}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or not rule.methods & {"POST", "PUT", "PATCH"}:
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: give this test a value for {missing}"
        arguments = {name: values[name] for name in rule.arguments}
        url = app.url_map.bind("localhost").build(rule.endpoint, arguments)
        urls += [(method, url) for method in sorted(rule.methods & {"POST", "PUT", "PATCH"})]
    return urls


def row_counts(app):
    """How many rows each table holds."""
    with app.app_context():
        return {
            table.name: db.session.execute(db.select(db.func.count()).select_from(table)).scalar()
            for table in db.metadata.sorted_tables
        }


@pytest.mark.parametrize("shape", UNREADABLE_JSON)
def test_json_no_parser_can_take_is_a_clean_refusal_on_every_write(
    api, app, writer, make_post, find_post, shape
):
    post_id, post_slug = make_post(writer, "Untouched", body="As it was")
    urls = write_urls(app, post_id, post_slug)
    assert {("POST", "/api/v1/me/posts"), ("PATCH", f"/api/v1/me/posts/{post_id}")} <= set(urls)
    before = row_counts(app)

    for method, url in urls:
        response = getattr(api, method.lower())(
            url, data=UNREADABLE_JSON[shape], content_type="application/json"
        )

        assert response.status_code in {400, 422}, (method, url, response.status_code)
        assert_problem(response, response.status_code)
    assert row_counts(app) == before
    post = find_post(post_id)
    assert (post.title, post.body) == ("Untouched", "As it was")


@pytest.fixture
def echoing_app(app):
    """The app with test-only URLs, in and out of the API, that read their JSON body with Flask."""
    from flask import request

    from shared_web.extensions import csrf

    def echo():
        return {"read": type(request.get_json()).__name__}

    app.post("/api/v1/test-only/echo", endpoint="api_echo")(echo)
    # A script's URL outside the API, as a page that took JSON would be.
    app.post("/test-only/echo", endpoint="page_echo")(csrf.exempt(echo))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize("shape", UNREADABLE_JSON)
def test_json_the_app_reads_itself_is_refused_as_unreadable(echoing_app, shape):
    client = echoing_app.test_client()
    body = UNREADABLE_JSON[shape]

    api_answer = client.post("/api/v1/test-only/echo", data=body, content_type="application/json")
    assert_problem(api_answer, 400)
    page = client.post("/test-only/echo", data=body, content_type="application/json")
    assert page.status_code == 400
    assert client.post("/test-only/echo", json={"fine": True}).get_json() == {"read": "dict"}
