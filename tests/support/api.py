"""Calls to the JSON API in tests: bearer headers, problem answers, pages of posts."""

import re
from datetime import timedelta

from shared_models import db
from shared_models.models import Post, User, utcnow

PROBLEM = "application/problem+json"
NEXT_LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def assert_problem(response, status):
    """An RFC 9457 problem with this status; its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    problem = response.get_json(force=True)
    assert problem["status"] == status
    assert problem["type"] == "about:blank"
    assert problem["title"] and problem["detail"]
    assert problem["request_id"] == response.headers["X-Request-ID"]
    return problem


def next_url(response):
    link = response.headers.get("Link")
    return NEXT_LINK.match(link)["url"].removeprefix("http://localhost") if link else None


def read_all(client, url, headers=None):
    """Every page of a list, following its Link headers: [[titles of page 1], …]."""
    pages = []
    while url:
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200
        pages.append([post["title"] for post in response.get_json()])
        url = next_url(response)
    return pages


def write_posts(app, user_id, titles, published=True, same_instant=False, later=0):
    """Posts in one go, a second apart in this order (or all at one moment), `later` minutes on."""
    moment = utcnow() + timedelta(minutes=later)
    with app.app_context():
        site = db.session.get(User, user_id).site
        for n, title in enumerate(titles):
            at = moment if same_instant else moment + timedelta(seconds=n)
            db.session.add(
                Post(
                    site=site,
                    title=title,
                    slug=f"{title.lower().replace(' ', '-')}",
                    is_published=published,
                    published_at=at if published else None,
                    updated_at=at,
                )
            )
        db.session.commit()
