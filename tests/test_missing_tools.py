"""A test that needs a missing system tool: skipped with what to install, or failed in CI."""

import pytest

from tests.support.machine import unavailable

REASON = "nginx is not installed (apt-get install nginx)"


def test_without_the_tool_the_test_is_skipped_with_the_install_hint(monkeypatch):
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match=r"\(apt-get install nginx\)"):
        unavailable(REASON)


@pytest.mark.parametrize("value", ["true", "True", " TRUE "])
def test_under_ci_the_test_fails_instead(monkeypatch, value):
    monkeypatch.setenv("CI", value)

    with pytest.raises(pytest.fail.Exception, match=r"apt-get install nginx.*CI=true"):
        unavailable(REASON)


def test_ci_set_to_anything_else_still_skips(monkeypatch):
    monkeypatch.setenv("CI", "false")

    with pytest.raises(pytest.skip.Exception):
        unavailable(REASON)
