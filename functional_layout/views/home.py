"""The home area: landing page, accounts (sign up, confirm, sign in, reset), language, health."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from functional_layout.forms.home import (
    ConfirmAddressForm,
    EmailLinkForm,
    LoginForm,
    NewPasswordForm,
    SignupForm,
)
from shared_models import RuleViolation, accounts, queries
from shared_models.tokens import CONFIRM_EMAIL
from shared_web import languages
from shared_web.auth import sign_in, sign_out
from shared_web.redirects import safe_next_path
from shared_web.throttling import (
    linked_account,
    submitted_account,
    throttle_mail,
    throttle_sign_in,
    throttle_sign_up,
)

bp = Blueprint("home", __name__)

# A page whose URL holds a token names no other page in its Referer header.
NO_REFERRER = {"Referrer-Policy": "no-referrer"}


def bad_link_page(bad_link, ask_again_endpoint):
    """The 400 page for an emailed link that opens nothing, with a way to get a new one."""
    page = render_template(
        "home/bad_link.html", reason=bad_link.reason, ask_again=url_for(ask_again_endpoint)
    )
    return page, 400, NO_REFERRER


@bp.get("/")
def index():
    """The landing page and the newest posts from every active site."""
    posts = queries.home_page_posts(request.args.get("page"))
    return render_template("home/index.html", posts=posts)


@bp.route("/signup", methods=["GET", "POST"])
@throttle_sign_up
@throttle_mail
def signup():
    """Create an account and its site, then email the link that confirms the address."""
    if current_user.is_authenticated:
        return redirect(url_for("control_panel.dashboard"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            accounts.register(form.username.data, form.email.data, form.password.data, translate=_)
        except RuleViolation as violation:
            form.reject(violation)
        else:
            # The same answer whether or not the address has an account already.
            flash(
                _("Almost there! We sent an email to %(email)s.", email=form.email.data), "success"
            )
            return redirect(url_for("home.resend_confirmation"))
    return render_template("home/signup.html", form=form)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@throttle_sign_in(linked_account)
def confirm_email(token):
    """Confirm an address from the link emailed to it, with the account's password; sign in."""
    try:
        user, new_email = accounts.check_confirmation_link(token)
    except accounts.BadLink as bad_link:
        return bad_link_page(bad_link, "home.resend_confirmation")
    form = ConfirmAddressForm()
    if form.validate_on_submit():
        try:
            user, new_address = accounts.confirm_address(token, form.password.data)
        except accounts.BadLink as bad_link:
            return bad_link_page(bad_link, "home.resend_confirmation")
        except RuleViolation as violation:
            form.reject(violation)
        else:
            sign_out()
            sign_in(user)
            if new_address:
                flash(_("Your email address is now %(email)s.", email=user.email), "success")
            else:
                address = url_for("sites.front_page", site_slug=user.site.slug)
                message = _("Welcome to Inkpot! Your site lives at %(address)s.", address=address)
                flash(message, "success")
            return redirect(url_for("control_panel.dashboard"))
    page = render_template(
        "home/confirm_email.html", form=form, token=token, user=user, new_email=new_email
    )
    return page, NO_REFERRER


@bp.route("/confirm/resend", methods=["GET", "POST"])
@throttle_mail
def resend_confirmation():
    """Email the link that confirms an address again."""
    form = EmailLinkForm()
    if form.validate_on_submit():
        try:
            accounts.resend_confirmation(form.email.data)
        except RuleViolation as violation:
            form.reject(violation)
        else:
            flash(_("We sent an email to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("home.resend_confirmation"))
    return render_template("home/confirm_resend.html", form=form, link_lasts=CONFIRM_EMAIL.max_age)


@bp.route("/login", methods=["GET", "POST"])
@throttle_sign_in(submitted_account)
def login():
    """Sign in, then go where the visitor was headed (same-site paths only)."""
    next_path = safe_next_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("control_panel.dashboard"))
    form = LoginForm()
    unconfirmed_email = None
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except accounts.EmailNotConfirmed as unconfirmed:
            unconfirmed_email = unconfirmed.email
        else:
            if user is not None:
                sign_in(user, remember=form.remember.data)
                return redirect(next_path or url_for("control_panel.dashboard"))
            form.form_errors.append(_("That email and password don't match an active account."))
    return render_template(
        "home/login.html", form=form, next_path=next_path, unconfirmed_email=unconfirmed_email
    )


@bp.post("/logout")
def logout():
    """Sign out."""
    sign_out()
    flash(_("You are signed out."), "info")
    return redirect(url_for("home.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@throttle_mail
def forgot_password():
    """Email a link to set a new password."""
    form = EmailLinkForm()
    if form.validate_on_submit():
        try:
            accounts.request_password_reset(form.email.data)
        except RuleViolation as violation:
            form.reject(violation)
        else:
            # The same answer whether or not the address has an account.
            message = _(
                "We sent an email to %(email)s with what to do next.", email=form.email.data
            )
            flash(message, "success")
            return redirect(url_for("home.login"))
    return render_template("home/password_forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    """Set a new password from the link emailed for it; every session ends, every API token too."""
    try:
        accounts.check_reset_token(token)
    except accounts.BadLink as bad_link:
        return bad_link_page(bad_link, "home.forgot_password")
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            revoked = accounts.reset_password(token, form.new_password.data)
        except accounts.BadLink as bad_link:
            return bad_link_page(bad_link, "home.forgot_password")
        except RuleViolation as violation:
            form.reject(violation)
        else:
            sign_out()
            flash(_("Your password is changed and every session is signed out."), "success")
            if revoked:
                message = ngettext(
                    "%(num)d API token is revoked too. Sign in to make it again.",
                    "%(num)d API tokens are revoked too. Sign in to make them again.",
                    len(revoked),
                )
                flash(message, "info")
            return redirect(url_for("home.login"))
    return render_template("home/password_reset.html", form=form, token=token), NO_REFERRER


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
