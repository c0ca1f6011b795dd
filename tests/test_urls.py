"""shared_models.urls: which `?next=` targets are same-site paths, safe to redirect to."""

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_models.urls import safe_next_path

SITE = "https://inkpot.example/login"


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/dashboard/",
        "/dashboard/posts/new",
        "/admin/users?q=ada&page=2",
        "/sites/ada/hello-world#comments",
        "/sites/ada/caf%C3%A9",
    ],
)
def test_same_site_paths_are_kept_as_they_are(target):
    assert safe_next_path(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.example",
        "//evil.example/dashboard/",
        "///evil.example",
        "https://evil.example",
        "http://evil.example/",
        "HTTPS://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "/\\/evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "evil.example",
        "dashboard/",
        " //evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/\x00/evil.example",
        "/%2F%2Fevil.example",
        "/%2f/evil.example",
        "/%5Cevil.example",
        "/%09/evil.example",
        "/" + "a" * 3000,
    ],
)
def test_anything_that_could_lead_to_another_site_is_refused(target):
    assert safe_next_path(target) is None


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
