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
