"""Error pages: unknown, forbidden, oversized and crashed requests, all in the site's look."""

import pytest

from shared_models import db
from tests.support.apps import make_app
from tests.support.clients import PASSWORD
from tests.support.pages import main_text, parse

ONE_MIB = 1024 * 1024


def assert_styled_error_page(response, code):
    """The page is the site's own: its header and navigation around an explanation."""
    assert response.status_code == code
    assert response.mimetype == "text/html"
    tree = parse(response)
    assert tree.find("header") is not None
    assert tree.find("a", href="/") is not None
    assert str(code) in main_text(response)


@pytest.mark.parametrize(
    "url", ["/no-such-page", "/sites/", "/sites/nobody/", "/sites/nobody/a-post", "/dashboard/x"]
)
def test_unknown_pages_answer_a_styled_404(client, url):
    assert_styled_error_page(client.get(url), 404)


def test_a_404_for_a_signed_in_user_keeps_their_navigation(client, auth):
    auth.signup("writer")

    response = client.get("/no-such-page")

    assert_styled_error_page(response, 404)
    assert parse(response).find("a", href="/dashboard/") is not None


def test_a_forbidden_page_answers_a_styled_403(client, auth):
    auth.signup("writer")

    assert_styled_error_page(client.get("/admin/"), 403)


def test_a_wrong_method_answers_a_styled_405(client):
    assert_styled_error_page(client.get("/logout"), 405)


@pytest.fixture
def crashing_app(app):
    """The app with a test-only page that crashes, answered as production would."""

    @app.get("/test-only/crash")
    def crash():
        db.session.execute(db.text("SELECT 1"))
        raise RuntimeError("secret internal detail: password=hunter2 at /srv/inkpot/app.py")

    # Testing mode re-raises crashes for the test to see; production shows the 500 page.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.smoke
def test_a_crash_answers_a_styled_500_with_nothing_internal_shown(crashing_app):
    response = crashing_app.test_client().get("/test-only/crash")

    assert_styled_error_page(response, 500)
    page = response.get_data(as_text=True)
    for internal in ("secret internal detail", "hunter2", "RuntimeError", "Traceback", "/srv/"):
        assert internal not in page


def test_the_site_keeps_working_after_a_crash(crashing_app, make_user):
    make_user("writer")
    client = crashing_app.test_client()
    client.get("/test-only/crash")

    assert client.get("/").status_code == 200
    assert (
        client.submit("/login", {"email": "writer@example.com", "password": PASSWORD}).status_code
        == 302
    )


def test_a_crash_for_a_signed_in_user_still_answers_the_500_page(crashing_app, make_user):
    make_user("writer")
    client = crashing_app.test_client()
    client.submit("/login", {"email": "writer@example.com", "password": PASSWORD})

    assert_styled_error_page(client.get("/test-only/crash"), 500)


def test_an_oversized_form_answers_a_styled_413_and_changes_nothing(client, find_user):
    response = client.submit(
        "/signup",
        {"username": "bigmouth", "email": "big@example.com", "password": "x" * (ONE_MIB + 1)},
    )

    assert_styled_error_page(response, 413)
    assert find_user("bigmouth") is None


def test_an_oversized_post_body_answers_413(client, auth):
    auth.signup("writer")

    response = client.submit("/dashboard/posts/new", {"title": "Long", "body": "x" * (ONE_MIB + 1)})

    assert_styled_error_page(response, 413)
    assert "Long" not in main_text(client.get("/dashboard/"))


def test_an_oversized_upload_of_any_kind_answers_413(client):
    response = client.post(
        "/login", data=b"x" * (ONE_MIB + 1), content_type="application/octet-stream"
    )

    assert response.status_code == 413


def test_a_request_just_under_the_limit_is_accepted(client, auth):
    auth.signup("writer")

    response = client.submit("/dashboard/posts/new", {"title": "Long", "body": "x" * 90_000})

    assert response.status_code == 302


@pytest.mark.parametrize("host", ["evil.example", "inkpot.example.com.evil.example", "a b"])
def test_a_host_the_site_does_not_answer_to_gets_a_plain_400(layout, database_url, host):
    app = make_app(layout, database_url, PUBLIC_URL="https://inkpot.example.com")

    response = app.test_client().get("/sites/ada", headers={"Host": host})

    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert host not in response.get_data(as_text=True)


def test_the_public_url_host_is_answered_with_or_without_its_port(layout, database_url):
    app = make_app(layout, database_url, PUBLIC_URL="https://inkpot.example.com")

    # (nginx lower-cases the host before the app sees it.)
    for host in ("inkpot.example.com", "inkpot.example.com:443"):
        response = app.test_client().get("/healthz", headers={"Host": host})
        assert response.status_code == 200, host
