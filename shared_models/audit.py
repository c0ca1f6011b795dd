"""Recording what admins did and what happened to accounts, for `/admin/audit`."""

from blinker import Namespace

from shared_models.database import db
from shared_models.models import AUDIT_DETAIL_MAX, AuditEvent, User

USER_SIGNUP = "user.signup"
USER_LOGIN_FAILED = "user.login_failed"
USER_PASSWORD_CHANGED = "user.password_changed"
USER_PASSWORD_CHANGE_FAILED = "user.password_change_failed"
USER_SESSIONS_ENDED = "user.sessions_ended"
USER_SUSPENDED = "user.suspended"
USER_REACTIVATED = "user.reactivated"
USER_PROMOTED = "user.promoted"
USER_EMAIL_CONFIRMED = "user.email_confirmed"
USER_PASSWORD_RESET_REQUESTED = "user.password_reset_requested"
USER_PASSWORD_RESET = "user.password_reset"
USER_EMAIL_CHANGED = "user.email_changed"
USER_REMOVED_UNCONFIRMED = "user.removed_unconfirmed"
POST_DELETED_BY_ADMIN = "post.deleted_by_admin"
TOKEN_CREATED = "token.created"
TOKEN_REVOKED = "token.revoked"


# Sent with each event as it is recorded (the metrics count failed sign-ins from it).
event_recorded = Namespace().signal("audit-event-recorded")


def record_event(
    action: str,
    actor: User | None = None,
    target: object | None = None,
    detail: str = "",
) -> AuditEvent:
    """Add an audit event to the current transaction; the caller commits."""
    event = AuditEvent(
        action=action,
        actor=actor,
        # __class__, not type(): a proxy of the target (Flask-Login's current_user) names
        # the class of what it stands for, where type() would name the proxy's own.
        target_type=target.__class__.__name__.lower() if target is not None else None,
        target_id=getattr(target, "id", None),
        # A long detail (a post title, an email) is cut rather than refused: the event matters more.
        detail=detail[:AUDIT_DETAIL_MAX],
    )
    db.session.add(event)
    event_recorded.send(event, action=action)
    return event
