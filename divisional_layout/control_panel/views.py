"""The control panel: a signed-in user's posts, site settings and password."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user

from divisional_layout.control_panel import bp
from divisional_layout.control_panel.forms import PasswordForm, PostForm, SiteForm
from shared_models import RuleViolation, accounts, publishing, queries


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
            flash(
                f"“{post.title}” is {'published' if post.is_published else 'saved as a draft'}.",
                "success",
            )
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
            flash("Your changes are saved.", "success")
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
    flash(f"“{title}” is deleted.", "success")
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
            flash("Your site is updated.", "success")
            return redirect(url_for("control_panel.site_settings"))
    return render_template("control_panel/site_settings.html", form=form, site=site)


@bp.route("/account", methods=["GET", "POST"])
def account():
    """Change the password; other sessions are signed out."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except RuleViolation as violation:
            form.reject(violation)
        else:
            # The session id changed with the password: sign this session in again.
            login_user(current_user._get_current_object())
            flash("Your password is changed. Other sessions are signed out.", "success")
            return redirect(url_for("control_panel.account"))
    return render_template("control_panel/account.html", form=form)
