def test_home_page_renders(client):
    assert client.get("/").status_code == 200


def test_signup_then_write_a_post_shows_it_on_the_public_site(client, auth):
    response = auth.signup("newcomer")
    assert response.status_code == 302
    response = client.submit(
        "/dashboard/posts/new", {"title": "Hello there", "body": "First!", "published": "y"}
    )
    assert response.status_code == 302
    page = client.get("/sites/newcomer/hello-there")
    assert page.status_code == 200
    assert b"First!" in page.data
