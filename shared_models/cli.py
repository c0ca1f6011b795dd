"""The `flask` commands both layouts share: create-admin, seed-demo, remove-unconfirmed-accounts."""

from datetime import timedelta

import click
from flask.cli import with_appcontext

from shared_models import accounts, demo
from shared_models.errors import RuleViolation


@click.command("create-admin")
@click.argument("email")
@click.option("--password", help="The admin's password; prompted for when left out.")
@with_appcontext
def create_admin_command(email: str, password: str | None) -> None:
    """Create an admin with EMAIL, or promote the user who has it, with a password you set."""
    existing = accounts.get_user_by_email(email)
    if existing is not None:
        click.echo(
            f"{existing.email} already has an account (username {existing.username}). "
            "Promoting it replaces its password with the one you set and signs it out "
            "everywhere, so whoever signed up with this address cannot use the admin rights."
        )
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, created = accounts.create_admin(email, password)
    except RuleViolation as error:
        raise click.ClickException(f"{error.field or 'error'}: {error.message}") from None
    verb = "Created" if created else "Promoted"
    click.echo(f"{verb} admin {user.email} (username {user.username}).")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Add demo users, sites and posts (safe to run again)."""
    credentials = demo.seed_demo()
    click.echo(f"Demo data ready. Sign in with any of these (password: {demo.DEMO_PASSWORD}):")
    for email, role in credentials:
        click.echo(f"  {email:<24} {role}")


@click.command("remove-unconfirmed-accounts")
@with_appcontext
def remove_unconfirmed_accounts_command() -> None:
    """Remove unconfirmed accounts older than their confirmation link, as the worker does hourly."""
    count = accounts.remove_stale_unconfirmed_accounts()
    hours = accounts.UNCONFIRMED_ACCOUNT_LIFETIME // timedelta(hours=1)
    click.echo(
        f"Removed {count} unconfirmed account{'s' if count != 1 else ''} older than {hours} hours."
    )
