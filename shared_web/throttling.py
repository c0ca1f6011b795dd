"""How throttling keys requests (sign-in, sign-up, password, email, API); the limits live in config.

Every attempt counts, and it counts before the view checks anything: Flask-Limiter
adds it to the shared count atomically first, so a burst of parallel requests
cannot all pass while the count is still low.

Views and blueprints only declare their throttles here; each app counts them with
a Limiter of its own (`init_app`, then `throttle_views` once the views are
registered). One Limiter bound to several apps, as a test run or a script builds
them, would mix them up: Flask-Limiter keeps the store, the settings and whether
the store is down on the Limiter, not per app, so the newest app would take over
every other app's counts, and one app's Redis outage would move another's counts.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

from shared_models import accounts
from shared_models.accounts import normalize_email
from shared_models.models import EMAIL_MAX
from shared_web.bearer import SAFE_METHODS, caller_key

# Where an app keeps its Limiter, in app.extensions.
EXTENSION = "inkpot.limiter"


def init_app(app: Flask) -> None:
    """Give the app a Limiter of its own, reading the RATELIMIT_* settings of its config."""
    # Counts per client address unless a throttle says otherwise: behind nginx,
    # ProxyFix (see shared_web.init_app) makes that the visitor's address, not the proxy's.
    limiter = Limiter(key_func=get_remote_address)
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter


def throttle_views(app: Flask) -> None:
    """Count the throttles that the app's registered views and blueprints declare."""
    limiter = app.extensions[EXTENSION]
    for blueprint in app.blueprints.values():
        for throttle in getattr(blueprint, "throttles", ()):
            throttle.counted_by(limiter)(blueprint)
    for endpoint, view in list(app.view_functions.items()):
        # Wrapped for this app alone: the view function itself is every app's.
        for throttle in getattr(view, "throttles", ()):
            view = throttle.counted_by(limiter)(view)
        app.view_functions[endpoint] = view


@dataclass(frozen=True)
class Throttle:
    """A limit (the name of its config value) on some methods, counted per key_func's key.

    Every view or blueprint that declares a throttle with the same scope adds
    to the same count; a request for which `exempt_when` answers true neither
    counts nor is refused.
    """

    limit: str
    scope: str
    key_func: Callable[[], str] = get_remote_address
    methods: tuple[str, ...] = ("POST",)
    exempt_when: Callable[[], bool] | None = None

    def counted_by(self, limiter: Limiter):
        """The limiter's decorator that counts this throttle, for a view or a blueprint."""
        return limiter.shared_limit(
            configured_limit(self.limit),
            scope=self.scope,
            key_func=self.key_func,
            methods=list(self.methods),
            exempt_when=self.exempt_when,
        )


def declare(target, *throttles: Throttle):
    """Mark a view function or blueprint as counted by the throttles, in every app it is in.

    Flask reads view functions' attributes the same way (`methods`,
    `provide_automatic_options`); `throttle_views` reads this one.
    """
    target.throttles = (*getattr(target, "throttles", ()), *throttles)
    return target


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


def mail_recipient() -> str:
    """Key a form that sends email by the address it sends to (`new_email`, else `email`)."""
    address = request.form.get("new_email") or request.form.get("email", "")
    return "recipient:" + normalize_email(address)[:EMAIL_MAX]


def throttle_api(blueprint: Blueprint) -> None:
    """Count every call to the blueprint's URLs as an API read or write, before any view runs.

    Two counts per caller (its token, else its address), each shared by all the API's URLs.
    """
    declare(
        blueprint,
        Throttle(
            "API_READ_RATE_LIMIT",
            scope="api-reads",
            key_func=caller_key,
            methods=tuple(sorted(SAFE_METHODS)),
        ),
        Throttle(
            "API_WRITE_RATE_LIMIT",
            scope="api-writes",
            key_func=caller_key,
            methods=("DELETE", "PATCH", "POST", "PUT"),
        ),
    )


def _per_key_and_client(scope: str, per_key: str, per_client: str, key_func, exempt_when=None):
    """Two counts of POSTs, per key_func's key and per client address, shared within the scope."""
    return (
        Throttle(per_key, f"{scope}-per-key", key_func=key_func, exempt_when=exempt_when),
        Throttle(per_client, f"{scope}-per-client", exempt_when=exempt_when),
    )


def throttle_sign_up(view):
    """Count every POST of the sign-up form per client address."""
    return declare(view, Throttle("SIGNUP_RATE_LIMIT_PER_CLIENT", scope="sign-up"))


def throttle_sign_in(account_key):
    """Count every POST that checks an account's password to sign in, per client and per account.

    `account_key` says which account a POST is for. The sign-in form and the
    confirmation link's page share the two counts, so one account gets one
    budget of guesses, wherever they are made.
    """

    def throttle(view):
        counts = _per_key_and_client(
            "sign-in", "LOGIN_RATE_LIMIT_PER_ACCOUNT", "LOGIN_RATE_LIMIT_PER_CLIENT", account_key
        )
        return declare(view, *counts)

    return throttle


def throttle_mail(view):
    """Count every POST to a form that sends email, per client and per address mailed.

    All such forms share the two counts, so that switching forms buys nothing.
    """
    counts = _per_key_and_client(
        "mail", "MAIL_RATE_LIMIT_PER_ADDRESS", "MAIL_RATE_LIMIT_PER_CLIENT", mail_recipient
    )
    return declare(view, *counts)


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
    counts = _per_key_and_client(
        "password-check",
        "PASSWORD_CHANGE_RATE_LIMIT",
        "PASSWORD_CHANGE_RATE_LIMIT",
        signed_in_account,
        exempt_when=submits_no_password,
    )
    return declare(view, *counts)
