"""Signing in tells nobody which emails have accounts: same page, same status, same hashing."""

import pytest
from werkzeug import security

from shared_models import accounts
from tests.support.pages import without_csrf_tokens


@pytest.fixture
def hashing(monkeypatch):
    """Record every password check and hash the sign-in makes, as (function, hash method)."""
    calls = []
    check, generate = security.check_password_hash, security.generate_password_hash

    def counted_check(pwhash, password):
        calls.append(("check", pwhash.partition("$")[0]))
        return check(pwhash, password)

    def counted_generate(password, *args, **kwargs):
        calls.append(("generate", kwargs.get("method", args[0] if args else "")))
        return generate(password, *args, **kwargs)

    monkeypatch.setattr(accounts, "check_password_hash", counted_check)
    monkeypatch.setattr(accounts, "generate_password_hash", counted_generate)
    return calls


def answer(client, email, password):
    """Status and page of a sign-in attempt, with what legitimately differs blanked out."""
    response = client.submit("/login", {"email": email, "password": password})
    page = response.get_data(as_text=True).replace(email, "EMAIL")
    page = without_csrf_tokens(page)
    return response.status_code, page


def test_wrong_password_unknown_email_and_suspended_account_get_the_same_answer(client, make_user):
    make_user("writer")
    make_user("gone", suspended=True)
    wrong_password = answer(client, "writer@example.com", "not-the-password")
    unknown_email = answer(client, "nobody@example.com", "not-the-password")
    suspended = answer(client, "gone@example.com", "correct-horse-battery")
    assert wrong_password[0] == 200
    assert "don&#39;t match an active account" in wrong_password[1]
    assert unknown_email == wrong_password
    assert suspended == wrong_password


def test_every_failed_sign_in_does_the_same_hashing_work(client, make_user, hashing):
    make_user("writer")
    make_user("gone", suspended=True)
    work = {}
    for case, email, password in [
        ("wrong password", "writer@example.com", "not-the-password"),
        ("unknown email", "nobody@example.com", "not-the-password"),
        ("another unknown email", "nobody-else@example.com", "not-the-password"),
        ("suspended", "gone@example.com", "correct-horse-battery"),
    ]:
        hashing.clear()
        assert client.submit("/login", {"email": email, "password": password}).status_code == 200
        work[case] = list(hashing)
    # One check of one hash made the same way (same algorithm and cost), and nothing else.
    assert work["wrong password"] == [("check", "pbkdf2:sha256:1000")]
    assert all(calls == work["wrong password"] for calls in work.values()), work
