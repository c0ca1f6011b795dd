"""The admin area: platform counts, users, posts and the audit log."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from shared_models import RuleViolation, accounts, publishing, queries
from shared_web.languages import translate_violation

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin():
    """Signed-in non-admins get 403; anonymous visitors are sent to sign in."""
    if not current_user.is_admin:
        abort(403)


@bp.get("/")
def index():
    """Counts of users, sites and posts, and the newest audit events."""
    return render_template(
        "admin/index.html",
        counts=queries.platform_counts(),
        events=queries.newest_audit_events(),
    )


def get_any_user(user_id):
    """The user with this id, whoever they are; an unknown id is 404."""
    return queries.get_user(user_id) or abort(404)


def get_any_post(post_id):
    """The post with this id, on any site; an unknown id is 404."""
    return queries.get_post(post_id) or abort(404)


@bp.get("/users")
def users():
    """Users, searchable by username or email."""
    search = request.args.get("q", "")[: queries.USER_SEARCH_MAX]
    found = queries.paginate(
        queries.search_users(search), request.args.get("page"), queries.ROWS_PER_ADMIN_PAGE
    )
    return render_template(
        "admin/users.html", users=found, search=search, search_max=queries.USER_SEARCH_MAX
    )


@bp.post("/users/<int:user_id>/suspend")
def suspend_user(user_id):
    """Suspend a user: no sign-in, sessions ended, site hidden."""
    user = get_any_user(user_id)
    try:
        accounts.suspend_user(current_user, user)
    except RuleViolation as violation:
        flash(translate_violation(violation), "error")
    else:
        flash(
            _("%(username)s is suspended; their site is hidden.", username=user.username), "success"
        )
    return redirect(url_for("admin.users", q=request.args.get("q")))


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id):
    """Lift a suspension."""
    user = get_any_user(user_id)
    accounts.reactivate_user(current_user, user)
    flash(_("%(username)s is active again.", username=user.username), "success")
    return redirect(url_for("admin.users", q=request.args.get("q")))


@bp.get("/posts")
def posts():
    """Every post on the platform, newest first."""
    found = queries.paginate(
        queries.all_posts(), request.args.get("page"), queries.ROWS_PER_ADMIN_PAGE
    )
    return render_template("admin/posts.html", posts=found)


@bp.post("/posts/<int:post_id>/delete")
def delete_post(post_id):
    """Delete any post (recorded in the audit log)."""
    post = get_any_post(post_id)
    title = post.title
    publishing.delete_post_as_admin(current_user, post)
    flash(_("“%(title)s” is deleted.", title=title), "success")
    return redirect(url_for("admin.posts"))


@bp.get("/audit")
def audit():
    """The audit log, newest first."""
    events = queries.paginate(
        queries.audit_log(), request.args.get("page"), queries.ROWS_PER_ADMIN_PAGE
    )
    return render_template("admin/audit.html", events=events)
