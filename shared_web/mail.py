"""Email: each message rendered from the layout's emails/ templates, then sent or kept as a file.

What a message says lives in the layout's templates (`emails/<kind>.txt` for
the plain-text part and its subject, `emails/<kind>.html` for the HTML part);
what goes into it, its links and their tokens, is decided here, once for both
layouts. Messages are rendered outside any request (in the worker), so the
templates get everything they show from this module, and every link is built
from PUBLIC_URL: a request's Host header never reaches an email.

With MAIL_SERVER set, messages go out over SMTP; without it, each is written as
an RFC 5322 `.eml` file to MAIL_OUTBOX_DIR (and, in development, its links are
logged, so `make run` needs no mail server at all).
"""

import smtplib
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from flask_babel import force_locale

from shared_models import tokens
from shared_models.models import EmailKind, OutboundEmail, as_utc, utcnow
from shared_web.formatting import lasting
from shared_web.languages import language_named


class TemporaryFailure(Exception):
    """The mail server is down, or refused the message for now: try again later."""


class PermanentFailure(Exception):
    """The mail server refused the message for good (no such mailbox): trying again won't help."""


def link_base() -> str:
    """Where links in emails point: PUBLIC_URL, or in development the dev server's own address.

    Production refuses to start without PUBLIC_URL, and the Host header is used
    only in development without one, to send the newcomer back where they are.
    """
    configured = current_app.config["PUBLIC_URL"]
    if configured:
        return configured
    if current_app.config["APP_ENV"] == "development" and has_request_context():
        return request.host_url.rstrip("/")
    raise RuntimeError(
        "PUBLIC_URL is not set, and links in emails are built from it: "
        "set PUBLIC_URL to the site's address (e.g. http://127.0.0.1:5001)."
    )


def public_link(endpoint: str, **values) -> str:
    """An absolute link to an endpoint of this site, on PUBLIC_URL."""
    base = urlsplit(link_base())
    urls = current_app.url_map.bind(base.netloc, url_scheme=base.scheme)
    return urls.build(endpoint, values, force_external=True)


def _links(email: OutboundEmail) -> dict[str, str]:
    """The links a message carries; a token is made now, when the message is rendered."""
    user = email.user
    links = {"home": public_link("home.index")}
    if email.kind == EmailKind.CONFIRM_EMAIL:
        token = tokens.make_token(tokens.CONFIRM_EMAIL, user)
        links["confirm"] = public_link("home.confirm_email", token=token)
        links["resend"] = public_link("home.resend_confirmation")
    elif email.kind == EmailKind.RESET_PASSWORD:
        token = tokens.make_token(tokens.RESET_PASSWORD, user)
        links["reset"] = public_link("home.reset_password", token=token)
        links["forgot"] = public_link("home.forgot_password")
    elif email.kind == EmailKind.CONFIRM_NEW_EMAIL:
        token = tokens.make_token(tokens.CHANGE_EMAIL, user, new_email=email.to_address)
        links["confirm"] = public_link("home.confirm_email", token=token)
    elif email.kind in (EmailKind.ACCOUNT_EXISTS, EmailKind.EMAIL_CHANGED):
        links["sign_in"] = public_link("home.login")
        links["forgot"] = public_link("home.forgot_password")
    elif email.kind == EmailKind.NO_ACCOUNT:
        links["sign_up"] = public_link("home.signup")
        links["forgot"] = public_link("home.forgot_password")
    return links


def _render(email: OutboundEmail, links: dict[str, str]) -> tuple[str, str, str]:
    """(subject, plain text, HTML) from the layout's emails/<kind>.txt and .html.

    Written in the email's own language (shared_models.outbox decided it when the
    email was queued), whatever page or worker renders it.
    """
    language = language_named(email.language)
    with force_locale(language.locale):
        context = {
            "email": email,
            "user": email.user,
            "data": email.data,
            "links": links,
            "language": language,
            "confirm_lasts": lasting(tokens.CONFIRM_EMAIL.max_age),
            "reset_lasts": lasting(tokens.RESET_PASSWORD.max_age),
            "change_lasts": lasting(tokens.CHANGE_EMAIL.max_age),
        }
        environment = current_app.jinja_env
        text = environment.get_template(f"emails/{email.kind}.txt").make_module(context)
        subject = str(text.subject).strip()
        html = environment.get_template(f"emails/{email.kind}.html").render(
            context, subject=subject
        )
    return subject, str(text).strip() + "\n", html


def sender() -> str:
    return current_app.config["MAIL_DEFAULT_SENDER"] or (
        f"Inkpot <no-reply@{urlsplit(link_base()).hostname}>"
    )


def compose(email: OutboundEmail) -> tuple[EmailMessage, dict[str, str]]:
    """The message for an outbox row, with a plain-text and an HTML part, and its links."""
    links = _links(email)
    subject, text, html = _render(email, links)
    host = urlsplit(link_base()).hostname
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender()
    message["To"] = email.to_address
    message["Date"] = format_datetime(utcnow())
    # The same id however often the row is sent: a repeated delivery is recognisably one message.
    message["Message-ID"] = f"<{as_utc(email.created_at):%Y%m%d%H%M%S}.{email.id}.inkpot@{host}>"
    # RFC 3834: an automatic message, which autoresponders must not answer.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message, links


def deliver(email: OutboundEmail, message: EmailMessage, links: dict[str, str]) -> None:
    """Send over SMTP, or without MAIL_SERVER keep as a file.

    Raises TemporaryFailure or PermanentFailure when the mail server does not take it.
    """
    if current_app.config["MAIL_SERVER"]:
        _send_over_smtp(message)
        current_app.logger.info("Sent email %s (%s) to %s.", email.id, email.kind, message["To"])
    else:
        path = _keep_as_file(email, message)
        current_app.logger.info(
            "Email %s (%s) to %s is in %s.", email.id, email.kind, message["To"], path
        )
        if current_app.config["MAIL_LOG_LINKS"]:
            for name, link in links.items():
                if name != "home":
                    current_app.logger.info("  %s: %s", name, link)


def _send_over_smtp(message: EmailMessage) -> None:
    config = current_app.config
    try:
        with smtplib.SMTP(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
        ) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        failure = PermanentFailure if all(code >= 500 for code in codes) else TemporaryFailure
        raise failure(f"the recipient was refused: {codes}") from None
    except smtplib.SMTPResponseException as error:
        # A message refused with 5xx at its data is refused for good (a spam verdict, a size
        # limit); everything else (4xx, a refused login or sender) may pass once fixed.
        if isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500:
            raise PermanentFailure(f"the message was refused: {error.smtp_code}") from None
        raise TemporaryFailure(f"the mail server answered {error.smtp_code}") from None
    except (smtplib.SMTPException, OSError) as error:
        raise TemporaryFailure(f"the mail server could not be reached: {error}") from None


def _keep_as_file(email: OutboundEmail, message: EmailMessage) -> Path:
    """Write the message to MAIL_OUTBOX_DIR; the same row always gets the same file."""
    directory = Path(current_app.config["MAIL_OUTBOX_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{as_utc(email.created_at):%Y%m%d-%H%M%S}-{email.id:06d}-{email.kind}.eml"
    # Written aside, then renamed: whoever reads the folder never sees half a message.
    partial = path.with_suffix(".part")
    partial.write_bytes(message.as_bytes(policy=policy.SMTP))
    partial.replace(path)
    return path
