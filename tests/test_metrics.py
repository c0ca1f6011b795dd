"""shared_web.metrics: /metrics counts requests, failures and throttling, for loopback only."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.apps import make_app
from tests.support.clients import PASSWORD


def scrape(client) -> dict[tuple, float]:
    """Every sample /metrics shows: (name, sorted labels) → value."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def requests_to(samples, endpoint: str, status: str = "200") -> float:
    key = (
        "inkpot_http_requests_total",
        (("endpoint", endpoint), ("method", "GET"), ("status", status)),
    )
    return samples.get(key, 0.0)


def test_requests_are_counted_by_endpoint_method_and_status(client):
    before = scrape(client)
    for _ in range(7):
        client.get("/")
    client.get("/sites/nobody/")

    after = scrape(client)

    assert requests_to(after, "home.index") - requests_to(before, "home.index") == 7
    assert (
        requests_to(after, "sites.front_page", "404")
        - requests_to(before, "sites.front_page", "404")
        == 1
    )
    latency = ("inkpot_http_request_duration_seconds_count", (("endpoint", "home.index"),))
    assert after[latency] - before.get(latency, 0) == 7


def test_failed_sign_ins_are_counted(client, auth, make_user):
    make_user("writer")
    before = scrape(client).get(("inkpot_sign_in_failures_total", ()), 0)

    auth.login(password="not-the-password")
    auth.login(email="nobody@example.com")
    auth.login()

    assert scrape(client)[("inkpot_sign_in_failures_total", ())] - before == 2


def test_throttled_requests_are_counted(layout, database_url):
    app = make_app(layout, database_url, RATELIMIT_ENABLED=True)
    client = app.test_client()
    key = ("inkpot_throttled_requests_total", (("endpoint", "home.login"),))
    before = scrape(client).get(key, 0)

    for attempt in range(12):
        client.submit("/login", {"email": f"guess{attempt}@example.com", "password": PASSWORD})

    assert scrape(client)[key] - before >= 1


def test_requests_in_progress_and_the_pool_are_shown(client):
    samples = scrape(client)

    names = {name for name, _ in samples}
    assert "inkpot_http_requests_in_progress" in names
    assert "inkpot_db_pool_checked_out" in names


@pytest.mark.parametrize("address", ["203.0.113.9", "10.0.0.1", "::ffff:203.0.113.9"])
def test_metrics_are_hidden_from_anyone_else(client, address):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})

    assert response.status_code == 404
    assert "inkpot_" not in response.get_data(as_text=True)


def test_who_may_read_metrics_comes_from_config(layout, database_url):
    app = make_app(layout, database_url, METRICS_ALLOWED_IPS="10.0.0.0/8")
    client = app.test_client()

    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics").status_code == 404
