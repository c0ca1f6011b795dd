"""Throttling in tests: how much a configured limit allows, and the answer past it."""

from limits import parse_many

WRONG = "not-the-password"


def smallest_amount(app, name: str) -> int:
    """How many requests the tightest window of a configured limit allows."""
    return min(limit.amount for limit in parse_many(app.config[name]))


def assert_styled_429(response):
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    page = response.get_data(as_text=True)
    assert 'class="site-header"' in page, "not the site's own error page"
    assert "Too many attempts" in page
    assert response.headers["X-Content-Type-Options"] == "nosniff"
