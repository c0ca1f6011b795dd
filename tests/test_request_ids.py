"""shared_web.request_ids: every response carries X-Request-ID, nginx's when it is behind nginx."""

import re

import pytest

from tests.support.apps import IDLE_BROKER_URL, make_app

NGINX_ID = "0123456789abcdef0123456789abcdef"
OURS = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "url", ["/", "/sites/nobody/", "/login", "/dashboard/", "/static/favicon.svg", "/?page=%00"]
)
def test_every_response_carries_a_request_id(client, url):
    response = client.get(url)

    assert OURS.fullmatch(response.headers["X-Request-ID"]), response.headers


def test_each_request_gets_its_own_id(client):
    ids = {client.get("/").headers["X-Request-ID"] for _ in range(5)}

    assert len(ids) == 5


def test_an_id_sent_by_a_visitor_is_not_taken_without_a_proxy(client):
    response = client.get("/", headers={"X-Request-ID": NGINX_ID})

    assert response.headers["X-Request-ID"] != NGINX_ID


@pytest.fixture
def behind_nginx(layout, database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    app = make_app(
        layout,
        database_url,
        APP_ENV="production",
        PUBLIC_URL="http://localhost",
        CELERY_BROKER_URL=IDLE_BROKER_URL,
    )
    return app.test_client()


def test_behind_nginx_its_id_is_the_requests_id(behind_nginx):
    response = behind_nginx.get("/", headers={"X-Request-ID": NGINX_ID})

    assert response.headers["X-Request-ID"] == NGINX_ID


@pytest.mark.parametrize("sent", ["", "short", "x" * 65, "a b c d e f g h", "<script>x</script>"])
def test_an_id_of_the_wrong_shape_is_replaced_even_behind_nginx(behind_nginx, sent):
    response = behind_nginx.get("/", headers={"X-Request-ID": sent})

    assert OURS.fullmatch(response.headers["X-Request-ID"])
