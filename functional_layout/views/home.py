"""The home area: the landing page, signing up, in and out, the language, the health check."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from functional_layout.forms.home import LoginForm, SignupForm
from shared_models import RuleViolation, accounts, queries
from shared_web import languages
from shared_web.auth import sign_in, sign_out
from shared_web.extensions import limiter
from shared_web.redirects import safe_next_path
from shared_web.throttling import configured_limit, submitted_account

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    """The landing page and the newest posts from every active site."""
    posts = queries.paginate(
        queries.newest_public_posts(), request.args.get("page"), queries.POSTS_PER_PAGE
    )
    return render_template("home/index.html", posts=posts)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(configured_limit("SIGNUP_RATE_LIMIT_PER_CLIENT"), methods=["POST"])
def signup():
    """Create an account and its site, then sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("control_panel.dashboard"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(
                form.username.data, form.email.data, form.password.data, translate=_
            )
        except RuleViolation as violation:
            form.reject(violation)
        else:
            sign_in(user)
            address = url_for("sites.front_page", site_slug=user.site.slug)
            flash(
                _("Welcome to Inkpot! Your site lives at %(address)s.", address=address), "success"
            )
            return redirect(url_for("control_panel.dashboard"))
    return render_template("home/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(configured_limit("LOGIN_RATE_LIMIT_PER_CLIENT"), methods=["POST"])
@limiter.limit(
    configured_limit("LOGIN_RATE_LIMIT_PER_ACCOUNT"), key_func=submitted_account, methods=["POST"]
)
def login():
    """Sign in, then go where the visitor was headed (same-site paths only)."""
    next_path = safe_next_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("control_panel.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            sign_in(user, remember=form.remember.data)
            return redirect(next_path or url_for("control_panel.dashboard"))
        form.form_errors.append(_("That email and password don't match an active account."))
    return render_template("home/login.html", form=form, next_path=next_path)


@bp.post("/logout")
def logout():
    """Sign out."""
    sign_out()
    flash(_("You are signed out."), "info")
    return redirect(url_for("home.index"))


@bp.post("/locale")
@languages.protect_switch
def choose_language():
    """Read the site in another language from now on, then go back to the page."""
    language = languages.chosen_language(request.form.get("locale")) or abort(400)
    if current_user.is_authenticated:
        accounts.set_language(current_user, language.tag)
    response = redirect(safe_next_path(request.form.get("next")) or url_for("home.index"))
    languages.remember_choice(response, language)
    return response


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not."""
    if queries.database_is_up():
        return {"status": "ok"}
    return {"status": "unavailable"}, 503
