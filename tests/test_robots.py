"""/robots.txt: crawlers may read the public pages, not the signed-in areas."""


def test_robots_txt_keeps_crawlers_out_of_the_signed_in_areas(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    rules = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in rules
    for private in ("/dashboard/", "/admin/", "/login", "/signup", "/confirm/", "/password/"):
        assert f"Disallow: {private}" in rules
    # The public pages stay open: nothing disallows the home page or the sites.
    assert "Disallow: /" not in rules
    assert not any(rule.startswith("Disallow: /sites") for rule in rules)
