"""Unconfirmed accounts past their link's 48 hours: removed by the worker's schedule and the CLI.

The rule itself is tested in tests/test_accounts.py; here, who runs it: the
worker's beat schedule and task, the `flask` command, and the sign-up form that
takes the freed username and address again.
"""

from datetime import timedelta

from shared_models import db
from shared_models.models import User, as_utc, utcnow
from shared_web.background import REMOVE_STALE_ACCOUNTS
from tests.support.mail import Outbox


def age_account(app, username, hours):
    """Make the account as old as this, as if it had signed up `hours` ago."""
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.username == username)).scalar_one()
        user.created_at = utcnow() - timedelta(hours=hours)
        db.session.commit()


def usernames(app):
    with app.app_context():
        return set(db.session.execute(db.select(User.username)).scalars())


def test_the_workers_schedule_runs_the_removal_at_least_hourly(app):
    celery = app.extensions["celery"]

    entries = [
        entry
        for entry in celery.conf.beat_schedule.values()
        if entry["task"] == REMOVE_STALE_ACCOUNTS
    ]

    assert len(entries) == 1
    assert timedelta(seconds=entries[0]["schedule"]) <= timedelta(hours=1)
    assert REMOVE_STALE_ACCOUNTS in celery.tasks


def test_the_workers_task_removes_the_stale_unconfirmed_accounts(app, make_user):
    make_user("stale", confirmed=False)
    make_user("fresh", confirmed=False)
    make_user("veteran")
    age_account(app, "stale", 49)
    age_account(app, "veteran", 24 * 365)

    with app.app_context():
        assert app.extensions["celery"].tasks[REMOVE_STALE_ACCOUNTS].apply().result == 1

    assert usernames(app) == {"fresh", "veteran"}


def test_the_command_removes_them_and_says_how_many(app, runner, make_user):
    make_user("stale", confirmed=False)
    age_account(app, "stale", 49)

    result = runner.invoke(args=["remove-unconfirmed-accounts"])

    assert result.exit_code == 0, result.output
    assert result.output == "Removed 1 unconfirmed account older than 48 hours.\n"
    assert usernames(app) == set()
    assert (
        "Removed 0 unconfirmed accounts"
        in runner.invoke(args=["remove-unconfirmed-accounts"]).output
    )


def test_a_stale_sign_ups_username_and_address_can_sign_up_again(app, auth, runner, find_user):
    outbox = Outbox.of(app)
    auth.signup("wanted", email="owner@example.com", confirm=False)
    age_account(app, "wanted", 49)

    runner.invoke(args=["remove-unconfirmed-accounts"])
    response = auth.signup("wanted", email="owner@example.com", confirm=False)

    assert response.status_code == 302
    assert as_utc(find_user("wanted").created_at) > utcnow() - timedelta(minutes=5)
    # A new link, not the note that an address with an account gets.
    subjects = {email.subject for email in outbox.emails(to="owner@example.com")}
    assert subjects == {"Confirm your email address for Inkpot"}


def test_a_sign_up_younger_than_its_link_keeps_its_username(app, auth, runner, find_user):
    auth.signup("wanted", email="owner@example.com", confirm=False)
    age_account(app, "wanted", 47)

    runner.invoke(args=["remove-unconfirmed-accounts"])
    response = auth.signup("wanted", email="someone@example.com", confirm=False)

    assert "That username is taken." in response.get_data(as_text=True)
    assert find_user("wanted").email == "owner@example.com"
