"""The control panel: a signed-in user's posts, site, password, email, sessions, API tokens."""

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from functional_layout.forms.control_panel import (
    EmailChangeForm,
    PasswordForm,
    PostForm,
    SignOutOthersForm,
    SiteForm,
    TokenForm,
)
from shared_models import RuleViolation, accounts, api_tokens, publishing, queries, sessions
from shared_models.tokens import CHANGE_EMAIL
from shared_web.throttling import throttle_mail, throttle_password_checks

bp = Blueprint("control_panel", __name__, url_prefix="/dashboard")


@bp.before_request
@login_required
def require_login():
    """Every page of the control panel is for signed-in users only."""


def get_own_post(post_id):
    """The signed-in user's post with this id; anyone else's is 404."""
    return queries.owned_post(current_user, post_id) or abort(404)


@bp.get("/")
def dashboard():
    """The signed-in user's posts, drafts and published."""
    posts = queries.paginate(
        queries.user_posts(current_user), request.args.get("page"), queries.POSTS_PER_PAGE
    )
    return render_template("control_panel/dashboard.html", site=current_user.site, posts=posts)


@bp.route("/posts/new", methods=["GET", "POST"])
def new_post():
    """Write a post."""
    form = PostForm()
    if form.validate_on_submit():
        try:
            post = publishing.create_post(
                current_user, form.title.data, form.body.data, form.published.data
            )
        except RuleViolation as violation:
            form.reject(violation)
        else:
            if post.is_published:
                flash(_("“%(title)s” is published.", title=post.title), "success")
            else:
                flash(_("“%(title)s” is saved as a draft.", title=post.title), "success")
            return redirect(url_for("control_panel.edit_post", post_id=post.id))
    return render_template("control_panel/post_form.html", form=form, post=None)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id):
    """Edit a post."""
    post = get_own_post(post_id)
    # The model calls it is_published; without this the box shows unticked.
    form = PostForm(obj=post, published=post.is_published)
    if form.validate_on_submit():
        try:
            publishing.update_post(post, form.title.data, form.body.data, form.published.data)
        except RuleViolation as violation:
            form.reject(violation)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("control_panel.edit_post", post_id=post.id))
    return render_template("control_panel/post_form.html", form=form, post=post)


@bp.get("/posts/<int:post_id>/preview")
def preview_post(post_id):
    """A post as it will look on the site, draft or not."""
    post = get_own_post(post_id)
    return render_template("control_panel/preview.html", site=post.site, post=post)


@bp.post("/posts/<int:post_id>/delete")
def delete_post(post_id):
    """Delete a post."""
    post = get_own_post(post_id)
    title = post.title
    publishing.delete_post(post)
    flash(_("“%(title)s” is deleted.", title=title), "success")
    return redirect(url_for("control_panel.dashboard"))


@bp.route("/site", methods=["GET", "POST"])
def site_settings():
    """Change the site's title and tagline."""
    site = current_user.site
    form = SiteForm(obj=site)
    if form.validate_on_submit():
        try:
            publishing.update_site(site, form.title.data, form.tagline.data)
        except RuleViolation as violation:
            form.reject(violation)
        else:
            flash(_("Your site is updated."), "success")
            return redirect(url_for("control_panel.site_settings"))
    return render_template("control_panel/site_settings.html", form=form, site=site)


@bp.route("/account", methods=["GET", "POST"])
@throttle_password_checks
def account():
    """Change the password, and see or end the other signed-in sessions."""
    form, others = PasswordForm(), SignOutOthersForm()
    if others.sign_out_others.data and others.validate_on_submit():
        ended = accounts.sign_out_other_sessions(current_user, current_user.session_id)
        message = ngettext(
            "Signed out of %(num)d other session.", "Signed out of %(num)d other sessions.", ended
        )
        flash(message, "success")
        return redirect(url_for("control_panel.account"))
    if form.validate_on_submit():
        try:
            revoked = accounts.change_password(
                current_user,
                form.current_password.data,
                form.new_password.data,
                keep_session=current_user.session_id,
            )
        except RuleViolation as violation:
            form.reject(violation)
        else:
            flash(_("Your password is changed. Other sessions are signed out."), "success")
            if revoked:
                message = ngettext(
                    "%(num)d API token is revoked too: the API tokens page lists it to make again.",
                    "%(num)d API tokens are revoked too: the API tokens page lists them to make "
                    "again.",
                    len(revoked),
                )
                flash(message, "info")
            return redirect(url_for("control_panel.account"))
    return render_template(
        "control_panel/account.html",
        form=form,
        others=others,
        sessions=sessions.live_sessions(current_user),
    )


@bp.route("/account/email", methods=["GET", "POST"])
@throttle_password_checks
@throttle_mail
def change_email():
    """Change the email address: a link goes to the new one, and the change waits for it."""
    form = EmailChangeForm()
    if form.validate_on_submit():
        try:
            accounts.request_email_change(
                current_user, form.new_email.data, form.current_password.data
            )
        except RuleViolation as violation:
            form.reject(violation)
        else:
            flash(
                _(
                    "We sent a link to %(email)s. Your address changes once you open it and enter "
                    "your password.",
                    email=form.new_email.data,
                ),
                "success",
            )
            return redirect(url_for("control_panel.account"))
    return render_template(
        "control_panel/account_email.html", form=form, link_lasts=CHANGE_EMAIL.max_age
    )


@bp.route("/tokens", methods=["GET", "POST"])
@throttle_password_checks
def tokens():
    """Make an API token, shown once; see and revoke the others."""
    # A "make again" link fills the form in with a revoked token's name and scope.
    form = TokenForm(name=request.args.get("name"), scope=request.args.get("scope", "read"))
    new_token = secret = None
    if form.validate_on_submit():
        try:
            new_token, secret = accounts.create_api_token(
                current_user, form.name.data, form.scope.data, form.current_password.data
            )
        except RuleViolation as violation:
            form.reject(violation)
        else:
            form = TokenForm(formdata=None)
    # A made token is shown on this very response, not after a redirect: its secret
    # then never rests anywhere (not in the session, a cookie the browser would keep
    # sending; not on the server, which keeps a hash). No one, the owner included, can
    # see it twice: no-store keeps it out of caches and the back button, and a reload
    # asks before posting again, which would make another token.
    response = make_response(
        render_template(
            "control_panel/tokens.html",
            form=form,
            tokens=api_tokens.live_tokens(current_user),
            to_make_again=api_tokens.tokens_to_make_again(current_user),
            new_token=new_token,
            secret=secret,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id):
    """Revoke an API token: whatever uses it is refused from now on."""
    token = api_tokens.owned_token(current_user, token_id) or abort(404)
    api_tokens.revoke_token(current_user, token)
    flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for("control_panel.tokens"))
