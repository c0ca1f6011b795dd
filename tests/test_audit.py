"""The audit log: every admin action and security event is recorded and shown on /admin/audit."""

from dataclasses import dataclass

import pytest

from tests.support.clients import PASSWORD, AuthActions
from tests.support.pages import table_rows


@dataclass
class Scene:
    """Who is around when an audited thing happens: a visitor, grace (a writer) and the admin."""

    visitor: AuthActions
    grace_browser: object
    admin_client: object
    runner: object
    grace_id: int
    grace_post_id: int


@pytest.fixture
def scene(app, auth, admin_client, runner, make_user, make_post):
    grace_id = make_user("grace")
    post_id, _ = make_post(grace_id, "Grace's unlucky post")
    grace_browser = app.test_client()
    AuthActions(grace_browser).login("grace@example.com")
    return Scene(auth, grace_browser, admin_client, runner, grace_id, post_id)


def sign_up(scene):
    scene.visitor.signup("newcomer")
    return "newcomer"


def fail_to_sign_in(scene):
    scene.visitor.login("grace@example.com", "not-her-password")
    return "grace@example.com"


def sign_in_with_an_unknown_email(scene):
    scene.visitor.login("nobody@example.com", "whatever-password")
    return "nobody@example.com"


def sign_in_while_suspended(scene):
    scene.admin_client.submit(f"/admin/users/{scene.grace_id}/suspend")
    scene.visitor.login("grace@example.com", PASSWORD)
    return "grace@example.com"


def change_password(scene):
    scene.grace_browser.submit(
        "/dashboard/account",
        {"current_password": PASSWORD, "new_password": "a-much-better-passphrase"},
    )
    return "grace"


def suspend(scene):
    scene.admin_client.submit(f"/admin/users/{scene.grace_id}/suspend")
    return "grace"


def reactivate(scene):
    scene.admin_client.submit(f"/admin/users/{scene.grace_id}/suspend")
    scene.admin_client.submit(f"/admin/users/{scene.grace_id}/reactivate")
    return "grace"


def promote(scene):
    result = scene.runner.invoke(
        args=["create-admin", "grace@example.com", "--password", "a-new-admin-password"]
    )
    assert result.exit_code == 0, result.output
    return "grace"


def delete_post_as_admin(scene):
    scene.admin_client.submit(f"/admin/posts/{scene.grace_post_id}/delete")
    return "Grace's unlucky post"


AUDITED = [
    ("user.signup", sign_up),
    ("user.login_failed", fail_to_sign_in),
    ("user.login_failed", sign_in_with_an_unknown_email),
    ("user.login_failed", sign_in_while_suspended),
    ("user.password_changed", change_password),
    ("user.suspended", suspend),
    ("user.reactivated", reactivate),
    ("user.promoted", promote),
    ("post.deleted_by_admin", delete_post_as_admin),
]


@pytest.mark.parametrize(
    ("action", "do"), AUDITED, ids=[do.__name__.replace("_", "-") for _, do in AUDITED]
)
def test_each_audited_event_is_recorded_with_its_action_name(scene, audit_events, action, do):
    before = len(audit_events())

    mentioned = do(scene)

    new_events = audit_events()[before:]
    assert [
        event
        for event in new_events
        if event[0] == action and mentioned in f"{event[1]} {event[2]}"
    ], new_events


@pytest.mark.parametrize(
    ("action", "do"), AUDITED, ids=[do.__name__.replace("_", "-") for _, do in AUDITED]
)
def test_each_audited_event_is_shown_on_the_audit_page(scene, action, do):
    mentioned = do(scene)

    rows = table_rows(scene.admin_client.get("/admin/audit"))

    assert [row for row in rows if action in row and mentioned in " ".join(row)], rows


def test_admin_actions_name_the_admin_who_did_them(scene, audit_events):
    reactivate(scene)
    delete_post_as_admin(scene)

    by_admin = [
        actor
        for action, actor, _ in audit_events()
        if action in {"user.suspended", "user.reactivated", "post.deleted_by_admin"}
    ]
    assert by_admin == ["boss"] * 3


def test_a_successful_sign_in_records_no_failure(scene, audit_events):
    scene.visitor.login("grace@example.com", PASSWORD)

    assert "user.login_failed" not in [action for action, _, _ in audit_events()]


def test_deleting_ones_own_post_is_not_an_admin_event(scene, audit_events):
    scene.grace_browser.submit(f"/dashboard/posts/{scene.grace_post_id}/delete")

    assert "post.deleted_by_admin" not in [action for action, _, _ in audit_events()]
