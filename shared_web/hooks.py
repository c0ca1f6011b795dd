"""Request and response hooks every Inkpot app registers (see shared_web.init_app)."""

from urllib.parse import unquote_to_bytes

from flask import abort, current_app, request


def add_security_headers(response):
    """Send the configured security headers, unless a view chose its own."""
    for name, value in current_app.config["SECURITY_HEADERS"].items():
        response.headers.setdefault(name, value)
    return response


def refuse_non_json_body():
    """Answer 415 to a request that should send JSON (POST, PUT, PATCH) and sends anything else.

    Without it, a form-encoded body would reach the JSON parser as no body at all,
    and be refused for its missing fields instead of for its type.
    """
    if request.method in {"POST", "PUT", "PATCH"} and not request.is_json:
        abort(415)


def refuse_unreadable_input():
    """Answer 400 to a NUL byte or broken UTF-8 anywhere in the URL or a submitted form.

    No page can show such text and PostgreSQL refuses NUL, so it is turned away
    before any view or query sees it; left alone, Werkzeug would keep broken
    UTF-8 as the literal text `%FF`.
    """
    encoded = [request.query_string]
    if request.mimetype == "application/x-www-form-urlencoded":
        encoded.append(request.get_data(cache=True))
    raw = [request.environ.get("PATH_INFO", "").encode("latin-1")]
    raw += [unquote_to_bytes(part.replace(b"+", b" ")) for part in encoded]
    # Multipart forms arrive decoded already (broken UTF-8 becomes U+FFFD there).
    fields = [text for pair in request.form.items(multi=True) for text in pair]
    if any(b"\x00" in part for part in raw) or any("\x00" in text for text in fields):
        abort(400)
    try:
        for part in raw:
            part.decode("utf-8")
    except UnicodeDecodeError:
        abort(400)
