"""Pages gzipped by the app when the visitor accepts gzip, so that nginx keeps them gzipped."""

import gzip

GZIP = {"Accept-Encoding": "gzip"}


def test_a_page_is_gzipped_for_a_visitor_who_accepts_it(client, make_user, make_post):
    make_post(make_user("ada"), "Notes", "Many notes. " * 200)
    for url in ["/", "/sites/ada/", "/sites/ada/feed.xml"]:
        plain = client.get(url)
        compressed = client.get(url, headers=GZIP)

        assert "Content-Encoding" not in plain.headers, url
        assert compressed.headers["Content-Encoding"] == "gzip", url
        assert gzip.decompress(compressed.get_data()) == plain.get_data(), url
        assert "Accept-Encoding" in plain.headers["Vary"], url
        assert "Accept-Encoding" in compressed.headers["Vary"], url


def test_gzip_refused_or_not_worth_it_leaves_the_answer_plain(client):
    refused = client.get("/", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    # A few bytes, an error page and a static file (sent from disk) stay as they are.
    for url in ["/robots.txt", "/no-such-page", "/static/css/inkpot.css"]:
        assert "Content-Encoding" not in client.get(url, headers=GZIP).headers, url
