"""The command line: `flask db upgrade`, `flask create-admin` and `flask seed-demo`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select

from deploy import layout_module
from shared_models import db
from shared_models.demo import DEMO_ADMIN, DEMO_PASSWORD
from shared_models.models import AuditEvent, Post, Site, User
from tests.support.apps import make_app
from tests.support.clients import PASSWORD, AuthActions

ROOT = Path(__file__).resolve().parent.parent
TABLES = {"users", "sites", "posts", "audit_events"}

NEW_PASSWORD = "a-new-password-for-the-admin"


@pytest.fixture
def fresh_app(layout, tmp_path):
    """A layout's app on an empty database file, not yet migrated."""
    app = make_app(layout, f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    yield app
    with app.app_context():
        db.engine.dispose()


def table_names(app):
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def counts(app):
    with app.app_context():
        return {
            model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar()
            for model in (User, Site, Post)
        }


# --- flask db upgrade -------------------------------------------------------------------


def test_db_upgrade_creates_the_schema(fresh_app):
    assert table_names(fresh_app) == set()

    result = fresh_app.test_cli_runner().invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert table_names(fresh_app) >= TABLES


def test_db_upgrade_twice_is_harmless(fresh_app):
    runner = fresh_app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])

    result = runner.invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert table_names(fresh_app) >= TABLES


@pytest.mark.smoke
def test_flask_db_upgrade_works_from_the_repository_root(layout, tmp_path):
    database = tmp_path / "from-shell.sqlite3"
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "APP_ENV": "testing",
        "RATELIMIT_ENABLED": "false",
    }

    completed = subprocess.run(
        [sys.executable, "-m", "flask", "--app", layout_module(layout).__name__, "db", "upgrade"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    tables = set(inspect(create_engine(f"sqlite:///{database}")).get_table_names())
    assert tables >= TABLES


# --- flask create-admin -----------------------------------------------------------------


@pytest.mark.smoke
def test_create_admin_creates_an_admin_with_a_site(app, runner, client, find_user):
    result = runner.invoke(args=["create-admin", "chief@example.com", "--password", PASSWORD])

    assert result.exit_code == 0, result.output
    assert "chief@example.com" in result.output
    admin = find_user("chief")
    assert admin.is_admin
    assert client.get("/sites/chief/").status_code == 200
    AuthActions(client).login("chief@example.com")
    assert client.get("/admin/").status_code == 200


def test_create_admin_promotes_an_existing_user(app, runner, make_user, find_user, audit_events):
    make_user("grace")

    result = runner.invoke(args=["create-admin", "Grace@Example.com", "--password", NEW_PASSWORD])

    assert result.exit_code == 0, result.output
    assert find_user("grace").is_admin
    assert ("user.promoted", None, "grace") in audit_events()
    assert counts(app)["User"] == 1


def test_promoting_an_existing_account_says_so_and_asks_for_a_new_password(
    runner, client, make_user, find_user
):
    # An attacker signed up first with the address meant for the new admin.
    make_user("grace")

    result = runner.invoke(
        args=["create-admin", "grace@example.com"], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    )

    assert result.exit_code == 0, result.output
    assert "already has an account (username grace)" in result.output
    assert "replaces its password" in result.output
    assert find_user("grace").is_admin
    assert AuthActions(client).login("grace@example.com").status_code != 302
    assert AuthActions(client).login("grace@example.com", NEW_PASSWORD).status_code == 302


def test_a_new_admin_is_audited_as_promoted(runner, audit_events):
    runner.invoke(args=["create-admin", "chief@example.com", "--password", PASSWORD])

    assert "user.promoted" in [action for action, _, _ in audit_events()]


@pytest.mark.parametrize("password", ["short", "", "x" * 129])
def test_create_admin_refuses_a_bad_password(app, runner, password):
    result = runner.invoke(args=["create-admin", "chief@example.com", "--password", password])

    assert result.exit_code != 0
    assert "password" in result.output.lower()
    assert "Traceback" not in result.output
    assert counts(app)["User"] == 0


def test_create_admin_refuses_a_bad_email(app, runner):
    result = runner.invoke(args=["create-admin", "not-an-email", "--password", PASSWORD])

    assert result.exit_code != 0
    assert "email" in result.output.lower()
    assert counts(app)["User"] == 0


def test_create_admin_prompts_for_the_password_when_it_is_left_out(runner, client, find_user):
    result = runner.invoke(
        args=["create-admin", "chief@example.com"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )

    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert PASSWORD not in result.output
    assert find_user("chief").is_admin
    assert AuthActions(client).login("chief@example.com").status_code == 302


def test_create_admin_prompts_again_when_the_passwords_differ(runner, find_user):
    result = runner.invoke(
        args=["create-admin", "chief@example.com"],
        input=f"{PASSWORD}\nsomething-else\n{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert find_user("chief").is_admin


@pytest.mark.parametrize("email", ["admin@example.com", "a@example.com", "www@example.com"])
def test_an_admin_from_an_email_with_a_reserved_or_short_name_still_gets_a_site(app, runner, email):
    result = runner.invoke(args=["create-admin", email, "--password", PASSWORD])

    assert result.exit_code == 0, result.output
    with app.app_context():
        admin = db.session.execute(select(User).where(User.email == email)).scalar_one()
        assert admin.is_admin
        assert admin.site is not None
        site_slug = admin.site.slug
    assert app.test_client().get(f"/sites/{site_slug}/").status_code == 200


# --- flask seed-demo --------------------------------------------------------------------


def test_seed_demo_adds_users_sites_posts_and_prints_credentials(app, runner):
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert DEMO_ADMIN in result.output
    assert DEMO_PASSWORD in result.output
    seeded = counts(app)
    assert seeded["User"] >= 2
    assert seeded["Site"] == seeded["User"]
    assert seeded["Post"] >= 2


def test_seed_demo_is_idempotent(app, runner):
    runner.invoke(args=["seed-demo"])
    once = counts(app)
    with app.app_context():
        events_once = db.session.execute(select(func.count(AuditEvent.id))).scalar()

    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert counts(app) == once
    with app.app_context():
        assert db.session.execute(select(func.count(AuditEvent.id))).scalar() == events_once


def test_seeded_demo_accounts_can_sign_in(app, runner, client):
    runner.invoke(args=["seed-demo"])

    AuthActions(client).login(DEMO_ADMIN, password=DEMO_PASSWORD)

    assert client.get("/admin/").status_code == 200
