"""`?next=` only ever leads to a path on this same site, however it is dressed up."""

from urllib.parse import quote, urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_web.redirects import safe_next_path
from tests.support.clients import PASSWORD

UNSAFE_TARGETS = [
    "//evil.example",
    "//evil.example/dashboard/",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "https:evil.example",
    "https://evil.example",
    "http://evil.example",
    "http://evil.example/",
    "https://evil.example/dashboard/",
    "HTTP://evil.example",
    "HTTPS://evil.example",
    "//evil.example/%2F..",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "/%2f%2fevil.example",
    "/%2f/evil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "/%252F%252Fevil.example",
    "/%25252F%25252Fevil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    "/%0A/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "/ /evil.example",
    "\x00",
    "/\x00",
    "/\x00/evil.example",
    "/%00",
    "/\x0b/evil.example",
    "/\x7f/evil.example",
    "\u3000//evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "evil.example",
    "dashboard/",
    "",
    "/" + "a" * 2001,
    "/" + "a" * 3000,
]
SAFE_TARGETS = [
    "/",
    "/dashboard/",
    "/dashboard/posts/new",
    "/sites/writer/?page=2",
    "/admin/users?q=a%20b",
    "/admin/users?q=%25",
    "/admin/users?q=ada&page=2",
    "/sites/writer/a-post#comments",
    "/sites/ada/hello-world#comments",
    "/sites/ada/caf%C3%A9",
]
# What a kept target must resolve against: the page it was given to.
SITE = "https://inkpot.example/login"


# None: a sign-in with no ?next= at all.
@pytest.mark.parametrize("target", [None, *UNSAFE_TARGETS])
def test_unsafe_targets_are_refused(target):
    assert safe_next_path(target) is None


@pytest.mark.parametrize("target", SAFE_TARGETS)
def test_same_site_paths_are_kept_as_they_are(target):
    assert safe_next_path(target) == target


@given(st.text(max_size=60))
def test_a_kept_target_always_resolves_to_this_site(target):
    kept = safe_next_path(target)

    if kept is not None:
        resolved = urlsplit(urljoin(SITE, kept))
        assert (resolved.scheme, resolved.netloc) == ("https", "inkpot.example")
        assert kept.startswith("/")
        assert not kept.startswith("//")


@given(st.sampled_from(["//", "/\\", "\\", "https:", "javascript:", " "]), st.text(max_size=30))
def test_a_target_starting_like_another_site_is_always_refused(start, rest):
    assert safe_next_path(start + rest) is None


def assert_stays_on_site(response, expected="/dashboard/", target=None):
    assert response.status_code == 302, repr(target)
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, (target, location)
    assert location == expected, (target, location)


@pytest.fixture
def writer(make_user):
    return make_user("writer")


def sign_in_heading_to(client, target: str):
    """The sign-in form and the answer to signing in, with `target` as `?next=`."""
    url = "/login?next=" + quote(target, safe="")
    form = client.get(url)
    response = client.submit(url, {"email": "writer@example.com", "password": PASSWORD})
    return form, response


def test_signing_in_never_follows_an_unsafe_next(app, writer):
    # One browser per target; all targets in one test keeps the suite quick.
    for target in UNSAFE_TARGETS:
        client = app.test_client()
        form, response = sign_in_heading_to(client, target)
        if "\x00" in target:
            # NUL never gets as far as the view: the whole request is refused.
            assert (form.status_code, response.status_code) == (400, 400), repr(target)
            continue
        # The form does not carry the target on to its own action either.
        assert form.status_code == 200, repr(target)
        assert "evil.example" not in form.get_data(as_text=True), repr(target)
        assert_stays_on_site(response, target=target)
        # A visitor already signed in is sent on the same way.
        assert_stays_on_site(client.get("/login?next=" + quote(target, safe="")), target=target)


def test_signing_in_follows_a_same_site_next(app, writer):
    for target in SAFE_TARGETS:
        _, response = sign_in_heading_to(app.test_client(), target)
        assert_stays_on_site(response, expected=target, target=target)


def test_the_sign_in_form_keeps_a_safe_next_through_a_failed_attempt(client, writer):
    url = "/login?next=" + quote("/dashboard/site", safe="")
    failed = client.submit(url, {"email": "writer@example.com", "password": "wrong-password"})
    assert 'action="/login?next=/dashboard/site"' in failed.get_data(as_text=True)
