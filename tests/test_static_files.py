"""Static file URLs carry a hash of the file (?v=), so nginx may let browsers keep them a year."""

import hashlib
import os
import re

from flask import url_for

from tests.support.pages import parse

VERSIONED = re.compile(r"^(?P<path>/[\w./-]*static/[\w./-]+)\?v=(?P<version>[0-9a-f]{12})$")


def linked_files(page) -> list[str]:
    """Every stylesheet and icon a page links."""
    return [
        link.attrs["href"]
        for link in parse(page).find_all("link")
        if "icon" in link.attrs.get("rel", "") or link.attrs.get("rel") == "stylesheet"
    ]


def test_every_linked_static_file_names_the_hash_of_what_it_serves(client, make_user):
    make_user("ada")
    pages = ["/", "/login", "/sites/ada/"]
    linked = {href for url in pages for href in linked_files(client.get(url))}

    assert len(linked) >= 3
    for href in linked:
        match = VERSIONED.match(href)
        assert match, href
        served = client.get(href)
        assert served.status_code == 200, href
        assert match["version"] == hashlib.sha256(served.get_data()).hexdigest()[:12], href


def test_a_changed_file_gets_a_new_url(app, tmp_path):
    stylesheet = tmp_path / "site.css"
    stylesheet.write_text("body { color: black; }")
    app.static_folder = str(tmp_path)
    app.debug = True  # as under `make run`, where files change while the server runs

    with app.test_request_context():
        before = url_for("static", filename="site.css")
        stylesheet.write_text("body { color: navy; }")
        os.utime(stylesheet, ns=(1, 10**18))
        after = url_for("static", filename="site.css")
        missing = url_for("static", filename="no-such-file.css")

    assert before != after
    assert VERSIONED.match(before) and VERSIONED.match(after)
    assert missing == "/static/no-such-file.css"
