"""shared_web.logs: one line per record, JSON in production, with the request it belongs to."""

import io
import json
import logging
import logging.config

import pytest
from flask import abort

from shared_web.logs import REDACTED, logging_config


@pytest.fixture
def log_lines():
    """Configure logging as production does, into a buffer; the lines written, as read."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    config = logging_config("json")
    stream = io.StringIO()
    config["handlers"]["stderr"]["stream"] = stream
    logging.config.dictConfig(config)
    yield lambda: [line for line in stream.getvalue().splitlines() if line]
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def records(lines, logger="inkpot.request"):
    parsed = [json.loads(line) for line in lines]
    return [record for record in parsed if record["logger"] == logger]


def test_every_request_ends_with_one_json_line_of_what_happened(client, log_lines):
    response = client.get("/sites/nobody/")

    (line,) = records(log_lines())
    took, sql_took = f"{line['duration_ms']:.1f}", f"{line['sql_ms']:.1f}"
    assert line["message"] == f"GET /sites/nobody/ 404 in {took} ms (1 SQL, {sql_took} ms)"
    assert line["level"] == "INFO"
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert (line["method"], line["path"], line["endpoint"], line["status"]) == (
        "GET",
        "/sites/nobody/",
        "sites.front_page",
        404,
    )
    assert line["client"] == "127.0.0.1"
    assert line["sql_count"] == 1
    assert line["duration_ms"] >= 0 and line["sql_ms"] >= 0
    assert "T" in line["time"]


def test_a_signed_in_users_requests_name_them(client, auth, make_user, log_lines):
    user_id = make_user("writer")
    auth.login()

    client.get("/dashboard/")

    line = records(log_lines())[-1]
    assert line["user_id"] == user_id
    assert line["endpoint"] == "control_panel.dashboard"


def test_a_crash_is_logged_with_its_traceback_and_the_id_the_page_shows(app, log_lines):
    @app.get("/_crash")
    def crash():
        raise RuntimeError("the disk is on fire")

    app.testing = False  # so the 500 page is rendered instead of the error raised
    response = app.test_client().get("/_crash")

    assert response.status_code == 500
    page_id = response.headers["X-Request-ID"]
    assert page_id in response.get_data(as_text=True)
    (error,) = [r for r in map(json.loads, log_lines()) if r["level"] == "ERROR"]
    assert error["request_id"] == page_id
    traceback = error["exc_info"]
    assert "RuntimeError: the disk is on fire" in str(traceback)
    assert "Traceback (most recent call last)" in str(traceback)


def test_a_secret_in_the_path_is_redacted(app, log_lines):
    @app.get("/_links/<token>")
    def link(token):
        abort(400)

    app.test_client().get("/_links/s3cr3t-t0ken-value")

    text = "\n".join(log_lines())
    assert "s3cr3t-t0ken-value" not in text
    assert f"/_links/{REDACTED}" in text


def test_text_lines_read_well_for_a_person():
    root = logging.getLogger()
    saved = root.handlers[:]
    config = logging_config("text")
    stream = io.StringIO()
    config["handlers"]["stderr"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        logging.getLogger("inkpot.test").warning("outside any request")
    finally:
        root.handlers[:] = saved

    assert stream.getvalue().rstrip().endswith("WARNING inkpot.test [-] outside any request")


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logging_config("xml")


URLS_WITH_PASSWORDS = [
    ("redis://:Zm9vYmFy-queue@127.0.0.1:6379/1", "redis://:[redacted]@127.0.0.1:6379/1"),
    (
        "postgresql+psycopg://inkpot:Zm9vYmFy-db@10.0.0.5/inkpot",
        "postgresql+psycopg://inkpot:[redacted]@10.0.0.5/inkpot",
    ),
    (
        "rediss://default:Zm9vYmFy-tls@cache.internal:6380",
        "rediss://default:[redacted]@cache.internal:6380",
    ),
]


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_a_urls_password_is_redacted_in_messages_and_tracebacks(log_format):
    root = logging.getLogger()
    saved = root.handlers[:]
    config = logging_config(log_format)
    stream = io.StringIO()
    config["handlers"]["stderr"]["stream"] = stream
    logging.config.dictConfig(config)
    logger = logging.getLogger("inkpot.test")
    try:
        for url, _ in URLS_WITH_PASSWORDS:
            logger.warning("Cannot reach %s", url)
            try:
                raise ConnectionError(f"Error connecting to {url}")
            except ConnectionError:
                logger.exception("The broker at %s failed", url)
    finally:
        root.handlers[:] = saved

    written = stream.getvalue()
    assert "Zm9vYmFy" not in written
    for _, redacted in URLS_WITH_PASSWORDS:
        # The warning, then the error and its traceback's last line.
        assert written.count(redacted) == 3


def test_urls_without_a_password_are_left_alone():
    from shared_web.logs import redact_url_passwords

    for text in [
        "redis://127.0.0.1:6379/0",
        "redis://cache.internal:6380/0 and http://user@example.com:8080/path",
        "GET /sites/ada/?next=https://example.com/a:b@c",
    ]:
        assert redact_url_passwords(text) == text
