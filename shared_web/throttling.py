"""How throttling keys requests (sign-in, sign-up, password, email, API); the limits live in config.

Every attempt counts, and it counts before the view checks anything: Flask-Limiter
adds it to the shared count atomically first, so a burst of parallel requests
cannot all pass while the count is still low.
"""

from flask import Blueprint, current_app, request
from flask_login import current_user

from shared_models import accounts
from shared_models.accounts import normalize_email
from shared_models.models import EMAIL_MAX
from shared_web.bearer import SAFE_METHODS, caller_key
from shared_web.extensions import limiter


def configured_limit(name: str):
    """A limit read from app.config when a request needs it, so all values live in config."""
    return lambda: current_app.config[name]


def submitted_account() -> str:
    """Key sign-ins by the email they name, the way accounts looks it up."""
    return _account_key(request.form.get("email", ""))


def linked_account() -> str:
    """Key the password tries at a confirmation link by the account it names, as sign-ins are."""
    try:
        user, _ = accounts.check_confirmation_link(request.view_args["token"])
    except accounts.BadLink:
        return _account_key("")
    return _account_key(user.email)


def _account_key(email: str) -> str:
    return "account:" + normalize_email(email)[:EMAIL_MAX]


def signed_in_account() -> str:
    """Key a signed-in user's attempts by their account, wherever they come from."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "anonymous:" + (request.remote_addr or "")


# The API's two counts per caller (its token, else its address), each shared by all the
# API's URLs. Made once, here: the limiter files blueprint limits under the blueprint's
# name, and both layouts' blueprints are called `api`, so they must be the same limits.
API_READS = limiter.shared_limit(
    configured_limit("API_READ_RATE_LIMIT"),
    scope="api-reads",
    key_func=caller_key,
    methods=sorted(SAFE_METHODS),
)
API_WRITES = limiter.shared_limit(
    configured_limit("API_WRITE_RATE_LIMIT"),
    scope="api-writes",
    key_func=caller_key,
    methods=["DELETE", "PATCH", "POST", "PUT"],
)


def throttle_api(blueprint: Blueprint) -> None:
    """Count every call to the blueprint's URLs as an API read or write, before any view runs."""
    API_READS(blueprint)
    API_WRITES(blueprint)


def mail_recipient() -> str:
    """Key a form that sends email by the address it sends to (`new_email`, else `email`)."""
    address = request.form.get("new_email") or request.form.get("email", "")
    return "recipient:" + normalize_email(address)[:EMAIL_MAX]


def _shared_limits(view, scope: str, per_client: str, per_key: str, key_func, exempt_when=None):
    """Count POSTs to the view per client address and per key_func's key.

    Every view throttled with the same scope adds to the same two counts; a
    POST for which `exempt_when` answers true neither counts nor is refused.
    """
    by_key = limiter.shared_limit(
        configured_limit(per_key),
        scope=f"{scope}-per-key",
        key_func=key_func,
        methods=["POST"],
        exempt_when=exempt_when,
    )
    by_client = limiter.shared_limit(
        configured_limit(per_client),
        scope=f"{scope}-per-client",
        methods=["POST"],
        exempt_when=exempt_when,
    )
    return by_client(by_key(view))


def throttle_sign_in(account_key):
    """Count every POST that checks an account's password to sign in, per client and per account.

    `account_key` says which account a POST is for. The sign-in form and the
    confirmation link's page share the two counts, so one account gets one
    budget of guesses, wherever they are made.
    """

    def throttle(view):
        return _shared_limits(
            view,
            "sign-in",
            "LOGIN_RATE_LIMIT_PER_CLIENT",
            "LOGIN_RATE_LIMIT_PER_ACCOUNT",
            account_key,
        )

    return throttle


def throttle_mail(view):
    """Count every POST to a form that sends email, per client and per address mailed.

    All such forms share the two counts, so that switching forms buys nothing.
    """
    return _shared_limits(
        view, "mail", "MAIL_RATE_LIMIT_PER_CLIENT", "MAIL_RATE_LIMIT_PER_ADDRESS", mail_recipient
    )


def submits_no_password() -> bool:
    """A POST without a current password to check, such as "Sign out everywhere else"."""
    return not request.form.get("current_password")


def throttle_password_checks(view):
    """Count every POST that checks the current password, per client and per account.

    The forms that check it share these counts: a stolen session gets one budget
    of guesses, not one per form. A POST that submits no password checks none,
    so it is not counted, and a thief who spent the budget cannot stop the
    owner's own session from signing the others out.
    """
    return _shared_limits(
        view,
        "password-check",
        "PASSWORD_CHANGE_RATE_LIMIT",
        "PASSWORD_CHANGE_RATE_LIMIT",
        signed_in_account,
        exempt_when=submits_no_password,
    )
